/* The watched calls: which calls and ids reach the answerer (the policy's
 * decision, as the filter compiles it), and how the answerer classifies
 * what arrives. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "brig/config/config.h"
#include "brig/seccomp/seccomp.h"

static struct seccomp_policy pol;
static struct brig_config cfg;

static void setup(void)
{
	cr_redirect_stderr();
	config_init(&cfg);
	setenv("BRIG_PROFILE_PATH", "profiles", 1);
	cfg.seccomp = strdup("default");
	pol = (struct seccomp_policy){ 0 };
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, NULL), 0);
}

static void teardown(void)
{
	seccomp_policy_free(&pol);
	config_free(&cfg);
}

TestSuite(seccomp_watch, .init = setup, .fini = teardown);

static const struct sc_rule *decide(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	const uint64_t args[6] = { a0, a1, a2, a3 };
	return seccomp_policy_decide(&pol, nr, args);
}

static bool watched(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	const struct sc_rule *r = decide(nr, a0, a1, a2, a3);
	return r && r->action == SC_WATCH;
}

static const struct seccomp_watch container_root = { .id_count = 65536, .uid_base = 100000, .gid_base = 100000 };

/* Exactly the ids past the map and below 2^31, for every id argument;
 * -1 ("unchanged") never. */
Test(seccomp_watch, ids_past_the_map)
{
	cr_assert_eq(seccomp_policy_watch(&pol, &container_root), 0);
	static const struct {
		uint64_t id;
		bool watched;
	} ids[] = { { 0, false },	   { 1000, false },	 { 65535, false },	{ 65536, true },
		    { 65537, true },	   { 100000, true },	 { 0x7fffffff, true }, { 0x80000000, false },
		    { 0xfffffffe, false }, { 0xffffffff, false } };
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		uint64_t id = ids[i].id;
		cr_expect_eq(watched(SYS_fchownat, 3, 0, id, 0xffffffff), ids[i].watched, "fchownat uid %#lx", id);
		cr_expect_eq(watched(SYS_fchownat, 3, 0, 0xffffffff, id), ids[i].watched, "fchownat gid %#lx", id);
		cr_expect_eq(watched(SYS_fchown, 3, id, 0, 0), ids[i].watched, "fchown uid %#lx", id);
		cr_expect_eq(watched(SYS_setresuid, 0xffffffff, id, 0xffffffff, 0), ids[i].watched, "setresuid %#lx",
			     id);
		cr_expect_eq(watched(SYS_setgid, id, 0, 0, 0), ids[i].watched, "setgid %#lx", id);
	}
	/* The high half of a register is not the id. */
	cr_expect_not(watched(SYS_fchown, 3, (0xdeadULL << 32) | 1000, 0, 0));
}

Test(seccomp_watch, classifies_an_id_past_the_map)
{
	cr_assert_eq(seccomp_policy_watch(&pol, &container_root), 0);
	const uint64_t args[6] = { 3, 0, 100000, 0xffffffff };
	const struct sc_rule *r = seccomp_policy_decide(&pol, SYS_fchownat, args);
	cr_assert(r && r->action == SC_WATCH);
	long id;
	cr_expect_eq(seccomp_watch_classify(&pol, r, getpid(), args, &id), SC_REFUSED_ID_MAPPING);
	cr_expect_eq(id, 100000);
}

/* Device nodes: character and block devices are the host's to make; an
 * overlay whiteout (a character device 0:0), a pipe or a file are not
 * counted. */
Test(seccomp_watch, device_nodes)
{
	cr_assert_eq(seccomp_policy_watch(&pol, &container_root), 0);
	static const struct {
		mode_t mode;
		uint64_t dev;
		int kind;
	} nodes[] = { { S_IFCHR | 0600, 0x103, SC_REFUSED_CAPABILITY },
		      { S_IFBLK | 0600, 0x801, SC_REFUSED_CAPABILITY },
		      { S_IFCHR | 0600, 0, -1 },
		      { S_IFIFO | 0600, 0, -2 },
		      { S_IFREG | 0600, 0, -2 } };
	for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		const uint64_t args[6] = { 3, 0, nodes[i].mode, nodes[i].dev };
		const struct sc_rule *r = seccomp_policy_decide(&pol, SYS_mknodat, args);
		if (nodes[i].kind == -2) {
			cr_expect(!r || r->action != SC_WATCH, "mode %o reaches the answerer", nodes[i].mode);
			continue;
		}
		cr_assert(r && r->action == SC_WATCH, "mode %o", nodes[i].mode);
		long id;
		cr_expect_eq(seccomp_watch_classify(&pol, r, getpid(), args, &id), nodes[i].kind, "mode %o dev %lx",
			     nodes[i].mode, nodes[i].dev);
	}
}

/* Without CAP_CHOWN every id reaches the answerer, which counts those the
 * caller could not give itself: this process is the caller, and has its
 * own ids in this test's "namespace" (base 0). */
Test(seccomp_watch, without_the_capability)
{
	struct seccomp_watch w = { .id_count = 65536, .lacks_chown = true, .lacks_setid = true };
	cr_assert_eq(seccomp_policy_watch(&pol, &w), 0);
	cr_assert(watched(SYS_fchown, 3, 5, 0xffffffff, 0));
	cr_assert_not(watched(SYS_fchown, 3, 0xffffffff, 0xffffffff, 0));
	uint64_t self[6] = { 3, getuid(), 0xffffffff };
	const struct sc_rule *r = seccomp_policy_decide(&pol, SYS_fchown, self);
	long id;
	cr_assert(r && r->action == SC_WATCH);
	/* Its own uid: never refused for want of a capability. */
	cr_expect_eq(seccomp_watch_classify(&pol, r, getpid(), self, &id), -1);
}

/* Only calls the policy lets through outright: a watch rule never turns a
 * refusal or an unknown call into an allowed one. */
Test(seccomp_watch, only_what_the_policy_allows)
{
	struct seccomp_policy p = { 0 };
	cr_assert_eq(seccomp_policy_parse(&p, "t.policy", "fchown errno EPERM\nchown allow\n", 0, NULL), 0);
	cr_assert_eq(seccomp_policy_watch(&p, &container_root), 0);
	for (size_t i = 0; i < p.n; i++) {
		cr_expect(p.v[i].action != SC_WATCH || p.v[i].nr == SYS_chown, "a watch rule for syscall %d",
			  p.v[i].nr);
	}
	const uint64_t args[6] = { 3, 100000, 0 };
	const struct sc_rule *r = seccomp_policy_decide(&p, SYS_fchown, args);
	cr_expect(r && r->action == SC_ERRNO);
	seccomp_policy_free(&p);
}

Test(seccomp_watch, setgroups_when_denied)
{
	struct seccomp_watch w = container_root;
	w.setgroups_denied = true;
	cr_assert_eq(seccomp_policy_watch(&pol, &w), 0);
	cr_assert(watched(SYS_setgroups, 0, 0, 0, 0));
	cr_assert(watched(SYS_setgroups, 3, 0x1000, 0, 0));
}

/* The rules compile, also with a one-id map (the most blocks). */
Test(seccomp_watch, compiles)
{
	struct seccomp_watch w = { .id_count = 1, .setgroups_denied = true };
	cr_assert_eq(seccomp_policy_watch(&pol, &w), 0);
	int fd;
	cr_assert_eq(seccomp_compile(&pol, &fd), 0);
	struct seccomp_program prog;
	cr_assert_eq(seccomp_program_read(fd, &prog), 0);
	cr_expect_lt(prog.refusals.len, 4096);
	seccomp_program_free(&prog);
	close(fd);
}

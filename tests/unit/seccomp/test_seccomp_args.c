/* The audit of every argument rule of the shipped policies: for each, a
 * call the rule exists to refuse, and a harmless call that differs from it
 * only in bits the kernel ignores (a register's leftovers, the high half
 * of an int, a mode without O_CREAT). A rule without a row here fails the
 * coverage test, so a new rule comes with its own audit. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "brig/config/config.h"
#include "brig/seccomp/seccomp.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

#define KERNEL_O_TMPFILE 020000000 /* the kernel's bit, without O_DIRECTORY */
#define HI (0xdead0000ULL << 32)  /* leftovers in the high half of a register */

/* One call: its number and arguments, and whether the policy refuses it. */
struct row {
	const char *what;
	int nr;
	uint64_t args[6];
	bool refused;
};

static const struct row rows[] = {
	/* ioctl: the request is 32 bits; the third argument is anything. */
	{ "TIOCSTI", SYS_ioctl, { 0, TIOCSTI }, true },
	{ "TIOCSTI with a high half", SYS_ioctl, { 0, TIOCSTI | HI }, true },
	{ "TCGETS with a high half", SYS_ioctl, { 0, TCGETS | HI, ~0ULL }, false },
	{ "TIOCLINUX", SYS_ioctl, { 0, TIOCLINUX }, true },
	{ "FIONREAD with leftovers", SYS_ioctl, { 0, FIONREAD, 0x123456789ULL }, false },
	/* clone: the kernel takes the low 32 bits of the flags. */
	{ "clone(CLONE_NEWUSER)", SYS_clone, { CLONE_NEWUSER | SIGCHLD }, true },
	{ "fork with a high half", SYS_clone, { SIGCHLD | ((uint64_t)CLONE_NEWUSER << 32) }, false },
	{ "thread with leftovers", SYS_clone, { CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 0, 0, ~0ULL, ~0ULL },
	  false },
	/* personality: 32 bits. */
	{ "READ_IMPLIES_EXEC", SYS_personality, { READ_IMPLIES_EXEC }, true },
	{ "PER_LINUX with a high half", SYS_personality, { PER_LINUX | HI }, false },
	{ "PER_QUERY with a high half", SYS_personality, { 0xffffffffu | HI }, false },
	/* socket: the family is an int. */
	{ "AF_ALG", SYS_socket, { AF_ALG, SOCK_SEQPACKET }, true },
	{ "AF_INET with a high half", SYS_socket, { AF_INET | HI, SOCK_STREAM, ~0ULL }, false },
	/* The mode calls: set-user-ID and set-group-ID refused; bits of the
	 * file type or above the 16 of umode_t are not the job's choice. */
	{ "chmod 4755", SYS_chmod, { 0, 04755 }, true },
	{ "chmod 2755", SYS_chmod, { 0, 02755 }, true },
	{ "chmod S_IFREG|0755 and a high half", SYS_chmod, { 0, S_IFREG | 0755 | HI }, false },
	{ "fchmod 4755", SYS_fchmod, { 3, 04755 }, true },
	{ "fchmod 01777", SYS_fchmod, { 3, 01777 | HI }, false },
	{ "fchmodat 6755", SYS_fchmodat, { 0, 0, 06755 }, true },
	{ "fchmodat 0755, leftover flags", SYS_fchmodat, { 0, 0, 0755, ~0ULL }, false },
	{ "fchmodat2 4755", SYS_fchmodat2, { 0, 0, 04755 }, true },
	{ "fchmodat2 0700, leftover", SYS_fchmodat2, { 0, 0, 0700 | HI, 0 }, false },
	{ "creat 4755", SYS_creat, { 0, 04755 }, true },
	{ "creat 0644, leftover", SYS_creat, { 0, 0644 | HI }, false },
	{ "mknod S_IFREG|4755", SYS_mknod, { 0, S_IFREG | 04755 }, true },
	{ "mknod S_IFIFO|0644, leftover", SYS_mknod, { 0, S_IFIFO | 0644 | HI, ~0ULL }, false },
	{ "mknodat S_IFREG|2755", SYS_mknodat, { 0, 0, S_IFREG | 02755 }, true },
	{ "mknodat S_IFREG|0644, leftover", SYS_mknodat, { 0, 0, S_IFREG | 0644 | HI }, false },
	/* open and openat read the mode only to create a file. */
	{ "open O_CREAT 4755", SYS_open, { 0, O_WRONLY | O_CREAT, 04755 }, true },
	{ "open O_TMPFILE 2755", SYS_open, { 0, O_WRONLY | O_TMPFILE, 02755 }, true },
	{ "open O_RDONLY, a leftover 02000", SYS_open, { 0, O_RDONLY | O_CLOEXEC, 02000 }, false },
	{ "open O_DIRECTORY, leftover 06777", SYS_open, { 0, O_RDONLY | O_DIRECTORY, 06777 }, false },
	{ "open O_CREAT 0644", SYS_open, { 0, O_WRONLY | O_CREAT, 0644 }, false },
	{ "openat O_CREAT 4755", SYS_openat, { 0, 0, O_WRONLY | O_CREAT | O_EXCL, 04755 }, true },
	{ "openat O_TMPFILE 2700", SYS_openat, { 0, 0, O_RDWR | O_TMPFILE, 02700 }, true },
	{ "openat O_RDONLY, a leftover mode", SYS_openat, { 0, 0, O_RDONLY | O_CLOEXEC, 06755 | HI }, false },
	{ "openat O_PATH|O_DIRECTORY, leftover", SYS_openat, { 0, 0, O_PATH | O_DIRECTORY, 04000 }, false },
};

static struct seccomp_policy pol;
static struct brig_config cfg;

static void setup(void)
{
	cr_redirect_stderr();
	config_init(&cfg);
	/* The checkout's policies, as shipped. */
	setenv("BRIG_PROFILE_PATH", "profiles", 1);
	pol = (struct seccomp_policy){ 0 };
}

static void teardown(void)
{
	seccomp_policy_free(&pol);
	config_free(&cfg);
}

TestSuite(seccomp_args, .init = setup, .fini = teardown);

static bool refuses(const struct seccomp_policy *p, const struct row *r)
{
	const struct sc_rule *d = seccomp_policy_decide(p, r->nr, r->args);
	return d && d->action != SC_ALLOW && d->action != SC_LOG;
}

static void check_policy(const char *name)
{
	cfg.seccomp = strdup(name);
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, NULL), 0, "%s does not load", name);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		cr_expect_eq(refuses(&pol, &rows[i]), rows[i].refused, "%s: %s %s", name, rows[i].what,
			     rows[i].refused ? "let through" : "refused");
}

Test(seccomp_args, default_policy_judges_only_what_the_kernel_reads) { check_policy("default"); }
Test(seccomp_args, strict_policy_judges_only_what_the_kernel_reads) { check_policy("strict"); }

/* Every call with an argument rule in a shipped policy has rows of both
 * kinds above. */
Test(seccomp_args, every_argument_rule_is_audited)
{
	static const char *const names[] = { "default", "strict", "allow-ptrace", "allow-userns", "allow-io-uring" };
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		struct seccomp_policy p = { 0 };
		struct brig_config c;
		config_init(&c);
		c.seccomp = strdup(names[k]);
		cr_assert_eq(seccomp_policy_load(&c, &p, NULL), 0);
		for (size_t i = 0; i < p.n; i++) {
			if (p.v[i].n_cond == 0)
				continue;
			bool refused = false, passed = false;
			for (size_t j = 0; j < sizeof rows / sizeof rows[0]; j++)
				if (rows[j].nr == p.v[i].nr) {
					refused |= rows[j].refused;
					passed |= !rows[j].refused;
				}
			/* socket's families are one rule each, judged alike. */
			cr_expect(refused && passed, "%s: syscall %d has an argument rule without an audit row", names[k],
				  p.v[i].nr);
		}
		seccomp_policy_free(&p);
		config_free(&c);
	}
}

/* A rule with several conditions holds only when all do, and compiles. */
Test(seccomp_args, several_conditions_must_all_hold)
{
	cr_assert_eq(seccomp_policy_parse(&pol, "t.policy",
					  "open allow\nopen errno EPERM arg1 & O_CREAT|__O_TMPFILE arg2 & S_ISUID\n",
					  0, NULL),
		     0);
	const uint64_t create[6] = { 0, O_CREAT, 04755 }, read_only[6] = { 0, 0, 04755 },
		       plain[6] = { 0, O_CREAT, 0755 };
	cr_assert_eq(seccomp_policy_decide(&pol, SYS_open, create)->action, SC_ERRNO);
	cr_assert_eq(seccomp_policy_decide(&pol, SYS_open, read_only)->action, SC_ALLOW);
	cr_assert_eq(seccomp_policy_decide(&pol, SYS_open, plain)->action, SC_ALLOW);
	int fd = -1;
	cr_assert_eq(seccomp_compile(&pol, &fd), 0);
	cr_assert_geq(fd, 0);
}

Test(seccomp_args, greater_or_equal_reads_32_bits)
{
	cr_assert_eq(seccomp_policy_parse(&pol, "t.policy", "chown allow\nchown errno EINVAL arg1 >= 65536\n", 0, NULL), 0);
	const uint64_t big[6] = { 0, 70000 }, small[6] = { 0, 1000 | HI }, at[6] = { 0, 65536 };
	cr_assert_eq(seccomp_policy_decide(&pol, SYS_chown, big)->action, SC_ERRNO);
	cr_assert_eq(seccomp_policy_decide(&pol, SYS_chown, at)->action, SC_ERRNO);
	cr_assert_eq(seccomp_policy_decide(&pol, SYS_chown, small)->action, SC_ALLOW);
}

Test(seccomp_args, too_many_conditions)
{
	struct brig_err e = BRIG_ERR_INIT;
	cr_assert_eq(seccomp_policy_parse(&pol, "t.policy",
					  "open errno EPERM arg0 == 1 arg1 == 2 arg2 == 3 arg3 == 4\n", 0, &e),
		     -EINVAL);
	err_log(&e); /* as the command's top level prints it */
	fflush(stderr);
	char text[256] = "";
	size_t n = fread(text, 1, sizeof text - 1, cr_get_redirected_stderr());
	text[n] = '\0';
	cr_assert_str_eq(text, "brig: t.policy:1: at most 3 conditions in one rule\n");
}

Test(seccomp_args, condition_with_missing_words)
{
	cr_assert_eq(seccomp_policy_parse(&pol, "t.policy", "open errno EPERM arg1 & O_CREAT arg2 &\n", 0, NULL), -EINVAL);
}

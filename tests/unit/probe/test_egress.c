/* brig probe's egress rows: the names' syntax, the default list against
 * the shipped registries profile, and the verdicts on answers as brig's
 * resolver gives them (REFUSED for a name not allowed) and as an open
 * network does. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "brig/probe/egress.h"
#include "brig/probe/verdict.h"

static struct probe_egress_list list;

Test(probe_egress, a_name_with_and_without_a_port)
{
	list.n = 0;
	cr_assert_eq(probe_egress_add(&list, "ok.test", false), 0);
	cr_assert_eq(probe_egress_add(&list, "git.example.com:22", true), 0);
	cr_assert_eq(list.n, 2);
	cr_expect_str_eq(list.v[0].name, "ok.test");
	cr_expect_eq(list.v[0].port, 443);
	cr_expect_str_eq(list.v[0].id, "network.egress.ok.test:443");
	cr_expect_not(list.v[0].outside);
	cr_expect_str_eq(list.v[1].name, "git.example.com");
	cr_expect_eq(list.v[1].port, 22);
	cr_expect(list.v[1].outside);
}

Test(probe_egress, bad_names_and_ports_are_refused)
{
	static const char *const bad[] = { "",	   ":443",	"a..b",	    ".a",	     "a.",	"a b",
					   "a/b",  "a:0",	"a:65536",  "a:",	     "a:x",	"a:+1",
					   "a:-1", "*.a.test",	"a:443:1",  "1.2.3.4:443x", "a_b.test" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		list.n = 0;
		cr_expect_eq(probe_egress_add(&list, bad[i], false), -EINVAL, "'%s'", bad[i]);
		cr_expect_eq(list.n, 0, "'%s'", bad[i]);
	}
	char label[80];
	memset(label, 'a', 64);
	label[64] = '\0';
	cr_expect_eq(probe_egress_add(&list, label, false), -EINVAL, "a 64-character label");
	label[63] = '\0';
	cr_expect_eq(probe_egress_add(&list, label, false), 0, "a 63-character label");
}

Test(probe_egress, the_list_has_a_ceiling)
{
	list.n = 0;
	for (int i = 0; i < PROBE_EGRESS_MAX; i++)
		cr_assert_eq(probe_egress_add(&list, "a.test", false), 0);
	cr_expect_eq(probe_egress_add(&list, "a.test", false), -E2BIG);
}

/* The default names are the registries profile's names that are not
 * wildcards, each once, in its order: the C list follows the file. */
Test(probe_egress, the_default_list_is_the_registries_profile_and_one_name_outside)
{
	FILE *f = fopen("profiles/inc/registries.inc", "re");
	cr_assert_not_null(f, "run from the source tree");
	char line[512], names[64][256];
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		char name[256];
		if (sscanf(line, "egress-allow-host %255[^:/ \n]", name) != 1 || name[0] == '*')
			continue;
		bool seen = false;
		for (size_t i = 0; i < n; i++)
			seen |= strcmp(names[i], name) == 0;
		if (!seen && n < 64)
			snprintf(names[n++], sizeof names[0], "%s", name);
	}
	fclose(f);
	cr_assert_gt(n, 10);
	cr_assert_eq(probe_egress_registry_count, n);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(probe_egress_registry_names[i], names[i]);
	probe_egress_defaults(&list);
	cr_assert_eq(list.n, n + 1);
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(list.v[i].port, 443);
		cr_expect_not(list.v[i].outside);
		cr_expect_str_neq(list.v[i].name, PROBE_EGRESS_OUTSIDE);
	}
	cr_expect_str_eq(list.v[n].name, PROBE_EGRESS_OUTSIDE);
	cr_expect(list.v[n].outside);
}

/* ---- verdicts ---- */

static struct probe_report rep(void)
{
	struct probe_report r = { .id = "t", .category = "network" };
	return r;
}

Test(probe_egress, an_allowed_name_that_resolves_and_connects_is_reachable)
{
	struct probe_report r = rep();
	struct probe_egress_facts f = { .name = "ok.test", .port = 443, .n_addrs = 2,
					.addrs = { "198.51.100.10", "2001:db8::10" }, .conn_err = { 0, ETIMEDOUT } };
	probe_rule_egress(&r, &f);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	cr_expect(strstr(r.evidence, "198.51.100.10 reachable"), "%s", r.evidence);
	cr_expect(strstr(r.evidence, "2001:db8::10 timed out"), "%s", r.evidence);
}

Test(probe_egress, a_name_the_resolver_refuses_is_blocked)
{
	struct probe_report r = rep();
	struct probe_egress_facts f = { .name = "lab.test", .port = 443, .rcode = 5 };
	probe_rule_egress(&r, &f);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	cr_expect(strstr(r.evidence, "refused by the resolver (REFUSED)"), "%s", r.evidence);
	f.rcode = 3;
	probe_rule_egress(&r, &f);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	cr_expect(strstr(r.evidence, "NXDOMAIN"), "%s", r.evidence);
	/* The name outside the allow list, refused as it should be. */
	f.outside = true;
	f.rcode = 5;
	probe_rule_egress(&r, &f);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
}

Test(probe_egress, resolved_but_unreachable_is_blocked_unless_the_name_is_outside)
{
	struct probe_report r = rep();
	struct probe_egress_facts f = { .name = "ok.test", .port = 443, .n_addrs = 1, .addrs = { "198.51.100.10" },
					.conn_err = { ECONNREFUSED } };
	probe_rule_egress(&r, &f);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	cr_expect(strstr(r.evidence, "198.51.100.10 refused"), "%s", r.evidence);
	/* A resolver that answers a name it should refuse is a way out for
	 * data in the queries themselves, connection or not. */
	f.outside = true;
	probe_rule_egress(&r, &f);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	cr_expect(strstr(r.evidence, "outside the allow list"), "%s", r.evidence);
	f.n_addrs = 0;
	probe_rule_egress(&r, &f);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
}

Test(probe_egress, no_resolver_is_blocked)
{
	struct probe_report r = rep();
	struct probe_egress_facts f = { .name = "ok.test", .port = 443, .resolve_err = -ENETUNREACH, .rcode = -1 };
	probe_rule_egress(&r, &f);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	cr_expect(strstr(r.evidence, "no resolver answered (ENETUNREACH)"), "%s", r.evidence);
}

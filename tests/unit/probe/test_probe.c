/* The probe's pure parts: the check tables, verdicts, evidence, score. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "brig/probe/checks.h"
#include "brig/probe/probe.h"

Test(probe, ids_are_unique_and_named_after_their_category)
{
	for (size_t i = 0; i < probe_checks_count; i++) {
		const struct probe_check *c = &probe_checks[i];
		size_t len = strlen(c->category);
		cr_expect(strncmp(c->id, c->category, len) == 0 && c->id[len] == '.', "%s is not in %s", c->id,
			  c->category);
		cr_expect_not_null(c->fn);
		bool known = false;
		for (size_t k = 0; k < probe_categories_count; k++)
			known |= strcmp(probe_categories[k], c->category) == 0;
		cr_expect(known, "%s: category %s is not in the list", c->id, c->category);
		for (size_t k = 0; k < probe_checks_count; k++)
			if (k != i)
				cr_expect_str_neq(c->id, probe_checks[k].id, "duplicate id");
		/* Only network checks wait for --network. */
		if (c->opt_in)
			cr_expect_str_eq(c->category, "network", "%s", c->id);
	}
	cr_expect(probe_checks_count >= 70, "only %zu checks", probe_checks_count);
	for (size_t k = 0; k < probe_categories_count; k++) {
		size_t n = 0;
		for (size_t i = 0; i < probe_checks_count; i++)
			n += strcmp(probe_checks[i].category, probe_categories[k]) == 0;
		cr_expect(n > 0, "category %s has no checks", probe_categories[k]);
	}
}

/* The runner reports each category's checks together, in the list's order,
 * and leaves the opt-in ones out unless asked. */
Test(probe, runner_order_and_opt_in)
{
	size_t n = 0, with = 0;
	struct probe_report *r = probe_run("resources", false, NULL, &n);
	cr_assert_not_null(r);
	cr_expect(n >= 3);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(r[i].category, "resources");
	free(r);
	/* Never with network set here: those checks connect to addresses. */
	for (size_t i = 0; i < probe_checks_count; i++)
		with += strcmp(probe_checks[i].category, "network") == 0 && !probe_checks[i].opt_in;
	r = probe_run("network", false, NULL, &n);
	cr_assert_not_null(r);
	cr_expect_eq(n, with);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_neq(r[i].id, "network.metadata-ipv4");
	free(r);
}

Test(probe, evidence_is_one_line)
{
	struct probe_report r = { 0 };
	probe_set(&r, PROBE_NA, "a\nb\tc\rd");
	cr_expect_str_eq(r.evidence, "a b c d");
	char longer[PROBE_EVIDENCE_MAX * 2];
	memset(longer, 'x', sizeof longer - 1);
	longer[sizeof longer - 1] = 0;
	probe_set(&r, PROBE_BLOCKED, "%s", longer);
	cr_expect_eq(strlen(r.evidence), PROBE_EVIDENCE_MAX - 1);
	cr_expect_str_eq(probe_errno_name(EPERM), "EPERM");
	cr_expect_str_eq(probe_errno_name(4095), "errno 4095");
}

Test(probe, score)
{
	struct probe_report r[] = {
		{ .severity = PROBE_HIGH, .result = PROBE_BLOCKED },
		{ .severity = PROBE_HIGH, .result = PROBE_EXPOSED },
		{ .severity = PROBE_LOW, .result = PROBE_EXPOSED },
		{ .severity = PROBE_MEDIUM, .result = PROBE_BLOCKED },
		{ .severity = PROBE_HIGH, .result = PROBE_NA },
	};
	struct probe_score s;
	probe_score(r, 5, &s);
	cr_expect_eq(s.high_total, 2);
	cr_expect_eq(s.high_blocked, 1);
	cr_expect_eq(s.high_exposed, 1);
	cr_expect_eq(s.na, 1);
	cr_expect_eq(s.blocked, 2);
	cr_expect_eq(s.exposed, 2);
	/* (1.0 + 0.2) / (1.0 + 1.0 + 0.2 + 0.5) * 10 */
	cr_expect_float_eq(s.exposure, 12.0 / 2.7, 1e-9);
	probe_score(r, 0, &s);
	cr_expect_float_eq(s.exposure, 0.0, 1e-9);
	probe_score(&r[0], 1, &s);
	cr_expect_float_eq(s.exposure, 0.0, 1e-9);
}

/* An exposure seen only past the filter weighs half and does not count as
 * a high-severity exposure (the exit status). */
Test(probe, filter_depth_scores_half)
{
	struct probe_report r[] = {
		{ .severity = PROBE_HIGH, .result = PROBE_EXPOSED, .depth = PROBE_DEPTH_FILTER },
		{ .severity = PROBE_HIGH, .result = PROBE_BLOCKED },
	};
	struct probe_score s;
	probe_score(r, 2, &s);
	cr_expect_eq(s.exposed, 1);
	cr_expect_eq(s.exposed_filter, 1);
	cr_expect_eq(s.high_exposed, 0);
	cr_expect_eq(s.high_blocked, 1);
	cr_expect_eq(s.high_total, 2);
	cr_expect_float_eq(s.exposure, 10.0 * 0.5 / 2.0, 1e-9);
	cr_expect_eq(probe_result_of("exposed"), PROBE_EXPOSED);
	cr_expect_eq(probe_result_of("not-applicable"), PROBE_NA);
	cr_expect_eq(probe_result_of("nonsense"), -1);
	cr_expect_eq(probe_severity_of("medium"), PROBE_MEDIUM);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/brig-probe-compare.XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* --compare: 1 when B exposes a high-severity check that A did not; 125 for
 * a file that is not a probe document. */
Test(probe, compare_two_documents)
{
	char *a = write_tmp("{\"checks\":[{\"id\":\"syscalls.bpf\",\"category\":\"syscalls\",\"severity\":\"high\","
			    "\"result\":\"exposed\",\"evidence\":\"x\"}]}");
	char *b = write_tmp("{\"checks\":[{\"id\":\"syscalls.bpf\",\"category\":\"syscalls\",\"severity\":\"high\","
			    "\"result\":\"blocked\",\"evidence\":\"y\"}]}");
	char *bad = write_tmp("{\"nothing\":1}");
	FILE *saved = stdout;
	stdout = fopen("/dev/null", "w");
	cr_expect_eq(probe_compare(a, b, false), 0, "B fixes what A exposed");
	cr_expect_eq(probe_compare(b, a, true), 1, "A exposes what B blocked");
	cr_expect_eq(probe_compare(a, bad, false), 125);
	cr_expect_eq(probe_compare(a, "/nonexistent/x.json", false), 125);
	fclose(stdout);
	stdout = saved;
	unlink(a);
	unlink(b);
	unlink(bad);
	free(a);
	free(b);
	free(bad);
}

#define EGRESS_ROW(name, sev, res)                                                                           \
	"{\"id\":\"network.egress." name ":443\",\"category\":\"network\",\"severity\":\"" sev "\",\"result\":\"" \
	res "\",\"evidence\":\"e\"}"

/* The egress rows are rows like any other: matched by id (the name and
 * port), a name only one side tried listed once, the name outside the
 * allow list "fixed" when B's resolver refuses it. */
Test(probe, compare_egress_rows)
{
	char *a = write_tmp("{\"checks\":[" EGRESS_ROW("pypi.org", "low", "exposed") "," EGRESS_ROW(
		"example.com", "medium", "exposed") "]}");
	char *b = write_tmp("{\"checks\":[" EGRESS_ROW("pypi.org", "low", "exposed") "," EGRESS_ROW(
		"example.com", "medium", "blocked") "," EGRESS_ROW("mirror.test", "low", "blocked") "]}");
	char out[] = "/tmp/brig-probe-compare-out.XXXXXX";
	int fd = mkstemp(out);
	cr_assert(fd >= 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	int code = probe_compare(a, b, true);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	char text[8192] = "";
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	close(fd);
	unlink(out);
	unlink(a);
	unlink(b);
	free(a);
	free(b);
	cr_assert_gt(n, 0);
	cr_expect_eq(code, 0, "%s", text);
	json_object *doc = json_tokener_parse(text), *checks = NULL;
	cr_assert(doc && json_object_object_get_ex(doc, "checks", &checks), "%s", text);
	cr_assert_eq(json_object_array_length(checks), 3, "%s", text);
	json_object *ex = json_object_array_get_idx(checks, 1), *mirror = json_object_array_get_idx(checks, 2), *v;
	cr_expect(json_object_object_get_ex(ex, "change", &v) && strcmp(json_object_get_string(v), "fixed") == 0,
		  "%s", text);
	cr_expect(json_object_object_get_ex(mirror, "id", &v) &&
			  strcmp(json_object_get_string(v), "network.egress.mirror.test:443") == 0,
		  "%s", text);
	cr_expect(json_object_object_get_ex(mirror, "a", &v) && v == NULL, "only B tried it: %s", text);
	json_object_put(doc);
}

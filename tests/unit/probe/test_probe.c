/* The probe's pure parts: the check tables, verdicts, evidence, score. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "brig/probe/probe.h"

Test(probe, ids_are_unique_and_named_after_their_category)
{
	size_t total = 0;
	for (size_t c = 0; c < probe_categories_count; c++) {
		const struct probe_category *cat = probe_categories[c];
		cr_expect(cat->n > 0, "category %s has no checks", cat->name);
		for (size_t i = 0; i < cat->n; i++) {
			const char *id = cat->checks[i].id;
			size_t len = strlen(cat->name);
			cr_expect(strncmp(id, cat->name, len) == 0 && id[len] == '.', "%s is not in %s", id, cat->name);
			cr_expect_not_null(cat->checks[i].fn);
			total++;
			for (size_t d = 0; d < probe_categories_count; d++)
				for (size_t k = 0; k < probe_categories[d]->n; k++)
					if (d != c || k != i)
						cr_expect_str_neq(id, probe_categories[d]->checks[k].id, "duplicate id");
		}
	}
	cr_expect(total >= 60, "only %zu checks", total);
	/* Only the network category needs --network. */
	for (size_t c = 0; c < probe_categories_count; c++)
		cr_expect_eq(probe_categories[c]->network, strcmp(probe_categories[c]->name, "network") == 0);
}

Test(probe, syscall_verdicts)
{
	struct probe_report r = { 0 };
	probe_syscall_verdict(&r, "x", -1, EPERM);
	cr_expect_eq(r.result, PROBE_BLOCKED);
	cr_expect_str_eq(r.evidence, "x: EPERM");
	probe_syscall_verdict(&r, "x", -1, ENOSYS);
	cr_expect_eq(r.result, PROBE_BLOCKED);
	probe_syscall_verdict(&r, "x", -1, EACCES);
	cr_expect_eq(r.result, PROBE_BLOCKED);
	probe_syscall_verdict(&r, "x", -1, EINVAL);
	cr_expect_eq(r.result, PROBE_EXPOSED);
	cr_expect_str_eq(r.evidence, "x reached the kernel (EINVAL)");
	probe_syscall_verdict(&r, "x", 0, 0);
	cr_expect_eq(r.result, PROBE_EXPOSED);
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

/* brig audit's outside checks, each made to fail and to pass with a job
 * description that points at something that does, or does not, exist. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/probe/audit.h"

static const struct audit_outside_check *outside(const char *id)
{
	for (size_t i = 0; i < audit_outside_count; i++)
		if (strcmp(audit_outside_checks[i].id, id) == 0)
			return &audit_outside_checks[i];
	cr_assert_fail("no outside check %s", id);
	return NULL;
}

static enum probe_result run(const char *id, const struct audit_job *job)
{
	struct probe_report r = { .id = id };
	outside(id)->fn(job, &r);
	cr_expect(r.evidence[0], "%s gave no evidence", id);
	return r.result;
}

Test(audit, ids_are_in_the_outside_category)
{
	cr_expect(audit_outside_count >= 5);
	for (size_t i = 0; i < audit_outside_count; i++)
		cr_expect(strncmp(audit_outside_checks[i].id, "outside.", 8) == 0, "%s", audit_outside_checks[i].id);
}

Test(audit, a_process_left_in_the_job_pid_namespace)
{
	struct audit_job job = { .started = true };
	struct stat st;
	/* This test's own PID namespace stands for a job's that still has a process. */
	cr_assert(stat("/proc/self/ns/pid", &st) == 0);
	job.pidns = st.st_ino;
	cr_expect_eq(run("outside.no-process-left", &job), PROBE_EXPOSED);
	job.pidns = 1; /* no namespace has inode 1 */
	cr_expect_eq(run("outside.no-process-left", &job), PROBE_BLOCKED);
}

Test(audit, a_mount_naming_the_job)
{
	struct audit_job job = { .started = true };
	/* Every mount table names /proc. */
	snprintf(job.id, sizeof job.id, "proc");
	cr_expect_eq(run("outside.no-mount-left", &job), PROBE_EXPOSED);
	snprintf(job.id, sizeof job.id, "0123456789ab-no-such-job");
	cr_expect_eq(run("outside.no-mount-left", &job), PROBE_BLOCKED);
}

Test(audit, a_cgroup_directory_left)
{
	struct audit_job job = { .started = true };
	char dir[] = "/var/tmp/brig-audit-test.XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	snprintf(job.cgroup, sizeof job.cgroup, "%s", dir);
	cr_expect_eq(run("outside.no-cgroup-left", &job), PROBE_EXPOSED);
	rmdir(dir);
	cr_expect_eq(run("outside.no-cgroup-left", &job), PROBE_BLOCKED);
	job.cgroup[0] = 0;
	cr_expect_eq(run("outside.no-cgroup-left", &job), PROBE_BLOCKED);
}

Test(audit, cgroup_limits_as_the_host_sees_them)
{
	struct audit_job job = { .started = true };
	cr_expect_eq(run("outside.cgroup-limits", &job), PROBE_EXPOSED);
	snprintf(job.limits, sizeof job.limits, "memory.max 8589934592, pids.max 4096");
	cr_expect_eq(run("outside.cgroup-limits", &job), PROBE_BLOCKED);
}

Test(audit, no_link_of_a_job_that_never_had_one)
{
	/* The exposed case needs a brig-* link on the host: root only. */
	struct audit_job job = { .started = true };
	snprintf(job.id, sizeof job.id, "0123456789ab");
	cr_expect_eq(run("outside.no-link-left", &job), PROBE_BLOCKED);
}

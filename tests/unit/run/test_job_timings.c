#include <criterion/criterion.h>

#include "brig/lib/timings.h"
#include "brig/run/child.h"
#include "brig/run/job.h"

#define MS 1000000ull /* ns */

/* A supervisor preempted between its last send and its stamp: the child
 * had the filter at 20 ms and the job ran from 22 ms to 322 ms, but the
 * supervisor's seccomp stamp says 30 ms. The job's 300 ms stay in exec;
 * the same for the id maps' stamp against the child's go. */
Test(job_timings, a_late_supervisor_stamp_takes_nothing_from_the_child)
{
	struct child_marks m = { .go = 6 * MS, .root = 12 * MS, .landlock = 13 * MS, .filter = 20 * MS,
				 .forked = 21 * MS, .ready = 21 * MS + MS / 2, .loaded = 22 * MS, .reaped = 322 * MS };
	struct job j = { .marks = &m };
	uint64_t ends[TIMING_COUNT] = { 0 };
	ends[TIMING_START] = 1 * MS;
	ends[TIMING_PARSE] = 2 * MS;
	ends[TIMING_CLONE] = 4 * MS;
	ends[TIMING_ID_MAPS] = 9 * MS;  /* after the child's go at 6 */
	ends[TIMING_SECCOMP] = 30 * MS; /* after the job's execve at 22 */
	timings_begin(&j.timings, 0);
	job_collect_timings(&j, ends, 323 * MS);
	double ms[TIMING_COUNT];
	double total = timings_ms(&j.timings, ms);
	cr_expect_float_eq(ms[TIMING_EXEC], 300.0, 1e-6, "exec %.3f ms", ms[TIMING_EXEC]);
	cr_expect_float_eq(ms[TIMING_ID_MAPS], 2.0, 1e-6, "id maps %.3f ms", ms[TIMING_ID_MAPS]);
	cr_expect_float_eq(ms[TIMING_MOUNTS], 6.0, 1e-6, "mounts %.3f ms", ms[TIMING_MOUNTS]);
	cr_expect_float_eq(ms[TIMING_SECCOMP], 7.0 + 0.5, 1e-6, "seccomp %.3f ms", ms[TIMING_SECCOMP]);
	cr_expect_float_eq(ms[TIMING_FORK], 1.0, 1e-6, "fork %.3f ms", ms[TIMING_FORK]);
	cr_expect_gt(total, 322.0);
}

#include <criterion/criterion.h>
#include <string.h>

#include "brig/lib/timings.h"

#define MS 1000000ull /* ns */

static double sum(const double ms[TIMING_COUNT])
{
	double s = 0;
	for (size_t i = 0; i < TIMING_COUNT; i++)
		s += ms[i];
	return s;
}

Test(timings, sequential_steps_are_their_own_durations)
{
	struct timings t;
	double ms[TIMING_COUNT];
	timings_begin(&t, 1000 * MS);
	timings_mark(&t, TIMING_PARSE, 1001 * MS);
	timings_mark(&t, TIMING_POLICY, 1003 * MS);
	timings_mark(&t, TIMING_CLONE, 1007 * MS);
	double total = timings_ms(&t, ms);
	cr_assert_float_eq(ms[TIMING_PARSE], 1.0, 1e-9);
	cr_assert_float_eq(ms[TIMING_POLICY], 2.0, 1e-9);
	cr_assert_float_eq(ms[TIMING_CLONE], 4.0, 1e-9);
	cr_assert_float_eq(ms[TIMING_MOUNTS], 0.0, 1e-9);
	cr_assert_float_eq(total, 7.0, 1e-9);
}

/* The supervisor's veth ends while the child still mounts: it cost the
 * start nothing, and the mounts count from the last stamp before them. */
Test(timings, parallel_work_counts_only_past_the_latest_stamp)
{
	struct timings t;
	double ms[TIMING_COUNT];
	timings_begin(&t, 0 + MS);
	timings_mark(&t, TIMING_ID_MAPS, 2 * MS);
	timings_mark(&t, TIMING_MOUNTS, 10 * MS);
	timings_mark(&t, TIMING_VETH, 6 * MS); /* done before the mounts were */
	timings_mark(&t, TIMING_SECCOMP, 12 * MS); /* the child waited 2 ms on the filter */
	double total = timings_ms(&t, ms);
	cr_assert_float_eq(ms[TIMING_VETH], 0.0, 1e-9);
	cr_assert_float_eq(ms[TIMING_MOUNTS], 8.0, 1e-9);
	cr_assert_float_eq(ms[TIMING_SECCOMP], 2.0, 1e-9);
	cr_assert_float_eq(total, 11.0, 1e-9);
}

/* A step may end in several places (the filter compiled, then loaded);
 * its times add up. */
Test(timings, a_step_stamped_twice_adds_up)
{
	struct timings t;
	double ms[TIMING_COUNT];
	timings_begin(&t, 0);
	timings_mark(&t, TIMING_SECCOMP, 1 * MS);
	timings_mark(&t, TIMING_FORK, 3 * MS);
	timings_mark(&t, TIMING_SECCOMP, 6 * MS);
	timings_ms(&t, ms);
	cr_assert_float_eq(ms[TIMING_SECCOMP], 4.0, 1e-9);
	cr_assert_float_eq(ms[TIMING_FORK], 2.0, 1e-9);
}

/* Whatever order the stamps come in, the steps add up to the total, and
 * none is negative. */
Test(timings, steps_always_add_up_to_the_total)
{
	static const uint64_t stamps[] = { 5, 3, 9, 9, 2, 14, 11, 20, 19, 21 };
	struct timings t;
	double ms[TIMING_COUNT];
	timings_begin(&t, 1 * MS);
	for (size_t i = 0; i < sizeof stamps / sizeof *stamps; i++)
		timings_mark(&t, (enum timing_step)(i % TIMING_COUNT), stamps[i] * MS);
	double total = timings_ms(&t, ms);
	for (size_t i = 0; i < TIMING_COUNT; i++)
		cr_assert_geq(ms[i], 0.0, "%s is negative", timings_name((enum timing_step)i));
	cr_assert_float_eq(total, 20.0, 1e-9);
	cr_assert_float_eq(sum(ms), total, 1e-9);
}

Test(timings, a_stamp_never_made_is_ignored)
{
	struct timings t;
	double ms[TIMING_COUNT];
	timings_begin(&t, 10 * MS);
	timings_mark(&t, TIMING_PARSE, 11 * MS);
	timings_mark(&t, TIMING_MOUNTS, 0);
	timings_mark(&t, TIMING_EXEC, 15 * MS);
	double total = timings_ms(&t, ms);
	cr_assert_eq(t.n, 2);
	cr_assert_float_eq(ms[TIMING_MOUNTS], 0.0, 1e-9);
	cr_assert_float_eq(ms[TIMING_EXEC], 4.0, 1e-9);
	cr_assert_float_eq(total, 5.0, 1e-9);
}

Test(timings, a_full_record_keeps_its_first_stamps)
{
	struct timings t;
	double ms[TIMING_COUNT];
	timings_begin(&t, 0);
	for (uint64_t i = 1; i <= TIMINGS_MAX_MARKS + 5; i++)
		timings_mark(&t, TIMING_EXEC, i * MS);
	cr_assert_eq(t.n, TIMINGS_MAX_MARKS);
	cr_assert_float_eq(timings_ms(&t, ms), (double)TIMINGS_MAX_MARKS, 1e-9);
}

Test(timings, names_are_the_documented_keys)
{
	static const char *const want[TIMING_COUNT] = { "start", "parse",   "policy",  "rootfs", "cgroup",   "network", "janitor",
							"clone",   "id_maps", "mounts", "landlock", "veth",     "seccomp", "fork",
							"identity", "exec",   "wait",   "report", "teardown" };
	for (size_t i = 0; i < TIMING_COUNT; i++)
		cr_assert_str_eq(timings_name((enum timing_step)i), want[i]);
	cr_assert_str_eq(timings_name(TIMING_COUNT), "?");
}

Test(timings, the_clock_moves_forward)
{
	uint64_t a = timings_now(), b = timings_now();
	cr_assert_gt(a, 0);
	cr_assert_geq(b, a);
}

/* The process began before main, by the time it has been runnable. */
Test(timings, the_process_began_before_main)
{
	timings_at_main();
	cr_assert_gt(timings_main_ns, 0);
	cr_assert_leq(timings_process_ns, timings_main_ns);
	cr_assert_leq(timings_main_ns, timings_now());
}

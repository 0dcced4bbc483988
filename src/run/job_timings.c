/* The supervisor's timing record of a job (brig/lib/timings.h) and the
 * exited event that carries it, written once nothing of the job is left. */
#include <stdio.h>
#include <string.h>

#include "brig/lib/log.h"
#include "brig/lib/timings.h"
#include "brig/lib/util.h"
#include "brig/run/job.h"
#include "brig/run/status.h"

/* The start path in its order, the child's stamps in between the
 * supervisor's: the supervisor's veth and filter run while the child
 * mounts, and count only for what the child waited on them. A stamp from
 * the child's side outside the job's life is not believed. */
void job_collect_timings(struct job *j, const uint64_t ends[TIMING_COUNT], uint64_t woke)
{
	struct child_marks m = *j->marks;
	uint64_t *child[] = { &m.go, &m.root, &m.landlock, &m.filter, &m.forked, &m.ready, &m.loaded, &m.reaped };
	for (size_t i = 0; i < ARRAY_SIZE(child); i++)
		if (*child[i] < ends[TIMING_CLONE] || *child[i] > woke)
			*child[i] = 0;
	/* The supervisor stamps a step after its last send to the child; a
	 * supervisor preempted between the two stamps after the child has
	 * gone on (the job exec'd, even), and the record would give the
	 * child's time since to the supervisor's step. The child's receipt
	 * bounds it: the step was over when the child had what it sent. */
	uint64_t maps_end = m.go && ends[TIMING_ID_MAPS] > m.go ? m.go : ends[TIMING_ID_MAPS];
	uint64_t filter_end = m.filter && ends[TIMING_SECCOMP] > m.filter ? m.filter : ends[TIMING_SECCOMP];
	struct timings *t = &j->timings;
	for (int s = TIMING_START; s <= TIMING_JANITOR; s++)
		timings_mark(t, (enum timing_step)s, ends[s]);
	timings_mark(t, TIMING_CLONE, ends[TIMING_CLONE]);
	timings_mark(t, TIMING_ID_MAPS, maps_end);
	timings_mark(t, TIMING_ID_MAPS, m.go);
	timings_mark(t, TIMING_MOUNTS, m.root);
	timings_mark(t, TIMING_LANDLOCK, m.landlock);
	timings_mark(t, TIMING_VETH, ends[TIMING_VETH]);
	timings_mark(t, TIMING_SECCOMP, filter_end);
	timings_mark(t, TIMING_SECCOMP, m.filter);
	timings_mark(t, TIMING_FORK, m.forked);
	timings_mark(t, TIMING_IDENTITY, m.ready);
	timings_mark(t, TIMING_SECCOMP, m.loaded);
	timings_mark(t, TIMING_EXEC, m.reaped);
	timings_mark(t, TIMING_WAIT, woke);
	timings_mark(t, TIMING_REPORT, timings_now());
}

/* --timings: the record on stderr, one line. */
static void print_timings(const struct status_exit *x)
{
	char line[1024];
	size_t n = 0;
	for (size_t i = 0; i < TIMING_COUNT && n < sizeof line; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, "%s %.2f, ", timings_name((enum timing_step)i),
				      x->timings_ms[i]);
	if (n < sizeof line)
		snprintf(line + n, sizeof line - n, "total %.2f", x->timings_total_ms);
	fprintf(stderr, "brig: timings (ms): %s\n", line);
}

/* The exited event, once nothing of the job is left: its timings include
 * the teardown. */
void job_report_exit(struct job *j)
{
	struct status_exit *x = &j->exit;
	timings_mark(&j->timings, TIMING_TEARDOWN, timings_now());
	x->timings_total_ms = timings_ms(&j->timings, x->timings_ms);
	x->have_timings = true;
	_cleanup_free_ char *line = status_format_exited(j->id, x);
	int r = status_write(j->status_fd, line);
	if (r < 0)
		log_warn("cannot write the status: %s", strerror(-r));
	if (j->c->timings)
		print_timings(x);
}

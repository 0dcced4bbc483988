/* A job that runs and does nothing costs brig nothing: no process of
 * brig's (supervisor, janitor, seccomp handler, the job's init) wakes
 * while it sleeps. A supervisor that polled, or whose wait spun on a
 * ready descriptor, would. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(steady);

#define MAX_PROCS 16

struct procs {
	pid_t pid[MAX_PROCS];
	char comm[MAX_PROCS][32];
	size_t n;
};

/* brig and its descendants named brig*, depth first. */
static void collect(struct procs *ps, pid_t pid)
{
	char path[96], *comm, *kids;
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	if (!(comm = file_read(path)))
		return;
	comm[strcspn(comm, "\n")] = '\0';
	if (strncmp(comm, "brig", 4) == 0 && ps->n < MAX_PROCS) {
		ps->pid[ps->n] = pid;
		snprintf(ps->comm[ps->n], sizeof ps->comm[0], "%s", comm);
		ps->n++;
	}
	free(comm);
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (!(kids = file_read(path)))
		return;
	pid_t child[MAX_PROCS];
	size_t n = 0;
	for (char *s = kids, *end; n < MAX_PROCS; s = end) {
		long v = strtol(s, &end, 10);
		if (end == s)
			break;
		child[n++] = (pid_t)v;
	}
	free(kids);
	for (size_t i = 0; i < n; i++)
		collect(ps, child[i]);
}

/* Voluntary and involuntary context switches of pid so far. */
static long switches(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	char *text = file_read(path);
	cr_assert(text, "cannot read %s", path);
	long n = 0;
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		long v;
		if (sscanf(l, "voluntary_ctxt_switches: %ld", &v) == 1 ||
		    sscanf(l, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
			n += v;
	}
	free(text);
	return n;
}

Test(steady, an_idle_job_wakes_no_process_of_brig, .timeout = 120)
{
	struct brig_proc p;
	brig_start(&p, NULL, BRIG_ARGS("run", "--", "/bin/sh", "-c", "echo ready; exec sleep 60"));
	cr_assert(brig_wait_stdout(&p, "ready", 30), "the job did not start:\n%s", p.err.data);
	struct procs ps = { .n = 0 };
	collect(&ps, p.pid);
	cr_assert_geq(ps.n, 2, "brig's processes not found under %d", (int)p.pid);
	/* The first window lets the job's exec of sleep go by; brig has
	 * nothing to do in it either, but the test asserts on the second. */
	long before[MAX_PROCS], after[MAX_PROCS];
	useconds_t window = (useconds_t)(1e6 * harness_time_scale());
	usleep(window);
	for (size_t i = 0; i < ps.n; i++)
		before[i] = switches(ps.pid[i]);
	usleep(window);
	for (size_t i = 0; i < ps.n; i++)
		after[i] = switches(ps.pid[i]);
	for (size_t i = 0; i < ps.n; i++)
		cr_expect_eq(after[i], before[i], "%s (%d) woke %ld times in %.1f s of a job's sleep", ps.comm[i],
			     (int)ps.pid[i], after[i] - before[i], window / 1e6);
	struct brig_result r;
	kill(p.pid, SIGTERM);
	brig_finish(&p, &r, 30);
	cr_assert_neq(r.status, 0, "a job ended by SIGTERM does not report success" RESULT_FMT, RESULT_ARGS(r));
}

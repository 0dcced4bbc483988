/* probe: which processes outside this job are visible and signalable, and
 * whether something reaps orphans. "Outside" is every process that is not
 * this one, one of its ancestors, or in its session. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brig/probe/probe.h"
#include "brig/lib/util.h"

static pid_t parent_of(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	int pp = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "PPid: %d", &pp) == 1)
			break;
	return pp;
}

static bool is_ancestor(pid_t pid)
{
	for (pid_t p = getppid(); p > 0; p = parent_of(p))
		if (p == pid)
			return true;
	return false;
}

/* Calls fn for each outside process until it returns true. */
static size_t outside(bool (*fn)(pid_t, void *), void *data, pid_t *first)
{
	_cleanup_(closedirp) DIR *d = opendir("/proc");
	size_t n = 0;
	if (!d)
		return 0;
	pid_t self = getpid(), sid = getsid(0);
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (*end || v <= 0)
			continue;
		pid_t pid = (pid_t)v;
		if (pid == self || getsid(pid) == sid || is_ancestor(pid))
			continue;
		/* Kernel threads have no memory map; they are visible on any host. */
		if (getsid(pid) == 0)
			continue;
		n++;
		if (first && !*first)
			*first = pid;
		if (fn && fn(pid, data))
			break;
	}
	return n;
}

static void comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	FILE *f = fopen(path, "re");
	buf[0] = 0;
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}

static void check_visible(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	pid_t first = 0;
	size_t n = outside(NULL, NULL, &first);
	char comm[32];
	comm_of(first, comm, sizeof comm);
	if (n)
		probe_set(r, PROBE_EXPOSED, "%zu processes outside this job visible (e.g. %d %s)", n, first, comm);
	else
		probe_set(r, PROBE_BLOCKED, "only this job's processes are visible");
}

/* kill(pid, 0) checks permission and sends nothing. */
static bool signalable(pid_t pid, void *data)
{
	if (kill(pid, 0) == 0) {
		*(pid_t *)data = pid;
		return true;
	}
	return false;
}

static void check_signal(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	pid_t hit = 0, first = 0;
	size_t n = outside(signalable, &hit, &first);
	char comm[32];
	comm_of(hit, comm, sizeof comm);
	if (hit)
		probe_set(r, PROBE_EXPOSED, "kill(%d, 0) allowed (%s)", hit, comm);
	else if (n)
		probe_set(r, PROBE_BLOCKED, "%zu outside processes, none may be signalled", n);
	else
		probe_set(r, PROBE_BLOCKED, "no outside process to signal");
}

static void check_reaper(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	char comm[32];
	if (getpid() == 1) {
		probe_set(r, PROBE_EXPOSED, "the probe itself is PID 1: nothing reaps orphans");
		return;
	}
	comm_of(1, comm, sizeof comm);
	if (comm[0])
		probe_set(r, PROBE_BLOCKED, "PID 1 is %s", comm);
	else
		probe_set(r, PROBE_NA, "PID 1 not visible");
}

static const struct probe_check checks[] = {
	{ "processes.visible", PROBE_MEDIUM, check_visible },
	{ "processes.signal-outside", PROBE_HIGH, check_signal },
	{ "processes.pid1-reaper", PROBE_LOW, check_reaper },
};
const struct probe_category probe_processes = { "processes", checks, ARRAY_SIZE(checks), false };

/* The launch's timing record: see brig/lib/timings.h. */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "brig/lib/timings.h"

static const char *const names[TIMING_COUNT] = {
	[TIMING_START] = "start",
	[TIMING_PARSE] = "parse",     [TIMING_POLICY] = "policy",   [TIMING_ROOTFS] = "rootfs",
	[TIMING_CGROUP] = "cgroup",   [TIMING_NETWORK] = "network", [TIMING_JANITOR] = "janitor",
	[TIMING_CLONE] = "clone",     [TIMING_ID_MAPS] = "id_maps", [TIMING_MOUNTS] = "mounts", [TIMING_LANDLOCK] = "landlock",
	[TIMING_VETH] = "veth",       [TIMING_SECCOMP] = "seccomp", [TIMING_FORK] = "fork",
	[TIMING_IDENTITY] = "identity", [TIMING_EXEC] = "exec",    [TIMING_WAIT] = "wait",
	[TIMING_REPORT] = "report",   [TIMING_TEARDOWN] = "teardown",
};

uint64_t timings_main_ns, timings_process_ns;

uint64_t timings_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void timings_at_main(void)
{
	timings_main_ns = timings_process_ns = timings_now();
	int fd = open("/proc/self/schedstat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[96];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	unsigned long long on_cpu, waiting;
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &on_cpu, &waiting) == 2 && on_cpu + waiting < timings_main_ns)
		timings_process_ns = timings_main_ns - (on_cpu + waiting);
}

void timings_begin(struct timings *t, uint64_t ns)
{
	t->start_ns = ns;
	t->n = 0;
}

void timings_mark(struct timings *t, enum timing_step step, uint64_t ns)
{
	if (ns == 0 || (unsigned)step >= TIMING_COUNT || t->n >= TIMINGS_MAX_MARKS)
		return;
	t->marks[t->n].step = step;
	t->marks[t->n].ns = ns;
	t->n++;
}

double timings_ms(const struct timings *t, double ms[TIMING_COUNT])
{
	for (size_t i = 0; i < TIMING_COUNT; i++)
		ms[i] = 0;
	uint64_t latest = t->start_ns;
	for (size_t i = 0; i < t->n; i++) {
		/* Only what lies past every earlier stamp: parallel work that
		 * ended sooner cost the start nothing. */
		if (t->marks[i].ns <= latest)
			continue;
		ms[t->marks[i].step] += (double)(t->marks[i].ns - latest) / 1e6;
		latest = t->marks[i].ns;
	}
	return (double)(latest - t->start_ns) / 1e6;
}

const char *timings_name(enum timing_step step)
{
	return (unsigned)step < TIMING_COUNT ? names[step] : "?";
}

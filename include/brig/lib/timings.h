/* Where a launch's time goes: one record of the start path's critical
 * path, in milliseconds per step.
 *
 * The supervisor, the child and the job each stamp the end of their
 * steps with CLOCK_MONOTONIC (one clock for every process: brig makes no
 * time namespace). The stamps are added in the order of the start path;
 * a stamp counts only the time past the latest stamp before it, so a step
 * that ran while another process was busy (the supervisor's veth and
 * filter while the child mounts) counts only for the time the start
 * waited on it. The steps therefore add up to exactly the span from the
 * first stamp to the last. */
#pragma once
#include <stddef.h>
#include <stdint.h>

enum timing_step {
	TIMING_START,    /* brig's own start: from its fork by the caller, execve, the loader, to main() */
	TIMING_PARSE,    /* main() to the supervisor's start: options, profiles, config */
	TIMING_POLICY,   /* job id, status sink, seccomp policy read and checked */
	TIMING_ROOTFS,   /* tree lock, caches, host trees opened, workspace owners */
	TIMING_CGROUP,   /* the job's cgroup and its limits */
	TIMING_NETWORK,  /* net veth: lease, firewall rules, DNS responder */
	TIMING_JANITOR,  /* signal descriptors, the janitor's fork */
	TIMING_CLONE,    /* clone3 with every namespace */
	TIMING_ID_MAPS,  /* uid/gid maps, go, the child awake */
	TIMING_MOUNTS,   /* the child: root, namespace limits, hostname, loopback, the root built */
	TIMING_LANDLOCK, /* the child: the Landlock ruleset */
	TIMING_VETH,     /* net veth: the pair, addresses, routes */
	TIMING_SECCOMP,  /* filter compiled (or cached), sent, read; loaded in the job */
	TIMING_FORK,     /* environment, the job's fork */
	TIMING_IDENTITY, /* the job: session, signals, descriptors, ids, capabilities, cwd */
	TIMING_EXEC,     /* execve and the job's own run, to init reaping it */
	TIMING_WAIT,     /* init's report and exit, to the supervisor waking */
	TIMING_REPORT,   /* usage, counters, the exit status */
	TIMING_TEARDOWN, /* cgroup, firewall, lease, janitor, trees */
	TIMING_COUNT,
};

#define TIMINGS_MAX_MARKS 48

struct timings {
	uint64_t start_ns; /* the first stamp; 0 until set */
	size_t n;
	struct {
		enum timing_step step;
		uint64_t ns;
	} marks[TIMINGS_MAX_MARKS];
};

/* When main() began, and when the process did (0: not set): see
 * timings_at_main. */
extern uint64_t timings_main_ns, timings_process_ns;

/* Called first thing in main(): stamps main's start and estimates the
 * process's own, main's time less the time the process has been runnable
 * (on a CPU or waiting for one, /proc/self/schedstat): before main it
 * never sleeps, so that is its fork, execve and the dynamic loader. */
void timings_at_main(void);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t timings_now(void);
/* The record begins at ns (main's first line). */
void timings_begin(struct timings *t, uint64_t ns);
/* step ended at ns; 0 (a stamp never made) and stamps past the table's
 * size are ignored. */
void timings_mark(struct timings *t, enum timing_step step, uint64_t ns);
/* Milliseconds per step into ms[TIMING_COUNT]; returns the total, the
 * span from the beginning to the latest stamp, which the steps add up to. */
double timings_ms(const struct timings *t, double ms[TIMING_COUNT]);
/* The step's key in the status event and on --timings: "id_maps". */
const char *timings_name(enum timing_step step);

/* The in-namespace side: PID 1 of the job's namespaces. */
#pragma once
#include <stdint.h>

#include "brig/config/config.h"
#include "brig/fs/mount.h"

/* When the child's and the job's steps ended (CLOCK_MONOTONIC ns, 0: not
 * reached), on a page the supervisor shares with them for its timing
 * record (brig/lib/timings.h). The job's copy goes with its execve. */
struct child_marks {
	uint64_t go;      /* the id maps written and go received */
	uint64_t root;    /* the root built and pivoted into */
	uint64_t landlock; /* the Landlock ruleset in force */
	uint64_t filter;  /* the seccomp filter read */
	uint64_t forked;  /* the job's first step after the fork */
	uint64_t ready;   /* the job's identity and cwd, before its filter */
	uint64_t loaded;  /* the filter loaded: execve next */
	uint64_t reaped;  /* init reaped the job */
};

struct child_args {
	const struct brig_config *config;
	struct mount_plan *plan; /* opened by the supervisor, or empty (rootless) */
	const char *hostname;
	int sync_fd;
	bool pty; /* give the job a terminal of its own (brig/run/pty.h) */
	struct child_marks *marks; /* shared with the supervisor; never NULL */
};

/* Runs in the clone3 child; never returns. */
__attribute__((noreturn)) void child_main(struct child_args *a);

/* The in-namespace side: PID 1 of the job's namespaces. */
#pragma once
#include "brig/config/config.h"
#include "brig/fs/mount.h"

struct child_args {
	const struct brig_config *config;
	struct mount_plan *plan; /* opened by the supervisor, or empty (rootless) */
	const char *hostname;
	int sync_fd;
	bool pty; /* give the job a terminal of its own (brig/run/pty.h) */
};

/* Runs in the clone3 child; never returns. */
__attribute__((noreturn)) void child_main(struct child_args *a);

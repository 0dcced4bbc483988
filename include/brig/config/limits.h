/* The job's resource limits as configured: what the cgroup subsystem
 * (brig/cgroup/cgroup.h) turns into a cgroup v2 directory. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cgroup_io_limit {
	char *dev; /* as given: a path or MAJ:MIN, for messages */
	uint32_t major, minor;
	uint64_t rbps, wbps, riops, wiops; /* 0 = unlimited */
};

struct cgroup_limits {
	uint64_t memory;      /* memory.max in bytes; 0 = none */
	uint64_t memory_swap; /* memory.swap.max; meaningful when swap_set */
	bool memory_swap_set;
	uint64_t pids;          /* pids.max; 0 = none */
	uint64_t cpu_quota_us;  /* cpu.max quota per CGROUP_CPU_PERIOD_US; 0 = none */
	uint32_t cpu_weight;    /* cpu.weight 1..10000; 0 = unset */
	struct cgroup_io_limit *io;
	size_t n_io;
	bool best_effort; /* `limits best-effort`: a missing controller warns */
	bool best_effort_set;
	char *parent;     /* cgroup-parent; NULL = brig's default */
};

#define CGROUP_CPU_PERIOD_US 100000u

void cgroup_limits_free(struct cgroup_limits *l);

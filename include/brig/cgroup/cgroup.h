/* A cgroup v2 directory per job: limits, accounting, and the guarantee
 * that every process the job started is dead when brig returns. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brig/config/limits.h"
#include "brig/lib/err.h"

struct cgroup_usage {
	bool have_cpu, have_memory_peak, have_pids_peak, have_io;
	double cpu_user_ms, cpu_system_ms;
	uint64_t memory_peak, pids_peak, io_read_bytes, io_write_bytes;
	uint64_t oom_kills;
};

/* Controllers, as bits of cgroup_needed and cgroup_job.dropped. */
enum { CG_MEMORY = 1 << 0, CG_PIDS = 1 << 1, CG_CPU = 1 << 2, CG_IO = 1 << 3 };

struct cgroup_job {
	unsigned dropped; /* controllers whose limits run without (best-effort) */
	char dropped_reason[200];
	int fd;      /* the job's directory, O_DIRECTORY: for CLONE_INTO_CGROUP */
	int parent;  /* its parent, for the final rmdir */
	char name[32];
	char *path;  /* for messages */
	char *parent_path;
	bool own_parent; /* brig's default parent: removed with its last job */
};

/* Creates the job's cgroup with its limits. Returns 0 with job->fd >= 0,
 * 0 with job->fd == -1 when the host cannot give the job a cgroup and no
 * limit requires one (a warning says so), or -errno with e filled. */
int cgroup_create(const struct cgroup_limits *l, const char *job_id, bool rootless, struct cgroup_job *job,
		  struct brig_err *e);
/* Reads what the job used; call before cgroup_destroy. */
void cgroup_usage(const struct cgroup_job *job, struct cgroup_usage *u);
/* Kills everything left in the cgroup, waits until it is empty (events,
 * not a busy loop) and removes it. Idempotent. */
int cgroup_destroy(struct cgroup_job *job);
/* Which limits are set, as the controllers they need (bit per controller). */
unsigned cgroup_needed(const struct cgroup_limits *l);
/* Removes job directories under parent that are empty and older than
 * any set-up takes (a killed supervisor's). */
void cgroup_sweep_stale(int parent);
/* The v2 mount point of this host ("" when there is none). */
int cgroup_v2_root(char *buf, size_t len);

/* The supervisor's view of one job, shared by its set-up steps
 * (sandbox.c) and its wait and report (job_wait.c). Private to run/. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "brig/cgroup/cgroup.h"
#include "brig/config/config.h"
#include "brig/fs/mount.h"
#include "brig/fs/handback.h"
#include "brig/fs/rootfs.h"
#include "brig/lib/err.h"
#include "brig/lib/timings.h"
#include "brig/net/net_pool.h"
#include "brig/run/child.h"
#include "brig/run/janitor.h"
#include "brig/run/net_egress.h"
#include "brig/run/pty.h"
#include "brig/run/status.h"
#include "brig/seccomp/seccomp.h"
#include "brig/seccomp/seccomp_notify.h"

struct job {
	const struct brig_config *c;
	char id[16];
	char hostname[72];
	pid_t pid;
	int pidfd, sync, status_fd, sigfd, timerfd;
	struct mount_plan plan;
	struct handback handback; /* the job's files back to the trees' owners */
	struct rootfs_job rootfs;
	struct seccomp_policy policy;
	struct seccomp_notifier notifier;
	struct cgroup_job cg;
	struct janitor janitor;
	/* net veth */
	struct net_lease lease;
	char ifname[16];
	bool firewall;
	struct job_egress egress; /* egress by name: the job's DNS responder */
	bool pty;               /* the job gets a terminal: see brig/run/pty.h */
	struct pty_relay relay;
	struct pty_guard tty;   /* the caller's terminal, for the janitor */
	int state_fd;           /* gc's record of the --overlay-dir directory */
	struct timespec start;
	struct timings timings;     /* the start path's steps (brig/lib/timings.h) */
	struct child_marks *marks;  /* the child's and job's stamps: a shared page */
	uint64_t woke_ns;           /* when the wait saw init gone */
	/* What the wait learnt. */
	bool setup_failed, exec_failed, have_final, timed_out;
	int final_status, exec_errno;
	char message[256];
	/* The report: the exited event, written after the teardown. */
	bool have_exit;
	struct status_exit exit;
};

/* Arms the time limit's timerfd (none without a limit). -errno. */
int job_arm_timer(struct job *j);
/* Until init exits; then the one report: the job's end, or the setup
 * failure the child sent, or start (a failed start step). Returns brig's
 * exit status. */
int job_wait_and_report(struct job *j, const struct brig_err *start);
/* The timing record in the start path's order: the supervisor's step ends
 * (ends[], by timing step), the child's stamps, woke (the wait's end). */
void job_collect_timings(struct job *j, const uint64_t ends[TIMING_COUNT], uint64_t woke);
/* The exited event with the record, the teardown stamped now; --timings
 * prints the record on stderr. */
void job_report_exit(struct job *j);

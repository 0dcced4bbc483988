/* brig audit: the host-side ("outside") checks around one probe job. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "brig/probe/probe.h"

/* What the host side learnt about one job while it ran. */
struct audit_job {
	char id[64];
	pid_t pid;
	ino_t pidns;	       /* inode of the job's PID namespace, 0 if unknown */
	char cgroup[PATH_MAX]; /* the job's cgroup v2 directory on the host, "" if none */
	char limits[PROBE_EVIDENCE_MAX]; /* its limits as the host read them, "" if none */
	bool started;
};

/* One outside check: fills r (result, evidence) for a job that has ended. */
struct audit_outside_check {
	const char *id;
	enum probe_severity severity;
	void (*fn)(const struct audit_job *job, struct probe_report *r);
};

extern const struct audit_outside_check audit_outside_checks[];
extern const size_t audit_outside_count;

/* JSON status events (one object per line) on --status-fd/--status-file. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "brig/cgroup/cgroup.h"
#include "brig/config/config.h"
#include "brig/lib/timings.h"
#include "brig/net/firewall.h"
#include "brig/seccomp/seccomp_notify.h"
#include "brig/net/dns_responder.h"

struct status_exit {
	int exit_code;   /* the job's code, -1 when a signal ended it */
	int signal;      /* 0 when it exited */
	bool timed_out;
	bool oom_killed;
	double wall_ms, cpu_user_ms, cpu_system_ms;
	long max_rss_kib;
	unsigned long denials; /* refused system calls */
	struct seccomp_refusals refused; /* watched calls the kernel refused (a copy: the handler's counts go with it) */
	bool have_memory_peak, have_pids_peak, have_io; /* from the job's cgroup */
	uint64_t memory_peak, pids_peak, io_read_bytes, io_write_bytes;
	bool have_firewall; /* net veth: packets the firewall refused, by class */
	struct fw_counters firewall;
	const struct dns_name_count *egress_names; /* egress by name: answered and refused, per name */
	size_t n_egress_names;
	bool have_timings; /* milliseconds per start and teardown step */
	double timings_ms[TIMING_COUNT], timings_total_ms;
};

/* Opens the sink the config names; -1 in *fd when there is none. */
int status_open(const struct brig_config *c, int *fd);

/* The lines themselves, for tests: malloc'ed, newline-terminated. */
/* cg: the job's cgroup, whose dropped limits (best-effort, controller
 * missing) are left out of "limits" and listed in "limits_dropped" with
 * the reason; NULL when there is none to tell. */
char *status_format_started(const char *id, pid_t pid, const struct brig_config *c, const struct cgroup_job *cg);
char *status_format_exited(const char *id, const struct status_exit *e);
/* brig could not set the job up; nothing of it ran. */
char *status_format_failed(const char *id, const char *message);
char *status_format_denied(const char *id, const struct seccomp_denial *d);

/* egress by name: a name or an answer the job's DNS responder refused. */
char *status_format_egress_denied(const char *id, const struct dns_event *e);

/* Writes one line; a failing sink is reported once by the caller. */
int status_write(int fd, const char *line);

/* JSON status events, one object per line, written with json-c. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brig/fs/landlock.h"
#include "brig/lib/exit.h"
#include "brig/lib/json.h"
#include "brig/run/status.h"
#include "brig/lib/util.h"

int status_open(const struct brig_config *c, int *fd)
{
	*fd = -1;
	if (c->status_fd >= 0) {
		/* A private copy, close-on-exec, so the job never inherits it. */
		*fd = fcntl(c->status_fd, F_DUPFD_CLOEXEC, 3);
		return *fd < 0 ? -errno : 0;
	}
	if (c->status_file) {
		*fd = open(c->status_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
		return *fd < 0 ? -errno : 0;
	}
	return 0;
}

static json_object *event(const char *name, const char *id)
{
	json_object *o = json_object_new_object();
	if (o) {
		json_object_object_add(o, "event", json_object_new_string(name));
		json_object_object_add(o, "id", json_object_new_string(id));
	}
	return o;
}

/* One limit: under "limits" when enforced (null when not set), under
 * "limits_dropped" with the reason when the host could not enforce it. */
static void add_limit(json_object *limits, json_object *dropped, const char *name, json_object *value,
		      bool was_dropped, const char *reason)
{
	if (!value || !was_dropped) {
		json_object_object_add(limits, name, value);
		return;
	}
	json_object_object_add(limits, name, NULL);
	json_object *d = json_object_new_object();
	json_object_object_add(d, "requested", value);
	json_object_object_add(d, "reason", json_object_new_string(reason));
	json_object_object_add(dropped, name, d);
}

/* {"in_force": true, "abi": N} or {"in_force": false, "reason": "..."}:
 * the same answer the job's init acts on (src/run/child.c), which fails
 * the start rather than run the job without a domain it was to have. */
static json_object *landlock_field(const struct brig_config *c)
{
	json_object *l = json_object_new_object();
	int abi = landlock_job_abi(c);
	json_object_object_add(l, "in_force", json_object_new_boolean(abi > 0));
	if (abi > 0)
		json_object_object_add(l, "abi", json_object_new_int(abi));
	else
		json_object_object_add(l, "reason", json_object_new_string(landlock_absent_reason(abi)));
	return l;
}

char *status_format_started(const char *id, pid_t pid, const struct brig_config *c, const struct cgroup_job *cg)
{
	_cleanup_json_ json_object *o = event("started", id);
	if (!o)
		return NULL;
	json_object_object_add(o, "pid", json_object_new_int(pid));
	json_object *limits = json_object_new_object(), *dropped = json_object_new_object();
	const struct cgroup_limits *l = &c->limits;
	unsigned gone = cg ? cg->dropped : 0;
	const char *why = cg ? cg->dropped_reason : "";
	json_object_object_add(limits, "timeout_ms",
			       c->timeout_ms ? json_object_new_int64((int64_t)c->timeout_ms) : NULL);
	add_limit(limits, dropped, "memory_bytes", l->memory ? json_object_new_int64((int64_t)l->memory) : NULL,
		  gone & CG_MEMORY, why);
	add_limit(limits, dropped, "pids", l->pids ? json_object_new_int64((int64_t)l->pids) : NULL, gone & CG_PIDS,
		  why);
	add_limit(limits, dropped, "cpus",
		  l->cpu_quota_us ? json_decimal((double)l->cpu_quota_us / CGROUP_CPU_PERIOD_US) : NULL, gone & CG_CPU, why);
	/* Limits "limits" never lists: named only when dropped. */
	json_object *scratch = json_object_new_object();
	if (l->cpu_weight)
		add_limit(scratch, dropped, "cpu_weight", json_object_new_int((int)l->cpu_weight), gone & CG_CPU, why);
	if (l->n_io)
		add_limit(scratch, dropped, "io", json_object_new_int64((int64_t)l->n_io), gone & CG_IO, why);
	json_object_put(scratch);
	json_object_object_add(o, "limits", limits);
	json_object_object_add(o, "limits_dropped", dropped);
	json_object_object_add(o, "landlock", landlock_field(c));
	return json_line(o);
}


static void printable(const char *in, char *out, size_t len);

/* {"id_mapping":N,"capability":N,"first":[{"syscall":..,"pid":..,"comm":..,"id":..}]} */
static json_object *refused_object(const struct seccomp_refusals *f)
{
	static const char *const kinds[] = { [SC_REFUSED_ID_MAPPING] = "id_mapping",
					     [SC_REFUSED_CAPABILITY] = "capability" };
	json_object *o = json_object_new_object(), *first = json_object_new_array();
	for (int k = 0; k < SC_REFUSED_KINDS; k++)
		json_object_object_add(o, kinds[k], json_object_new_int64(f ? (int64_t)f->count[k] : 0));
	for (size_t i = 0; f && i < f->n_first; i++) {
		const struct seccomp_refused_call *c = &f->first[i];
		json_object *x = json_object_new_object();
		_cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, c->nr);
		json_object_object_add(x, "syscall", json_object_new_string(name ? name : "?"));
		json_object_object_add(x, "kind", json_object_new_string(kinds[c->kind]));
		json_object_object_add(x, "pid", json_object_new_int(c->pid));
		char comm[sizeof c->comm];
		printable(c->comm, comm, sizeof comm);
		json_object_object_add(x, "comm", json_object_new_string(comm));
		json_object_object_add(x, "id", c->id >= 0 ? json_object_new_int64(c->id) : NULL);
		json_object_array_add(first, x);
	}
	json_object_object_add(o, "first", first);
	return o;
}

char *status_format_exited(const char *id, const struct status_exit *e)
{
	_cleanup_json_ json_object *o = event("exited", id);
	if (!o)
		return NULL;
	json_object_object_add(o, "exit_code", e->signal ? NULL : json_object_new_int(e->exit_code));
	const char *sig = e->signal ? sigabbrev_np(e->signal) : NULL;
	char signame[32];
	if (sig)
		snprintf(signame, sizeof signame, "SIG%s", sig);
	else
		snprintf(signame, sizeof signame, "%d", e->signal);
	json_object_object_add(o, "signal", e->signal ? json_object_new_string(signame) : NULL);
	json_object_object_add(o, "timed_out", json_object_new_boolean(e->timed_out));
	json_object_object_add(o, "oom_killed", json_object_new_boolean(e->oom_killed));
	json_object_object_add(o, "wall_time_ms", json_decimal(e->wall_ms));
	json_object_object_add(o, "cpu_user_ms", json_decimal(e->cpu_user_ms));
	json_object_object_add(o, "cpu_system_ms", json_decimal(e->cpu_system_ms));
	json_object_object_add(o, "max_rss_kib", json_object_new_int64(e->max_rss_kib));
	json_object_object_add(o, "denials", json_object_new_int64((int64_t)e->denials));
	json_object_object_add(o, "refused", refused_object(&e->refused));
	json_object_object_add(o, "memory_peak_bytes",
			       e->have_memory_peak ? json_object_new_int64((int64_t)e->memory_peak) : NULL);
	json_object_object_add(o, "pids_peak", e->have_pids_peak ? json_object_new_int64((int64_t)e->pids_peak) : NULL);
	json_object_object_add(o, "io_read_bytes", e->have_io ? json_object_new_int64((int64_t)e->io_read_bytes) : NULL);
	json_object_object_add(o, "io_write_bytes",
			       e->have_io ? json_object_new_int64((int64_t)e->io_write_bytes) : NULL);
	json_object *fw = e->have_firewall ? json_object_new_object() : NULL;
	if (fw) {
		const struct fw_counters *f = &e->firewall;
		json_object_object_add(fw, "metadata", json_object_new_int64((int64_t)f->metadata));
		json_object_object_add(fw, "host", json_object_new_int64((int64_t)f->host));
		json_object_object_add(fw, "private", json_object_new_int64((int64_t)f->private_ranges));
		json_object_object_add(fw, "policy", json_object_new_int64((int64_t)f->policy));
		json_object_object_add(fw, "spoofed", json_object_new_int64((int64_t)f->spoof));
	}
	json_object_object_add(o, "firewall_rejected", fw);
	json_object *names = e->egress_names ? json_object_new_object() : NULL;
	for (size_t i = 0; names && i < e->n_egress_names; i++) {
		const struct dns_name_count *n = &e->egress_names[i];
		json_object *c = json_object_new_object();
		json_object_object_add(c, "allowed", json_object_new_int64((int64_t)n->allowed));
		json_object_object_add(c, "denied", json_object_new_int64((int64_t)n->denied));
		/* "" gathers the names past the responder's table. */
		json_object_object_add(names, n->name[0] ? n->name : "(other)", c);
	}
	if (names)
		json_object_object_add(o, "egress_names", names);
	json_object *t = e->have_timings ? json_object_new_object() : NULL;
	for (size_t i = 0; t && i < TIMING_COUNT; i++)
		json_object_object_add(t, timings_name((enum timing_step)i), json_decimal(e->timings_ms[i]));
	if (t) {
		json_object_object_add(t, "total", json_decimal(e->timings_total_ms));
		json_object_object_add(o, "timings", t);
	}
	return json_line(o);
}

char *status_format_failed(const char *id, const char *message)
{
	_cleanup_json_ json_object *o = event("failed", id);
	if (!o)
		return NULL;
	json_object_object_add(o, "message", json_object_new_string(message));
	json_object_object_add(o, "exit_code", json_object_new_int(EXIT_BRIG));
	return json_line(o);
}

/* A job names its processes as it likes (PR_SET_NAME takes any bytes),
 * and every status line must stay UTF-8 text: keep printable ASCII, make
 * everything else '?'. */
static void printable(const char *in, char *out, size_t len)
{
	size_t n = 0;
	for (; *in && n + 1 < len; in++)
		out[n++] = (*in >= 0x20 && *in < 0x7f) ? *in : '?';
	out[n] = '\0';
}

char *status_format_denied(const char *id, const struct seccomp_denial *d)
{
	char comm[64];
	printable(d->comm, comm, sizeof comm);
	_cleanup_json_ json_object *o = event("denied", id);
	if (!o)
		return NULL;
	json_object_object_add(o, "kind", json_object_new_string("seccomp"));
	json_object_object_add(o, "syscall", json_object_new_string(d->syscall));
	json_object_object_add(o, "nr", json_object_new_int(d->nr));
	json_object_object_add(o, "pid", json_object_new_int(d->pid));
	json_object_object_add(o, "comm", json_object_new_string(comm));
	json_object_object_add(o, "action", json_object_new_string(d->action));
	const char *err = d->err ? strerrorname_np(d->err) : NULL;
	json_object_object_add(o, "errno", err ? json_object_new_string(err) : NULL);
	return json_line(o);
}

char *status_format_egress_denied(const char *id, const struct dns_event *e)
{
	_cleanup_json_ json_object *o = event("egress-denied", id);
	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(e->name));
	json_object_object_add(o, "address", e->address ? json_object_new_string(e->address) : NULL);
	json_object_object_add(o, "port", json_object_new_int(e->port ? e->port : 53));
	json_object_object_add(o, "proto", json_object_new_string(e->proto));
	json_object_object_add(o, "reason", json_object_new_string(e->reason));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)e->count));
	json_object_object_add(o, "suppressed", json_object_new_int64((int64_t)e->suppressed));
	return json_line(o);
}

int status_write(int fd, const char *line)
{
	if (fd < 0)
		return 0;
	if (!line)
		return -ENOMEM;
	size_t len = strlen(line);
	while (len) {
		ssize_t n = write(fd, line, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		line += n;
		len -= (size_t)n;
	}
	return 0;
}

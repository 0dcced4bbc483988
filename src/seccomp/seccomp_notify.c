/* The supervisor's side of the refusal filter: every refused call arrives
 * here as a user notification, is decided by the policy, answered, and
 * reported by name. Needs neither auditd nor the kernel log. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "brig/lib/log.h"
#include "brig/seccomp/seccomp_notify.h"
#include "brig/lib/sys.h"
#include "brig/lib/util.h"

/* Past this many events for one call, a job that hammers it is only
 * counted; the total is in the exited event. */
#define EVENTS_PER_CALL 32

struct seen {
	int nr;
	unsigned long count;
};

int seccomp_notifier_init(struct seccomp_notifier *n, const struct seccomp_policy *p, seccomp_denial_fn *on_denial,
			  void *ctx, bool quiet)
{
	struct seccomp_notif_sizes sizes;
	*n = (struct seccomp_notifier){ .fd = -1, .policy = p, .on_denial = on_denial, .ctx = ctx,
					.quiet = quiet };
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -errno;
	/* The kernel may know a larger struct than these headers. */
	n->req_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif
									   : sizeof(struct seccomp_notif);
	n->resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
			       ? sizes.seccomp_notif_resp
			       : sizeof(struct seccomp_notif_resp);
	return 0;
}

static struct seen *seen_for(struct seccomp_notifier *n, int nr)
{
	for (size_t i = 0; i < n->n_seen; i++)
		if (n->seen[i].nr == nr)
			return &n->seen[i];
	struct seen *grown = realloc(n->seen, (n->n_seen + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	n->seen = grown;
	n->seen[n->n_seen] = (struct seen){ .nr = nr };
	return &n->seen[n->n_seen++];
}

/* The calling thread's process: its host id (to kill it), its id as the
 * job sees it, and its program name. */
static void describe(pid_t host_tid, pid_t *host_tgid, pid_t *job_pid, char *comm, size_t len)
{
	char path[64], buf[4096];
	*host_tgid = host_tid;
	*job_pid = host_tid;
	snprintf(comm, len, "?");
	snprintf(path, sizeof path, "/proc/%d/status", (int)host_tid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (got <= 0)
		return;
	buf[got] = '\0';
	const char *name = strstr(buf, "Name:\t");
	if (name) {
		/* The job names itself: no escape sequence reaches a terminal. */
		snprintf(comm, len, "%.*s", (int)strcspn(name + 6, "\n"), name + 6);
		for (char *p = comm; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	const char *tgid = strstr(buf, "\nTgid:");
	if (tgid)
		*host_tgid = (pid_t)strtol(tgid + 6, NULL, 10);
	/* NStgid, not NSpid: a thread's process, as the job sees it. */
	const char *ns = strstr(buf, "NStgid:");
	if (ns) {
		ns += strcspn(ns, "\n");
		const char *last = ns;
		while (last > buf && last[-1] != '\t' && last[-1] != ' ')
			last--;
		*job_pid = (pid_t)strtol(last, NULL, 10);
	}
}

static const char *action_name(const struct sc_rule *r)
{
	static const char *const names[] = { [SC_ALLOW] = "allow", [SC_ERRNO] = "errno", [SC_KILL] = "kill",
					     [SC_LOG] = "log" };
	return names[r->action];
}

static void report(struct seccomp_notifier *n, const struct seccomp_notif *req, const struct sc_rule *r, pid_t pid,
		   const char *comm)
{
	_cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
	struct seen *s = seen_for(n, req->data.nr);
	unsigned long count = s ? ++s->count : 1;
	if (count > EVENTS_PER_CALL)
		return;
	struct seccomp_denial d = {
		.syscall = name ? name : "?",
		.nr = req->data.nr,
		.pid = pid,
		.comm = comm,
		.action = action_name(r),
		.err = r->action == SC_ERRNO ? r->err : 0,
	};
	if (n->on_denial)
		n->on_denial(n->ctx, &d);
	if (count == 1 && !n->quiet)
		log_warn("%s %s(2) to pid %d (%s)", r->action == SC_LOG ? "logged" : "denied", d.syscall, (int)pid,
			 comm);
}

int seccomp_notifier_handle(struct seccomp_notifier *n)
{
	_cleanup_free_ struct seccomp_notif *req = calloc(1, n->req_size);
	_cleanup_free_ struct seccomp_notif_resp *resp = calloc(1, n->resp_size);
	if (!req || !resp)
		return -ENOMEM;
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
		/* ENOENT: the caller died before we read it. */
		return errno == ENOENT || errno == EINTR ? 0 : -errno;
	const struct sc_rule *r = seccomp_policy_decide(n->policy, req->data.nr, (const uint64_t *)req->data.args);
	resp->id = req->id;
	if (!r || r->action == SC_ALLOW || r->action == SC_LOG) {
		/* Only integer arguments are ever compared, so letting the
		 * call continue cannot race with the caller's memory. */
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		resp->error = -(r->action == SC_ERRNO ? r->err : EPERM);
	}
	pid_t tgid = 0, job_pid = 0;
	char comm[64];
	if (r && (r->action == SC_KILL || (r->action != SC_ALLOW && !r->quiet)))
		describe((pid_t)req->pid, &tgid, &job_pid, comm, sizeof comm);
	if (r && r->action != SC_ALLOW && !r->quiet)
		report(n, req, r, job_pid, comm);
	if (r && r->action == SC_KILL) {
		/* The whole process: pidfd_open takes no thread id but the
		 * leader's. */
		_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
		if (pidfd >= 0)
			sys_pidfd_send_signal(pidfd, SIGKILL);
	}
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

unsigned long seccomp_notifier_total(const struct seccomp_notifier *n)
{
	unsigned long t = 0;
	for (size_t i = 0; i < n->n_seen; i++)
		t += n->seen[i].count;
	return t;
}

void seccomp_notifier_free(struct seccomp_notifier *n)
{
	if (n->fd >= 0)
		close(n->fd);
	free(n->seen);
	n->seen = NULL;
	n->n_seen = 0;
	n->fd = -1;
}

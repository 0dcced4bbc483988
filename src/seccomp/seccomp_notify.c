/* The answering side of the refusal filter: every refused call arrives
 * here as a user notification, is decided by the policy, answered, and
 * reported by name. Needs neither auditd nor the kernel log.
 *
 * Why a process of its own, in the job's cgroup: a job can refuse itself
 * calls as fast as it can make them, and each costs its answerer a few
 * system calls. Answered by the supervisor, outside the job's cgroup, a
 * million refusals cost the host more CPU than the job spent making them,
 * and --cpus could not bound it. The handler is charged like any process
 * of the job, and past the first EVENTS_PER_CALL refusals of a call it
 * only counts: no /proc read, no name lookup, no event. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/lib/log.h"
#include "brig/seccomp/seccomp_notify.h"
#include "brig/lib/sys.h"
#include "brig/lib/util.h"

/* Past this many events for one call, a job that hammers it is only
 * counted; the total is in the exited event. */
#define EVENTS_PER_CALL 32

/* Counted by number below this (every native call); a number past it
 * (none the native ABI has today) is counted with the rest in `other`. */
#define COUNTED_CALLS 1024

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* Written by the handler only, read by the supervisor once it is gone. */
struct notify_counts {
	unsigned long seen[COUNTED_CALLS];
	unsigned long other, other_events;
	double cpu_ms;
	struct seccomp_refusals refused;
};

int seccomp_notifier_init(struct seccomp_notifier *n, const struct seccomp_policy *p, seccomp_denial_fn *on_denial,
			  void *ctx, int sink_fd, bool quiet)
{
	struct seccomp_notif_sizes sizes;
	*n = (struct seccomp_notifier){ .fd = -1, .policy = p, .on_denial = on_denial, .ctx = ctx,
					.sink_fd = sink_fd, .quiet = quiet, .handler_pidfd = -1 };
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
		return -errno;
	/* The kernel may know a larger struct than these headers. */
	n->req_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif
									   : sizeof(struct seccomp_notif);
	n->resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp)
			       ? sizes.seccomp_notif_resp
			       : sizeof(struct seccomp_notif_resp);
	n->req = calloc(1, n->req_size);
	n->resp = calloc(1, n->resp_size);
	void *shared = mmap(NULL, sizeof *n->counts, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!n->req || !n->resp || shared == MAP_FAILED) {
		seccomp_notifier_free(n);
		return -ENOMEM;
	}
	n->counts = shared;
	n->counts->cpu_ms = -1;
	return 0;
}

/* How often nr was refused, this one included. */
static unsigned long count_call(struct notify_counts *c, int nr)
{
	if (nr >= 0 && nr < COUNTED_CALLS)
		return ++c->seen[nr];
	/* Unknown numbers share one budget of events. */
	c->other++;
	return ++c->other_events;
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
					     [SC_LOG] = "log", [SC_WATCH] = "watch" };
	return names[r->action];
}

static void report(struct seccomp_notifier *n, const struct seccomp_notif *req, const struct sc_rule *r)
{
	/* Past the cap a refusal costs a compare and an increment. */
	unsigned long count = count_call(n->counts, req->data.nr);
	if (count > EVENTS_PER_CALL)
		return;
	pid_t tgid, pid;
	char comm[64];
	describe((pid_t)req->pid, &tgid, &pid, comm, sizeof comm);
	_cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
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

/* The pidfd is opened first, then the notification checked still
 * pending: while it is, the thread req->pid names is the caller, blocked
 * in this very call, so the pidfd is the caller's and not that of a later
 * process given a recycled id. A pid read and signalled later could be
 * anyone's. */
static void kill_caller(struct seccomp_notifier *n, const struct seccomp_notif *req)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)req->pid, PIDFD_THREAD);
	if (pidfd < 0 && errno == EINVAL) {
		/* A kernel before 6.9 opens only a process's leader. */
		pid_t tgid, job_pid;
		char comm[8];
		describe((pid_t)req->pid, &tgid, &job_pid, comm, sizeof comm);
		pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
	}
	if (pidfd < 0)
		return;
	uint64_t id = req->id;
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		return;
	/* SIGKILL to any thread ends its whole process. */
	sys_pidfd_send_signal(pidfd, SIGKILL);
}

/* A watched call, which the kernel is about to refuse: counted, and the
 * first few described (the only /proc reads a watch costs). */
static void note_refused(struct seccomp_notifier *n, const struct seccomp_notif *req, const struct sc_rule *r)
{
	long id;
	int kind = seccomp_watch_classify(n->policy, r, (pid_t)req->pid, (const uint64_t *)req->data.args, &id);
	if (kind < 0)
		return;
	struct seccomp_refusals *f = &n->counts->refused;
	f->count[kind]++;
	if (f->n_first >= SECCOMP_REFUSED_FIRST)
		return;
	struct seccomp_refused_call *c = &f->first[f->n_first++];
	pid_t tgid;
	c->nr = req->data.nr;
	c->kind = (enum sc_refusal)kind;
	c->id = id;
	describe((pid_t)req->pid, &tgid, &c->pid, c->comm, sizeof c->comm);
}

int seccomp_notifier_handle(struct seccomp_notifier *n)
{
	struct seccomp_notif *req = n->req;
	struct seccomp_notif_resp *resp = n->resp;
	memset(req, 0, n->req_size);
	memset(resp, 0, n->resp_size);
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
		/* ENOENT: the caller died before we read it. */
		return errno == ENOENT || errno == EINTR ? 0 : -errno;
	const struct sc_rule *r = seccomp_policy_decide(n->policy, req->data.nr, (const uint64_t *)req->data.args);
	resp->id = req->id;
	if (r && r->unless_dir) {
		int done = seccomp_chmod_dir(n->fd, req);
		if (done != 0) {
			/* Done here, or the kernel's own answer: no refusal. */
			resp->error = done > 0 ? 0 : done;
			if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
				return -errno;
			return 0;
		}
	}
	if (r && r->action == SC_WATCH)
		note_refused(n, req, r);
	if (!r || r->action == SC_ALLOW || r->action == SC_LOG || r->action == SC_WATCH) {
		/* Only integer arguments are ever compared, so letting the
		 * call continue cannot race with the caller's memory. */
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		resp->error = -(r->action == SC_ERRNO ? r->err : EPERM);
	}
	if (r && r->action != SC_ALLOW && r->action != SC_WATCH && !r->quiet)
		report(n, req, r);
	if (r && r->action == SC_KILL)
		kill_caller(n, req);
	if (ioctl(n->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Until the listener hangs up: the last filtered process is gone. */
__attribute__((noreturn)) static void handler_main(struct seccomp_notifier *n)
{
	/* Nothing of the supervisor's but the listener, the status and
	 * stderr: a copy of the janitor's pipe would keep it waiting. */
	int keep[] = { 2, n->fd, n->sink_fd };
	for (int i = 0; i < 3; i++)
		for (int k = i + 1; k < 3; k++)
			if (keep[k] < keep[i]) {
				int t = keep[i];
				keep[i] = keep[k];
				keep[k] = t;
			}
	unsigned from = 0;
	for (int i = 0; i < 3; i++) {
		if (keep[i] < 0)
			continue;
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0u, 0);
	prctl(PR_SET_NAME, "brig-seccomp", 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p = { .fd = n->fd, .events = POLLIN };
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p.revents & POLLIN) {
			if (seccomp_notifier_handle(n) < 0)
				break;
		} else if (p.revents) {
			break;
		}
	}
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		n->counts->cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
				    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	_exit(0);
}

int seccomp_notifier_start(struct seccomp_notifier *n, int cgroup_fd)
{
	int pidfd = -1;
	if (n->fd < 0 || n->handler > 0)
		return -EINVAL;
	struct clone_args args = {
		.flags = CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
		.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
	};
	pid_t parent = getpid();
	pid_t pid = sys_clone3(&args);
	if (pid < 0)
		return pid;
	if (pid == 0) {
		/* Signals the supervisor blocks for its signalfd are the
		 * supervisor's business; the handler ends with its parent.
		 * A parent that died first shows as another parent: init, or
		 * the caller's subreaper, never 1 alone. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
			_exit(0);
		handler_main(n);
	}
	n->handler = pid;
	n->handler_pidfd = pidfd;
	close(n->fd);
	n->fd = -1;
	return 0;
}

void seccomp_notifier_finish(struct seccomp_notifier *n, int timeout_ms)
{
	if (n->handler <= 0)
		return;
	struct pollfd p = { .fd = n->handler_pidfd, .events = POLLIN };
	while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR)
		;
	if (!(p.revents & POLLIN))
		sys_pidfd_send_signal(n->handler_pidfd, SIGKILL);
	while (waitpid(n->handler, NULL, 0) < 0 && errno == EINTR)
		;
	n->handler = 0;
	close(n->handler_pidfd);
	n->handler_pidfd = -1;
}

double seccomp_notifier_cpu_ms(const struct seccomp_notifier *n)
{
	return n->counts ? n->counts->cpu_ms : -1;
}

const struct seccomp_refusals *seccomp_notifier_refused(const struct seccomp_notifier *n)
{
	return n->counts ? &n->counts->refused : NULL;
}

unsigned long seccomp_notifier_total(const struct seccomp_notifier *n)
{
	if (!n->counts)
		return 0;
	unsigned long t = n->counts->other;
	for (size_t i = 0; i < COUNTED_CALLS; i++)
		t += n->counts->seen[i];
	return t;
}

void seccomp_notifier_free(struct seccomp_notifier *n)
{
	seccomp_notifier_finish(n, 0);
	if (n->fd >= 0)
		close(n->fd);
	free(n->req);
	free(n->resp);
	if (n->counts)
		munmap(n->counts, sizeof *n->counts);
	n->req = NULL;
	n->resp = NULL;
	n->counts = NULL;
	n->fd = -1;
}

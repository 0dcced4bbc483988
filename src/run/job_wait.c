/* The supervisor after the start: it waits for init on one poll (no
 * polling loop: a long job costs no CPU), forwards signals, enforces the
 * time limit, answers the seccomp listener, collects the child's messages,
 * then writes the one report. */
#include <errno.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "brig/lib/exit.h"
#include "brig/lib/log.h"
#include "brig/lib/sys.h"
#include "brig/lib/timings.h"
#include "brig/lib/util.h"
#include "brig/net/firewall.h"
#include "brig/run/job.h"
#include "brig/run/status.h"
#include "brig/run/sync.h"

static double elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) * 1e3 + (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static void on_message(struct job *j, const struct sync_msg *m)
{
	switch (m->type) {
	case SYNC_SETUP_FAILED:
		j->setup_failed = true;
		snprintf(j->message, sizeof j->message, "%s", m->text);
		break;
	case SYNC_EXEC_FAILED:
		j->exec_failed = true;
		j->exec_errno = m->err;
		snprintf(j->message, sizeof j->message, "%s", m->text);
		break;
	case SYNC_FINAL:
		j->have_final = true;
		j->final_status = m->status;
		break;
	case SYNC_PTY:
		if (m->fd >= 0 && pty_relay_start(&j->relay, m->fd) < 0)
			log_warn("cannot relay the job's terminal");
		return;
	case SYNC_LISTENER:
		if (j->notifier.fd < 0 && m->fd >= 0) {
			j->notifier.fd = m->fd;
			/* Refusals are the job's cost: answered in its cgroup. */
			int r = seccomp_notifier_start(&j->notifier, j->cg.fd);
			if (r < 0)
				log_warn("seccomp listener in the job's cgroup: %s; answering here", strerror(-r));
		} else if (m->fd >= 0) {
			close(m->fd);
		}
		return;
	}
	if (m->fd >= 0)
		close(m->fd);
}

static void drain_messages(struct job *j)
{
	struct sync_msg m;
	while (recv(j->sync, &m, 0, MSG_PEEK | MSG_DONTWAIT) >= 0 && sync_recv(j->sync, &m) > 0)
		on_message(j, &m);
}

int job_arm_timer(struct job *j)
{
	if (!j->c->timeout_ms)
		return 0;
	j->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (j->timerfd < 0)
		return -errno;
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(j->c->timeout_ms / 1000),
						.tv_nsec = (long)(j->c->timeout_ms % 1000) * 1000000L } };
	return timerfd_settime(j->timerfd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* Until init exits: forward signals, enforce the time limit, collect
 * messages. Returns init's wait status, with its resource usage. */
static int wait_job(struct job *j, struct rusage *ru)
{
	struct pollfd fds[6] = {
		{ .fd = j->pidfd, .events = POLLIN },
		{ .fd = j->sync, .events = POLLIN },
		{ .fd = j->sigfd, .events = POLLIN },
		{ .fd = j->timerfd, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
		{ .fd = job_egress_fd(&j->egress), .events = POLLIN },
	};
	/* The listener hangs up when the last filtered process is gone; from
	 * then on it would wake poll for ever. */
	bool listening = true;
	for (;;) {
		fds[4].fd = listening ? j->notifier.fd : -1;
		if (poll(fds, 6, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents & POLLIN) {
			struct sync_msg m;
			if (sync_recv(j->sync, &m) > 0)
				on_message(j, &m);
			else
				fds[1].fd = -1;
		} else if (fds[1].revents) {
			fds[1].fd = -1;
		}
		if (fds[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(j->sigfd, &si, sizeof si) == (ssize_t)sizeof si && si.ssi_signo != SIGCHLD)
				sys_pidfd_send_signal(j->pidfd, (int)si.ssi_signo);
		}
		if (fds[3].revents & POLLIN) {
			j->timed_out = true;
			sys_pidfd_send_signal(j->pidfd, SIGKILL);
			fds[3].fd = -1;
		}
		if (fds[4].revents & POLLIN) {
			int r = seccomp_notifier_handle(&j->notifier);
			if (r < 0)
				log_warn("seccomp notification: %s", strerror(-r));
		} else if (fds[4].revents) {
			listening = false;
		}
		if (fds[5].revents & POLLIN)
			job_egress_handle(&j->egress);
		if (fds[0].revents & POLLIN)
			break;
	}
	drain_messages(j);
	int status = 0;
	while (wait4(j->pid, &status, 0, ru) < 0 && errno == EINTR)
		;
	return status;
}

static void add_usage(const struct cgroup_job *cg, struct status_exit *e)
{
	struct cgroup_usage u;
	cgroup_usage(cg, &u);
	/* The cgroup counts every process, even those init never reaped. */
	if (u.have_cpu) {
		e->cpu_user_ms = u.cpu_user_ms;
		e->cpu_system_ms = u.cpu_system_ms;
	}
	e->have_memory_peak = u.have_memory_peak;
	e->memory_peak = u.memory_peak;
	e->have_pids_peak = u.have_pids_peak;
	e->pids_peak = u.pids_peak;
	e->have_io = u.have_io;
	e->io_read_bytes = u.io_read_bytes;
	e->io_write_bytes = u.io_write_bytes;
	e->oom_killed = u.oom_kills > 0;
}

/* Once, when a job failed after the kernel refused it calls that the
 * sandbox's id maps or capabilities decide: the user cannot tell
 * otherwise (they are not seccomp refusals: "denials" stays 0). */
static void refusal_hint(const struct job *j, const struct seccomp_refusals *f)
{
	if (f->count[SC_REFUSED_ID_MAPPING] + f->count[SC_REFUSED_CAPABILITY] == 0)
		return;
	char ids[160] = "", devs[160] = "";
	for (size_t i = f->n_first; i-- > 0;) {
		const struct seccomp_refused_call *c = &f->first[i];
		_cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, c->nr);
		char to[32] = "";
		if (c->id >= 0)
			snprintf(to, sizeof to, " to %ld", c->id);
		/* The earliest of each kind wins: walked backwards. */
		snprintf(c->kind == SC_REFUSED_ID_MAPPING ? ids : devs, sizeof ids, "%s(2)%s by %s", name ? name : "?",
			 to, c->comm);
	}
	unsigned long n_ids = f->count[SC_REFUSED_ID_MAPPING], n_caps = f->count[SC_REFUSED_CAPABILITY];
	uint32_t count = j->policy.watch.id_count;
	char what[400] = "";
	if (n_ids)
		snprintf(what, sizeof what, "%lu for ids the job's user namespace does not map (it has 0-%u)%s%s%s", n_ids,
			 count - 1, ids[0] ? ", first " : "", ids, n_caps ? "; " : "");
	if (n_caps)
		snprintf(what + strlen(what), sizeof what - strlen(what),
			 "%lu for want of a capability (chown, set*id: see --caps; device nodes: the host's only)%s%s",
			 n_caps, devs[0] ? ", first " : "", devs);
	log_warn("the job failed after the kernel refused it calls that the sandbox decides: %s", what);
}

static void report(struct job *j, int init_status, const struct rusage *ru, int *code)
{
	int st = j->have_final ? j->final_status : init_status;
	struct status_exit e = {
		.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1,
		.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0,
		.timed_out = j->timed_out,
		.wall_ms = elapsed_ms(&j->start),
		.cpu_user_ms = (double)ru->ru_utime.tv_sec * 1e3 + (double)ru->ru_utime.tv_usec / 1e3,
		.cpu_system_ms = (double)ru->ru_stime.tv_sec * 1e3 + (double)ru->ru_stime.tv_usec / 1e3,
		.max_rss_kib = ru->ru_maxrss,
		.denials = seccomp_notifier_total(&j->notifier),
	};
	const struct seccomp_refusals *refused = seccomp_notifier_refused(&j->notifier);
	if (refused)
		e.refused = *refused;
	add_usage(&j->cg, &e);
	if (j->firewall && firewall_job_counters(j->id, &e.firewall) == 0)
		e.have_firewall = true;
	job_egress_report(&j->egress, &e);
	if (j->timed_out) {
		*code = EXIT_TIMEOUT;
		e.exit_code = -1;
		e.signal = SIGKILL;
		log_error("job killed: time limit of %.3gs reached", (double)j->c->timeout_ms / 1000.0);
	} else if (j->exec_failed) {
		*code = exit_code_of_exec(j->exec_errno);
		log_error("%s", j->message);
	} else {
		*code = exit_code_of(st);
		if (e.oom_killed && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
			char limit[32];
			format_size(j->c->limits.memory, limit, sizeof limit);
			log_error("job killed: out of memory (limit %s)", limit);
		}
	}
	if (*code != 0)
		refusal_hint(j, &e.refused);
	/* Written after the teardown, with the timings (sandbox.c). */
	j->exit = e;
	j->have_exit = true;
}

/* The child's failure is the cause, before any later symptom of ours. */
int job_wait_and_report(struct job *j, const struct brig_err *start)
{
	struct rusage ru = { 0 };
	int st = wait_job(j, &ru), code = EXIT_BRIG;
	j->woke_ns = timings_now();
	/* Its counts are the exited event's; it ends with the job. */
	seccomp_notifier_finish(&j->notifier, 5000);
	/* The job's last output before brig's own lines. */
	pty_relay_finish(&j->relay);
	if (j->setup_failed) {
		log_error("%s", j->message);
		_cleanup_free_ char *line = status_format_failed(j->id, j->message);
		status_write(j->status_fd, line);
	} else if (start->code < 0) {
		err_log(start);
	} else {
		report(j, st, &ru, &code);
	}
	return code;
}

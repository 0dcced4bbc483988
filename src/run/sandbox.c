/* The supervisor. It stays in the host's namespaces, owns every piece of
 * host state a job has, and is the one place that tears it down. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "brig/cgroup/cgroup.h"
#include "brig/net/firewall.h"
#include "brig/run/child.h"
#include "brig/run/gc.h"
#include "brig/lib/rmtree.h"
#include "brig/run/init.h"
#include "brig/run/janitor.h"
#include "brig/lib/log.h"
#include "brig/fs/mount.h"
#include "brig/net/net.h"
#include "brig/run/net_egress.h"
#include "brig/fs/rootfs.h"
#include "brig/run/pty.h"
#include "brig/run/sandbox.h"
#include "brig/seccomp/seccomp.h"
#include "brig/seccomp/seccomp_notify.h"
#include "brig/run/status.h"
#include "brig/run/sync.h"
#include "brig/lib/sys.h"
#include "brig/run/userns.h"
#include "brig/lib/util.h"

#define EXIT_TIMEOUT 124
#define EXIT_BRIG 125

struct job {
	const struct brig_config *c;
	char id[16];
	char hostname[72];
	pid_t pid;
	int pidfd, sync, status_fd, sigfd, timerfd;
	struct mount_plan plan;
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
	int state_fd;           /* gc's record of the overlay-dir directory */
	struct timespec start;
	/* What the wait learnt. */
	bool setup_failed, exec_failed, have_final, timed_out;
	int final_status, exec_errno;
	char message[256];
};

static int job_id(char *buf, size_t len)
{
	unsigned char raw[6];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -errno;
	for (size_t i = 0; i < sizeof raw && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static double elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) * 1e3 + (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	for (const int *s = init_forwarded_signals; *s; s++)
		sigaddset(set, *s);
	return sigprocmask(SIG_BLOCK, set, NULL) < 0 ? -errno : 0;
}

static int start(struct job *j)
{
	const struct brig_config *c = j->c;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	j->sync = sv[0];

	struct clone_args args = {
		.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP |
			 CLONE_PIDFD | (c->net.mode == NET_HOST ? 0 : CLONE_NEWNET),
		.pidfd = (uint64_t)(uintptr_t)&j->pidfd,
		.exit_signal = SIGCHLD,
	};
	/* Not one instruction of the job runs outside its cgroup. */
	if (j->cg.fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)j->cg.fd;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	struct userns_owner owner;
	int r = userns_owner_begin(c, &owner);
	if (r < 0) {
		close(sv[1]);
		return r;
	}
	pid_t pid = sys_clone3(&args);
	if (pid == 0) {
		userns_owner_child(&owner);
		close(sv[0]);
		struct child_args a = { .config = c, .plan = &j->plan, .hostname = j->hostname, .sync_fd = sv[1],
					.pty = j->pty };
		child_main(&a);
	}
	userns_owner_end(&owner);
	close(sv[1]);
	if (pid < 0)
		return pid;
	j->pid = pid;
	/* The trees are in the child now; the supervisor needs none of them. */
	mount_plan_free(&j->plan);
	r = userns_write_maps(pid, c);
	if (r < 0) {
		log_error("cannot write the user namespace's id maps: %s", strerror(-r));
		return r;
	}
	if (!c->rootless && (r = userns_set_limits(pid, c)) < 0) {
		log_error("cannot set the user namespace's limits (/proc/sys/user): %s", strerror(-r));
		return r;
	}
	if ((r = sync_send(j->sync, SYNC_GO, 0, 0, NULL)) < 0)
		return r;
	/* Before the seccomp filter goes over: the job starts only after it
	 * arrives, so it never sees its network half made. */
	if (c->net.mode == NET_VETH) {
		char err[256];
		if ((r = net_veth_setup(j->ifname, pid, &j->lease.a, err, sizeof err)) < 0) {
			log_error("%s", err);
			return r;
		}
	}
	/* While the child builds its root. */
	_cleanup_close_ int filter = -1;
	if ((r = seccomp_compile_cached(&j->policy, &filter)) < 0) {
		log_error("cannot compile the seccomp policy: %s", strerror(-r));
		return r;
	}
	return sync_send_fd(j->sync, SYNC_SECCOMP, filter);
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

static int arm_timer(struct job *j)
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

static int exit_code_of(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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

static void report(struct job *j, int init_status, const struct rusage *ru, int *code)
{
	int st = j->have_final ? j->final_status : init_status, r;
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
		*code = j->exec_errno == ENOENT || j->exec_errno == ENOTDIR ? 127 : 126;
		log_error("%s", j->message);
	} else {
		*code = exit_code_of(st);
		if (e.oom_killed && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
			char limit[32];
			format_size(j->c->limits.memory, limit, sizeof limit);
			log_error("job killed: out of memory (limit %s)", limit);
		}
	}
	_cleanup_free_ char *line = status_format_exited(j->id, &e);
	if ((r = status_write(j->status_fd, line)) < 0)
		log_warn("cannot write the status: %s", strerror(-r));
}

/* The lease first, then the firewall: a killed predecessor's rules go
 * with its stale lease, and nothing of this job is in the table until it
 * holds its addresses. */
static int net_prepare(struct job *j)
{
	const struct brig_config *c = j->c;
	char err[256], stale[BRIG_JOB_ID_LEN + 1];
	int r;
	if (c->net.mode != NET_VETH)
		return 0;
	if ((r = net_host_forwarding(err, sizeof err)) < 0) {
		log_error("%s", err);
		return r;
	}
	if ((r = net_lease_acquire(&c->net.pool4, &c->net.pool6, j->id, &j->lease, stale, sizeof stale)) < 0) {
		log_error("net veth: cannot lease a subnet under %s: %s", NET_LEASE_DIR,
			  r == -EADDRNOTAVAIL ? "the pool is exhausted" : strerror(-r));
		return r;
	}
	if (stale[0])
		firewall_job_remove(stale);
	net_host_ifname(j->id, j->ifname, sizeof j->ifname);
	struct cidr job4 = j->lease.a.job4, job6 = j->lease.a.job6;
	job4.prefix = 32;
	job6.prefix = 128;
	if ((r = job_egress_plan(&j->egress, c, j->id, &j->lease.a, j->status_fd)) < 0) {
		log_error("net veth: egress by name: %s", strerror(-r));
		return r;
	}
	struct fw_job fw = {
		.id = j->id,
		.ifname = j->ifname,
		.addr4 = job4,
		.addr6 = job6,
		.pool4 = c->net.pool4,
		.pool6 = c->net.pool6,
		.dns = j->egress.on ? j->egress.listen : c->net.dns,
		.n_dns = j->egress.on ? j->egress.n_listen : c->net.n_dns,
		.rules = c->net.egress,
		.n_rules = c->net.n_egress,
		.name_groups = j->egress.groups,
		.n_name_groups = j->egress.n_groups,
		.default_allow = c->net.default_allow,
	};
	if ((r = firewall_job_add(&fw)) < 0) {
		log_error("net veth: cannot add the job's firewall rules to table inet %s: %s", FIREWALL_TABLE,
			  strerror(-r));
		return r;
	}
	j->firewall = true;
	if ((r = job_egress_start(&j->egress, c)) < 0) {
		log_error("net veth: cannot answer the job's DNS on the host end of its veth (port 53): %s",
			  strerror(-r));
		return r;
	}
	j->plan.resolv_conf = j->egress.resolv_conf;
	return 0;
}

/* What a supervisor killed with SIGKILL leaves to its janitor: the same
 * teardown, on the janitor's copy of the job. */
static void teardown_host_state(void *ctx)
{
	struct job *j = ctx;
	cgroup_destroy(&j->cg);
	/* The job's --overlay-dir directory: its overlay is gone with it. */
	if (j->rootfs.overlay_job_dir && !j->rootfs.keep_overlay &&
	    rmtree_at(AT_FDCWD, j->rootfs.overlay_job_dir, NULL, NULL) == 0) {
		gc_record_drop(j->id, j->state_fd);
		j->state_fd = -1;
	}
	pty_guard_restore(&j->tty);
	if (j->firewall) {
		int r = firewall_job_remove(j->id);
		if (r < 0)
			log_error("cannot remove the job's firewall rules (brig gc retries): %s", strerror(-r));
		j->firewall = false;
	}
	net_lease_release(&j->lease);
}

int sandbox_run(const struct brig_config *c)
{
	struct job j = { .c = c, .pidfd = -1, .sync = -1, .status_fd = -1, .sigfd = -1, .timerfd = -1,
			 .notifier = { .fd = -1 }, .cg = { .fd = -1, .parent = -1 }, .janitor = { .fd = -1 },
			 .lease = NET_LEASE_INIT, .plan = MOUNT_PLAN_INIT, .rootfs = ROOTFS_JOB_INIT, .relay = PTY_RELAY_INIT, .tty = PTY_GUARD_INIT, .state_fd = -1 };
	char err[512];
	sigset_t set;
	int code = EXIT_BRIG, r;

	brig_log_quiet = c->quiet;
	/* A status reader that went away is reported, not fatal. */
	signal(SIGPIPE, SIG_IGN);
	/* The id profiles saw as ${JOB_ID}, when the caller made one. */
	if (c->job_id[0])
		snprintf(j.id, sizeof j.id, "%s", c->job_id);
	else if ((r = job_id(j.id, sizeof j.id)) < 0) {
		log_error("cannot make a job id: %s", strerror(-r));
		return EXIT_BRIG;
	}
	snprintf(j.hostname, sizeof j.hostname, "%s", c->hostname ? c->hostname : "");
	if (!c->hostname)
		snprintf(j.hostname, sizeof j.hostname, "brig-%s", j.id);
	if ((r = status_open(c, &j.status_fd)) < 0) {
		log_error("%s %s: %s", c->status_file ? "--status-file" : "--status-fd",
			  c->status_file ? c->status_file : "", strerror(-r));
		return EXIT_BRIG;
	}
	/* Read before anything starts, so a broken policy costs nothing. */
	if (seccomp_policy_load(c, &j.policy) < 0)
		goto out;
	if ((r = seccomp_notifier_init(&j.notifier, &j.policy, j.id, j.status_fd, c->quiet)) < 0) {
		log_error("cannot set up the seccomp listener: %s", strerror(-r));
		goto out;
	}
	if (rootfs_prepare(c, j.id, &j.rootfs) < 0)
		goto out;
	j.plan.overlay_job_dir = j.rootfs.overlay_job_dir;
	/* Should supervisor and janitor both die, gc finds it from this. */
	if (j.rootfs.overlay_job_dir && !j.rootfs.keep_overlay)
		j.state_fd = gc_record(j.id, j.rootfs.overlay_job_dir);
	/* As root, only the supervisor can read every host path the caller
	 * named and create idmapped mounts, so it opens the trees. */
	if (!c->rootless && mount_plan_open(c, &j.plan, err, sizeof err) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (cgroup_create(&c->limits, j.id, c->rootless, &j.cg) < 0 || net_prepare(&j) < 0)
		goto out;
	if ((r = block_signals(&set)) < 0 || (j.sigfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0 ||
	    (r = arm_timer(&j)) < 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		goto out;
	}
	/* After the last piece of host state, before anything runs in it. */
	j.pty = pty_wanted(c);
	pty_guard_take(&j.tty, j.pty);
	const int keep[] = { j.cg.fd, j.cg.parent, j.lease.fd4, j.lease.fd6, j.tty.fd, j.state_fd };
	if ((r = janitor_start(&j.janitor, teardown_host_state, &j, keep, ARRAY_SIZE(keep))) < 0) {
		log_error("cannot start the janitor: %s", strerror(-r));
		goto out;
	}
	if ((r = start(&j)) < 0) {
		if (!j.pid)
			log_error("cannot create the namespaces (clone3): %s", strerror(-r));
		if (j.pidfd >= 0)
			sys_pidfd_send_signal(j.pidfd, SIGKILL);
	} else {
		_cleanup_free_ char *line = status_format_started(j.id, j.pid, c, &j.cg);
		int w = status_write(j.status_fd, line);
		if (w < 0)
			log_warn("cannot write the status: %s", strerror(-w));
	}
	if (j.pid > 0) {
		struct rusage ru = { 0 };
		int st = wait_job(&j, &ru);
		/* Its counts are the exited event's; it ends with the job. */
		seccomp_notifier_finish(&j.notifier, 5000);
		/* The job's last output before brig's own lines. */
		pty_relay_finish(&j.relay);
		/* A failed start was reported where it failed. */
		if (r >= 0 && j.setup_failed) {
			log_error("%s", j.message);
			_cleanup_free_ char *line = status_format_failed(j.id, j.message);
			status_write(j.status_fd, line);
		} else if (r >= 0) {
			report(&j, st, &ru, &code);
		}
	}
out:
	/* Whatever happened above: nothing of the job survives this. */
	teardown_host_state(&j);
	job_egress_stop(&j.egress);
	janitor_stop(&j.janitor);
	pty_relay_finish(&j.relay);
	pty_guard_release(&j.tty);
	if (j.state_fd >= 0)
		close(j.state_fd);
	mount_plan_free(&j.plan);
	rootfs_release(&j.rootfs);
	seccomp_notifier_free(&j.notifier);
	seccomp_policy_free(&j.policy);
	for (int *fd = &j.pidfd; fd <= &j.timerfd; fd++)
		if (*fd >= 0)
			close(*fd);
	return code;
}

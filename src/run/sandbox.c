/* The supervisor. It stays in the host's namespaces, owns every piece of
 * host state a job has, and is the one place that tears it down.
 * sandbox_run at the bottom is the whole story: two tables of named steps
 * (docs/architecture.md), the wait and report (job_wait.c), the teardown. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "brig/cgroup/cgroup.h"
#include "brig/fs/mount.h"
#include "brig/fs/rootfs.h"
#include "brig/lib/err.h"
#include "brig/lib/exit.h"
#include "brig/lib/log.h"
#include "brig/lib/sys.h"
#include "brig/lib/timings.h"
#include "brig/lib/util.h"
#include "brig/net/firewall.h"
#include "brig/net/net.h"
#include "brig/run/caps.h"
#include "brig/run/child.h"
#include "brig/run/gc.h"
#include "brig/lib/rmtree.h"
#include "brig/run/init.h"
#include "brig/run/janitor.h"
#include "brig/run/job.h"
#include "brig/run/path_warn.h"
#include "brig/run/pty.h"
#include "brig/run/sandbox.h"
#include "brig/run/status.h"
#include "brig/run/sync.h"
#include "brig/run/userns.h"
#include "brig/seccomp/seccomp.h"
#include "brig/seccomp/seccomp_notify.h"

static int job_id(char *buf, size_t len)
{
	unsigned char raw[6];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -errno;
	for (size_t i = 0; i < sizeof raw && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* What a supervisor killed with SIGKILL leaves to its janitor: the same
 * teardown, on the janitor's copy of the job. */
static void teardown_host_state(void *ctx)
{
	struct job *j = ctx;
	/* The name first: the directory's path goes with the cgroup. */
	char cg[300];
	snprintf(cg, sizeof cg, "%s", j->cg.path ? j->cg.path : j->cg.name);
	int r = cgroup_destroy(&j->cg);
	if (r < 0)
		log_error("cannot remove the job's cgroup %s: %s", cg, strerror(-r));
	/* The job's --overlay-dir directory: its overlay is gone with it.
	 * Its record goes with it, or alone when the directory was never
	 * made. */
	bool dir_gone = !j->rootfs.overlay_job_dir || j->rootfs.keep_overlay ||
			rmtree_at(AT_FDCWD, j->rootfs.overlay_job_dir, NULL, NULL) == 0;
	if (dir_gone && j->state_fd >= 0) {
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

/* Where the child's stamps go when no page could be shared. */
static struct child_marks unshared;

/* ---- the set-up steps, in order; each fills e when it fails ---- */

/* The id profiles saw as ${JOB_ID}, when the caller made one. */
static int name_job(struct job *j, struct brig_err *e)
{
	const struct brig_config *c = j->c;
	int r;
	if (c->job_id[0])
		snprintf(j->id, sizeof j->id, "%s", c->job_id);
	else if ((r = job_id(j->id, sizeof j->id)) < 0)
		return err_set(e, r, "cannot make a job id: %s", strerror(-r));
	if (c->hostname)
		snprintf(j->hostname, sizeof j->hostname, "%s", c->hostname);
	else
		snprintf(j->hostname, sizeof j->hostname, "brig-%s", j->id);
	path_warn(c);
	return 0;
}

static int open_status(struct job *j, struct brig_err *e)
{
	const struct brig_config *c = j->c;
	int r = status_open(c, &j->status_fd);
	if (r < 0)
		return err_set(e, r, "%s %s: %s", c->status_file ? "--status-file" : "--status-fd",
			       c->status_file ? c->status_file : "", strerror(-r));
	return 0;
}

static void report_denial(void *ctx, const struct seccomp_denial *d)
{
	struct job *j = ctx;
	_cleanup_free_ char *line = status_format_denied(j->id, d);
	status_write(j->status_fd, line);
}

/* Read before anything starts, so a broken policy costs nothing. */
static int load_policy(struct job *j, struct brig_err *e)
{
	int r = seccomp_policy_load(j->c, &j->policy, e);
	if (r < 0)
		return r;
	/* The calls the kernel will refuse for want of an id or a
	 * capability, for the hint at the end (job_wait.c). */
	struct seccomp_watch watch;
	userns_refusal_watch(j->c, &watch);
	if ((r = seccomp_policy_watch(&j->policy, &watch)) < 0)
		return err_set(e, r, "cannot add the watched calls to the seccomp policy: %s", strerror(-r));
	if ((r = seccomp_notifier_init(&j->notifier, &j->policy, report_denial, j, j->status_fd, j->c->quiet)) < 0)
		return err_set(e, r, "cannot set up the seccomp listener: %s", strerror(-r));
	return 0;
}

static int prepare_rootfs(struct job *j, struct brig_err *e)
{
	/* Should supervisor and janitor both die, gc finds the job's
	 * overlay directory (rootfs.c: DIR/brig-ID) from this record, made
	 * before the directory: no moment leaves one that nothing names. */
	if (config_rootfs_mode(j->c) == ROOTFS_OVERLAY && j->c->overlay_dir) {
		_cleanup_free_ char *dir = NULL;
		if (asprintf(&dir, "%s/brig-%s", j->c->overlay_dir, j->id) < 0)
			return err_set(e, -ENOMEM, "out of memory");
		j->state_fd = gc_record(j->id, dir);
	}
	int r = rootfs_prepare(j->c, j->id, &j->rootfs, e);
	if (r < 0)
		return r;
	j->plan.overlay_job_dir = j->rootfs.overlay_job_dir;
	return 0;
}

/* As root, only the supervisor can read every host path the caller named
 * and create idmapped mounts, so it opens the trees (rootless: the child). */
static int open_trees(struct job *j, struct brig_err *e)
{
	return j->c->rootless ? 0 : mount_plan_open(j->c, &j->plan, e);
}

/* Records the read-write trees' owners, to give them back what the job
 * leaves to its other ids. */
static int open_handback(struct job *j, struct brig_err *e)
{
	int kept[64];
	int r = handback_prepare(j->c, kept, caps_effective_list(j->c, kept, 64), &j->handback);
	return r < 0 ? err_set(e, r, "cannot open the workspace: %s", strerror(-r)) : 0;
}

static int create_cgroup(struct job *j, struct brig_err *e)
{
	return cgroup_create(&j->c->limits, j->id, j->c->rootless, &j->cg, e);
}

static bool has_veth(const struct job *j)
{
	return j->c->net.mode == NET_VETH;
}

/* The lease first, then the firewall: a killed predecessor's rules go
 * with its stale lease, and nothing of this job is in the table until it
 * holds its addresses. */
static int lease_and_firewall(struct job *j, struct brig_err *e)
{
	const struct brig_config *c = j->c;
	char stale[BRIG_JOB_ID_LEN + 1];
	int r;
	if ((r = net_host_forwarding(e)) < 0)
		return r;
	if ((r = net_lease_acquire(&c->net.pool4, &c->net.pool6, j->id, &j->lease, stale, sizeof stale)) < 0)
		return err_set(e, r, "net veth: cannot lease a subnet under %s: %s", NET_LEASE_DIR,
			       r == -EADDRNOTAVAIL ? "the pool is exhausted" : strerror(-r));
	if (stale[0])
		firewall_job_remove(stale);
	net_host_ifname(j->id, j->ifname, sizeof j->ifname);
	struct cidr job4 = j->lease.a.job4, job6 = j->lease.a.job6, gw4 = j->lease.a.gw4, gw6 = j->lease.a.gw6;
	job4.prefix = gw4.prefix = 32;
	job6.prefix = gw6.prefix = 128;
	if ((r = job_egress_plan(&j->egress, c, j->id, &j->lease.a, j->status_fd)) < 0)
		return err_set(e, r, "net veth: egress by name: %s", strerror(-r));
	j->egress.queue_hint = j->lease.slot;
	if ((r = job_egress_listen(&j->egress)) < 0)
		return err_set(e, r, "net veth: cannot open a netfilter queue for the job's name gate: %s",
			       strerror(-r));
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
		.gate = j->egress.gate != NULL,
		.gate_queue = j->egress.gate ? egress_gate_queue(j->egress.gate) : 0,
		.default_allow = c->net.default_allow,
	};
	if ((r = firewall_job_add(&fw)) < 0)
		return err_set(e, r, "net veth: cannot add the job's firewall rules to table inet %s: %s",
			       FIREWALL_TABLE, strerror(-r));
	j->firewall = true;
	if ((r = job_egress_start(&j->egress, c)) < 0)
		return err_set(e, r, "net veth: cannot answer the job's DNS on the host end of its veth (port 53): %s",
			       strerror(-r));
	j->plan.resolv_conf = j->egress.resolv_conf;
	return 0;
}

/* Signals to forward and the time limit arrive as descriptors for the
 * wait's poll. */
static int catch_signals(struct job *j, struct brig_err *e)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (const int *s = init_forwarded_signals; *s; s++)
		sigaddset(&set, *s);
	int r = sigprocmask(SIG_BLOCK, &set, NULL) < 0 ? -errno : 0;
	if (r == 0 && (j->sigfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0)
		r = -errno;
	if (r == 0)
		r = job_arm_timer(j);
	return r < 0 ? err_set(e, r, "cannot set up signal handling: %s", strerror(-r)) : 0;
}

/* After the last piece of host state, before anything runs in it. */
static int start_janitor(struct job *j, struct brig_err *e)
{
	j->pty = pty_wanted(j->c);
	pty_guard_take(&j->tty, j->pty);
	const int keep[] = { j->cg.fd, j->cg.parent, j->lease.fd4, j->lease.fd6, j->tty.fd, j->state_fd };
	int r = janitor_start(&j->janitor, teardown_host_state, j, keep, ARRAY_SIZE(keep));
	return r < 0 ? err_set(e, r, "cannot start the janitor: %s", strerror(-r)) : 0;
}

/* Every namespace at once; not one instruction of the job runs outside
 * its cgroup. */
static int spawn_child(struct job *j, struct brig_err *e)
{
	const struct brig_config *c = j->c;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return err_set(e, -errno, "cannot create the namespaces (clone3): %s", strerror(errno));
	j->sync = sv[0];
	struct clone_args args = {
		.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP |
			 CLONE_PIDFD | (c->net.mode == NET_HOST ? 0 : CLONE_NEWNET),
		.pidfd = (uint64_t)(uintptr_t)&j->pidfd,
		.exit_signal = SIGCHLD,
	};
	if (j->cg.fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)j->cg.fd;
	}
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	/* The child's and the job's stamps for the timing record; without
	 * the page they go to the child's own copy of a local one. */
	void *page = mmap(NULL, sizeof *j->marks, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	j->marks = page == MAP_FAILED ? &unshared : page;
	/* The namespace is owned by the job's own host id: see userns.h. */
	struct userns_owner owner;
	int r = userns_owner_begin(c, &owner);
	if (r < 0) {
		close(sv[1]);
		return err_set(e, r, "cannot take the job's id to create its namespace: %s", strerror(-r));
	}
	pid_t pid = sys_clone3(&args);
	if (pid == 0) {
		userns_owner_child(&owner);
		close(sv[0]);
		struct child_args a = { .config = c, .plan = &j->plan, .hostname = j->hostname, .sync_fd = sv[1],
					.pty = j->pty, .marks = j->marks };
		child_main(&a);
	}
	userns_owner_end(&owner);
	close(sv[1]);
	if (pid < 0)
		return err_set(e, pid, "cannot create the namespaces (clone3): %s", strerror(-pid));
	j->pid = pid;
	/* The trees are in the child now; the supervisor needs none of them. */
	mount_plan_free(&j->plan);
	return 0;
}

static int write_id_maps(struct job *j, struct brig_err *e)
{
	int r = userns_write_maps(j->pid, j->c);
	if (r < 0)
		return err_set(e, r, "cannot write the user namespace's id maps: %s", strerror(-r));
	return 0;
}

static int release_child(struct job *j, struct brig_err *e)
{
	int r = sync_send(j->sync, SYNC_GO, 0, 0, NULL);
	return r < 0 ? err_set(e, r, "cannot release the job's init: %s", strerror(-r)) : 0;
}

/* Before the seccomp filter goes over: the job starts only after it
 * arrives, so it never sees its network half made. */
static int setup_veth(struct job *j, struct brig_err *e)
{
	return net_veth_setup(j->ifname, j->pid, &j->lease.a, e);
}

/* Compiled while the child builds its root. */
static int send_filter(struct job *j, struct brig_err *e)
{
	_cleanup_close_ int filter = -1;
	int r = seccomp_compile_cached(&j->policy, &filter);
	if (r < 0)
		return err_set(e, r, "cannot compile the seccomp policy: %s", strerror(-r));
	r = sync_send_fd(j->sync, SYNC_SECCOMP, filter);
	return r < 0 ? err_set(e, r, "cannot send the seccomp filter: %s", strerror(-r)) : 0;
}

static int report_started(struct job *j, struct brig_err *e)
{
	(void)e;
	_cleanup_free_ char *line = status_format_started(j->id, j->pid, j->c, &j->cg);
	int r = status_write(j->status_fd, line);
	if (r < 0)
		log_warn("cannot write the status: %s", strerror(-r));
	return 0;
}

/* ---- after the start ---- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Whatever happened: nothing of the job survives this. */
static void tear_down(struct job *j)
{
	teardown_host_state(j);
	/* No process of the job is left to race the walk. */
	(void)handback_run(&j->handback);
	handback_free(&j->handback);
	janitor_stop(&j->janitor);
	pty_relay_finish(&j->relay);
	pty_guard_release(&j->tty);
	close_fd(&j->state_fd);
	mount_plan_free(&j->plan);
	rootfs_release(&j->rootfs);
	seccomp_notifier_free(&j->notifier);
	seccomp_policy_free(&j->policy);
	close_fd(&j->pidfd);
	close_fd(&j->sync);
	close_fd(&j->sigfd);
	close_fd(&j->timerfd);
	if (j->marks && j->marks != &unshared)
		munmap(j->marks, sizeof *j->marks);
	j->marks = NULL;
	/* Last, with the egress counts it names still there. */
	if (j->have_exit)
		job_report_exit(j);
	job_egress_stop(&j->egress);
	close_fd(&j->status_fd);
}

/* A step, and the timing record's step its time counts for
 * (TIMING_COUNT: none, it runs beside the child's). A step with a
 * condition the job does not meet is not run and not stamped: its
 * timing step stays at zero instead of showing the cost of a call and a
 * clock read, which is not zero on a slow clock. */
struct step {
	const char *name;
	int (*fn)(struct job *j, struct brig_err *e);
	enum timing_step timing;
	bool (*wanted)(const struct job *j);
};

/* ends[]: when each timing step last ended, for the record to put the
 * child's stamps in between (job_collect_timings). */
static int run_steps(struct job *j, const struct step *steps, size_t n, uint64_t ends[TIMING_COUNT],
		     struct brig_err *e)
{
	int r;
	for (size_t i = 0; i < n; i++) {
		if (steps[i].wanted && !steps[i].wanted(j))
			continue;
		if ((r = steps[i].fn(j, e)) < 0)
			return r;
		if (steps[i].timing != TIMING_COUNT)
			ends[steps[i].timing] = timings_now();
	}
	return 0;
}


int sandbox_run(const struct brig_config *c)
{
	/* Before anything runs: every piece of host state the job needs,
	 * each undone by tear_down (and by the janitor's teardown). */
	static const struct step prepare[] = {
		{ "id", name_job, TIMING_POLICY, NULL },
		{ "status", open_status, TIMING_POLICY, NULL },
		{ "policy", load_policy, TIMING_POLICY, NULL },
		{ "rootfs", prepare_rootfs, TIMING_ROOTFS, NULL },
		{ "trees", open_trees, TIMING_ROOTFS, NULL },
		{ "handback", open_handback, TIMING_ROOTFS, NULL },
		{ "cgroup", create_cgroup, TIMING_CGROUP, NULL },
		{ "network", lease_and_firewall, TIMING_NETWORK, has_veth },
		{ "signals", catch_signals, TIMING_JANITOR, NULL },
		{ "janitor", start_janitor, TIMING_JANITOR, NULL },
	};
	/* The child exists from the first of these on. */
	static const struct step start[] = {
		{ "clone", spawn_child, TIMING_CLONE, NULL },
		{ "id maps", write_id_maps, TIMING_ID_MAPS, NULL },
		{ "release", release_child, TIMING_ID_MAPS, NULL },
		{ "veth", setup_veth, TIMING_VETH, has_veth },
		{ "seccomp", send_filter, TIMING_SECCOMP, NULL },
		{ "started", report_started, TIMING_COUNT, NULL },
	};
	struct job j = { .c = c, .pidfd = -1, .sync = -1, .status_fd = -1, .sigfd = -1, .timerfd = -1,
			 .notifier = { .fd = -1 }, .cg = { .fd = -1, .parent = -1 }, .janitor = { .fd = -1 },
			 .lease = NET_LEASE_INIT, .plan = MOUNT_PLAN_INIT, .rootfs = ROOTFS_JOB_INIT, .relay = PTY_RELAY_INIT, .tty = PTY_GUARD_INIT, .state_fd = -1,
			 .egress = JOB_EGRESS_INIT };
	struct brig_err e = BRIG_ERR_INIT;
	int code = EXIT_BRIG;
	uint64_t ends[TIMING_COUNT] = { [TIMING_PARSE] = timings_now() };

	timings_begin(&j.timings, timings_process_ns ? timings_process_ns : ends[TIMING_PARSE]);
	ends[TIMING_START] = timings_main_ns;
	brig_log_quiet = c->quiet;
	/* A status reader that went away is reported, not fatal. */
	signal(SIGPIPE, SIG_IGN);
	if (run_steps(&j, prepare, ARRAY_SIZE(prepare), ends, &e) < 0 ||
	    (run_steps(&j, start, ARRAY_SIZE(start), ends, &e) < 0 && j.pid <= 0)) {
		err_log(&e);
	} else {
		/* A start that failed half-way still waits for the child. */
		if (e.code < 0)
			sys_pidfd_send_signal(j.pidfd, SIGKILL);
		code = job_wait_and_report(&j, &e);
		job_collect_timings(&j, ends, j.woke_ns);
	}
	tear_down(&j);
	return code;
}

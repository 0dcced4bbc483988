/* The clone3 child: in-namespace set-up as a list of named steps, then it
 * forks the job and stays as its init. A failing step fills the error
 * (brig/lib/err.h), which goes back to the supervisor as one message; the
 * supervisor prints it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/fs/etc.h"
#include "brig/fs/landlock.h"
#include "brig/lib/err.h"
#include "brig/lib/exit.h"
#include "brig/lib/timings.h"
#include "brig/net/net.h"
#include "brig/run/caps.h"
#include "brig/run/child.h"
#include "brig/run/env.h"
#include "brig/run/init.h"
#include "brig/run/pty.h"
#include "brig/run/sync.h"
#include "brig/run/userns.h"
#include "brig/seccomp/seccomp.h"

extern char **environ;

/* What the steps share. */
struct child {
	struct child_args *a;
	const struct brig_config *c;
	int fd; /* the sync socket to the supervisor */
	struct seccomp_program seccomp;
	char **envp;
	int pty_master;
	pid_t job;
};

__attribute__((noreturn)) static void setup_failed(int fd, const struct brig_err *e)
{
	sync_send_err(fd, e);
	_exit(EXIT_BRIG);
}

/* A message of type from the supervisor; anything else means it failed
 * and is tearing the job down, so there is no one left to tell. */
static void await(struct child *k, enum sync_type type, struct sync_msg *m)
{
	if (sync_recv(k->fd, m) <= 0 || m->type != (int)type)
		_exit(EXIT_BRIG);
}

/* ---- the set-up steps, in order ---- */

/* The supervisor writes our id maps, then says go. */
static int wait_for_maps(struct child *k, struct brig_err *e)
{
	(void)e;
	struct sync_msg m;
	await(k, SYNC_GO, &m);
	return 0;
}

static int become_root(struct child *k, struct brig_err *e)
{
	(void)k;
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return err_set(e, -errno, "cannot become root in the user namespace");
	return 0;
}

/* Its own ceilings on the per-user counts, written as its root (rootless:
 * the host's stay, the caller's own). */
static int limit_user_counts(struct child *k, struct brig_err *e)
{
	int r = k->c->rootless ? 0 : userns_set_own_limits(k->c);
	return r < 0 ? err_set(e, r, "cannot set the user namespace's limits (/proc/sys/user): %s", strerror(-r)) : 0;
}

/* The parent's death must take the sandbox with it. The setting does not
 * survive a change of credentials, so it is made after the last one, and
 * a parent that died before it shows as a hung-up socket. Asked of poll,
 * not of recv: a supervisor can send the filter and die before we get
 * here, and recv would return its queued message, not the end; the
 * kernel marks a SEQPACKET peer's hang-up whatever is still queued. */
static int tie_to_parent(struct child *k, struct brig_err *e)
{
	(void)e;
	struct pollfd p = { .fd = k->fd, .events = POLLIN | POLLRDHUP };
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(EXIT_BRIG);
	while (poll(&p, 1, 0) < 0)
		if (errno != EINTR)
			_exit(EXIT_BRIG);
	if (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))
		_exit(EXIT_BRIG);
	return 0;
}

static int set_hostname(struct child *k, struct brig_err *e)
{
	if (sethostname(k->a->hostname, strlen(k->a->hostname)) < 0)
		return err_set(e, -errno, "sethostname failed");
	return 0;
}

/* net host: the host's loopback is up, and not ours to change. */
static int bring_up_loopback(struct child *k, struct brig_err *e)
{
	int r = k->c->net.mode != NET_HOST ? net_loopback_up() : 0;
	return r < 0 ? err_set(e, r, "cannot bring up the loopback interface") : 0;
}

/* Rootless, the child opens the host trees itself (the supervisor has no
 * more authority than it); then the root is built and pivoted into. */
static int build_root(struct child *k, struct brig_err *e)
{
	int r;
	if (k->c->rootless && (r = mount_plan_open(k->c, k->a->plan, e)) < 0)
		return r;
	if ((r = mount_build_root(k->c, k->a->plan, k->a->hostname, e)) < 0)
		return r;
	mount_plan_free(k->a->plan);
	return 0;
}

/* The second wall, on the finished root: what the mount table grants
 * (brig/fs/landlock.h), for init and the job alike. */
static int restrict_files(struct child *k, struct brig_err *e)
{
	size_t n = 3 + k->c->n_pass_fds;
	int keep[n];
	for (size_t i = 0; i < n; i++)
		keep[i] = i < 3 ? (int)i : k->c->pass_fds[i - 3];
	return landlock_restrict_to_mounts(landlock_job_abi(k->c), keep, n, e);
}

/* The supervisor compiled the filters meanwhile. */
static int receive_filter(struct child *k, struct brig_err *e)
{
	struct sync_msg m;
	await(k, SYNC_SECCOMP, &m);
	if (m.fd < 0)
		return 0;
	int r = seccomp_program_read(m.fd, &k->seccomp);
	close(m.fd);
	return r < 0 ? err_set(e, r, "cannot read the seccomp filter") : 0;
}

static int build_environment(struct child *k, struct brig_err *e)
{
	int r = env_build(k->c, environ, etc_home(k->c), &k->envp);
	return r < 0 ? err_set(e, r, "cannot build the environment") : 0;
}

/* Not dumpable before the fork: the job, root inside too, must never be
 * able to ptrace the init that still holds capabilities. */
static int make_undumpable(struct child *k, struct brig_err *e)
{
	(void)k;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? err_set(e, -errno, "PR_SET_DUMPABLE failed") : 0;
}

/* Opened on the sandbox's /dev; the supervisor relays it. */
static int open_terminal(struct child *k, struct brig_err *e)
{
	int r;
	if (k->a->pty && ((r = pty_open(&k->pty_master)) < 0 || (r = sync_send_fd(k->fd, SYNC_PTY, k->pty_master)) < 0))
		return err_set(e, r, "cannot open a terminal for the job in the sandbox's /dev/ptmx");
	return 0;
}

/* ---- the job's side of the fork, in order ---- */

static const char *job_cwd(const struct brig_config *c)
{
	return c->chdir ? c->chdir : c->workspace ? c->workspace : etc_home(c);
}

/* A new session: no controlling terminal, so no TIOCSTI into the caller's,
 * and no signals from its job control; then the job's own terminal. */
static int new_session(struct child *k, struct brig_err *e)
{
	if (setsid() < 0)
		return err_set(e, -errno, "setsid failed");
	int r = k->pty_master >= 0 ? pty_attach(k->pty_master) : 0;
	return r < 0 ? err_set(e, r, "cannot attach the job's terminal") : 0;
}

static int reset_signals(struct child *k, struct brig_err *e)
{
	(void)k, (void)e;
	for (const int *s = init_forwarded_signals; *s; s++)
		signal(*s, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	return 0;
}

/* Everything above 2 closes at execve, but what --pass-fd names; the sync
 * socket too, which is how the supervisor learns execve worked. */
static int close_descriptors(struct child *k, struct brig_err *e)
{
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return err_set(e, -errno, "close_range failed");
	for (size_t i = 0; i < k->c->n_pass_fds; i++)
		if (fcntl(k->c->pass_fds[i], F_SETFD, 0) < 0)
			return err_set(e, -errno, "--pass-fd %d: %s", k->c->pass_fds[i], strerror(errno));
	return 0;
}

static int enter_identity(struct child *k, struct brig_err *e)
{
	return caps_enter_job_identity(k->c, e);
}

static int enter_workdir(struct child *k, struct brig_err *e)
{
	const char *cwd = job_cwd(k->c);
	if (chdir(cwd) < 0)
		return err_set(e, -errno, "%s %s: %s", k->c->chdir ? "--chdir" : "working directory", cwd,
			       strerror(errno));
	environ = k->envp;
	return 0;
}

/* The very last step: after it, only execve and the message saying it
 * failed are left to do. */
static int load_filter(struct child *k, struct brig_err *e)
{
	int listener, r = seccomp_load_job(&k->seccomp, &listener);
	if (r < 0)
		return err_set(e, r, "cannot load the seccomp filter");
	if (listener >= 0) {
		r = sync_send_fd(k->fd, SYNC_LISTENER, listener);
		close(listener);
	}
	return r < 0 ? err_set(e, r, "cannot hand the seccomp listener over") : 0;
}

/* A step, and the field of struct child_marks its end is stamped in
 * (NO_MARK: none; the next stamp covers it). */
struct child_step {
	int (*fn)(struct child *k, struct brig_err *e);
	size_t mark;
};
#define NO_MARK SIZE_MAX
#define MARK(field) offsetof(struct child_marks, field)

static int run_steps(struct child *k, const struct child_step *steps, size_t n, struct brig_err *e)
{
	int r;
	for (size_t i = 0; i < n; i++) {
		if ((r = steps[i].fn(k, e)) < 0)
			return r;
		if (steps[i].mark != NO_MARK)
			*(uint64_t *)((char *)k->a->marks + steps[i].mark) = timings_now();
	}
	return 0;
}

__attribute__((noreturn)) static void job_main(struct child *k)
{
	static const struct child_step steps[] = {
		{ new_session, MARK(forked) },
		{ reset_signals, NO_MARK },
		{ close_descriptors, NO_MARK },
		{ enter_identity, NO_MARK },
		{ enter_workdir, MARK(ready) },
		{ load_filter, MARK(loaded) }, /* the very last: then only execve */
	};
	struct brig_err e = BRIG_ERR_INIT;
	if (run_steps(k, steps, sizeof steps / sizeof *steps, &e) < 0)
		setup_failed(k->fd, &e);
	execvp(k->c->argv[0], k->c->argv);
	int err = errno;
	err_set(&e, -err, "%s: %s", k->c->argv[0], strerror(err));
	sync_send(k->fd, SYNC_EXEC_FAILED, err, 0, e.msg);
	_exit(exit_code_of_exec(err));
}

void child_main(struct child_args *a)
{
	static const struct child_step steps[] = {
		{ wait_for_maps, MARK(go) },
		{ become_root, NO_MARK },
		{ limit_user_counts, NO_MARK },
		{ tie_to_parent, NO_MARK },
		{ set_hostname, NO_MARK },
		{ bring_up_loopback, NO_MARK },
		{ build_root, MARK(root) },
		{ restrict_files, MARK(landlock) },
		{ receive_filter, MARK(filter) },
		{ build_environment, NO_MARK },
		{ make_undumpable, NO_MARK },
		{ open_terminal, NO_MARK },
	};
	struct child k = { .a = a, .c = a->config, .fd = a->sync_fd, .pty_master = -1 };
	struct brig_err e = BRIG_ERR_INIT;
	if (run_steps(&k, steps, sizeof steps / sizeof *steps, &e) < 0)
		setup_failed(k.fd, &e);

	/* Spawn the job, then stay as its init with no capability left. */
	if ((k.job = fork()) < 0) {
		err_set(&e, -errno, "fork failed");
		setup_failed(k.fd, &e);
	}
	if (k.job == 0)
		job_main(&k);
	if (k.pty_master >= 0)
		close(k.pty_master);
	env_free(k.envp);
	seccomp_program_free(&k.seccomp);
	caps_drop_all();
	_exit(exit_code_of(init_supervise(k.job, k.fd, &a->marks->reaped)));
}

/* The clone3 child: in-namespace set-up in order, then it forks the job and
 * stays as its init. Failures go back to the supervisor as one message. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/run/caps.h"
#include "brig/run/child.h"
#include "brig/run/env.h"
#include "brig/fs/etc.h"
#include "brig/run/init.h"
#include "brig/net/net.h"
#include "brig/run/pty.h"
#include "brig/seccomp/seccomp.h"
#include "brig/run/sync.h"

extern char **environ;

__attribute__((noreturn)) static void setup_failed(int fd, int err, const char *text)
{
	sync_send(fd, SYNC_SETUP_FAILED, err, 0, text);
	_exit(125);
}

/* The parent's death must take the sandbox with it. The setting does not
 * survive a change of credentials, so it is made after the last one, and
 * a parent that died before it shows as a closed socket. */
static int tie_to_parent(int fd)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -errno;
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 ? -ESRCH : 0;
}

static const char *job_cwd(const struct brig_config *c)
{
	return c->chdir ? c->chdir : c->workspace ? c->workspace : etc_home(c);
}

static void reset_signals(void)
{
	for (const int *s = init_forwarded_signals; *s; s++)
		signal(*s, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

__attribute__((noreturn)) static void job_exec(const struct brig_config *c, const struct seccomp_program *seccomp,
					       int fd, char **envp, int pty_master)
{
	char err[256];
	/* A new session: no controlling terminal, so no TIOCSTI into the
	 * caller's, and no signals from its job control. */
	if (setsid() < 0)
		setup_failed(fd, errno, "setsid failed");
	int r = pty_master >= 0 ? pty_attach(pty_master) : 0;
	if (r < 0)
		setup_failed(fd, -r, "cannot attach the job's terminal");
	reset_signals();
	/* Everything above 2 closes at execve, but what --pass-fd names; the
	 * sync socket too, which is how the supervisor learns execve worked. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		setup_failed(fd, errno, "close_range failed");
	for (size_t i = 0; i < c->n_pass_fds; i++)
		if (fcntl(c->pass_fds[i], F_SETFD, 0) < 0) {
			snprintf(err, sizeof err, "--pass-fd %d: %s", c->pass_fds[i], strerror(errno));
			setup_failed(fd, errno, err);
		}
	if (caps_enter_job_identity(c, err, sizeof err) < 0)
		setup_failed(fd, errno, err);
	const char *cwd = job_cwd(c);
	if (chdir(cwd) < 0) {
		snprintf(err, sizeof err, "%s %s: %s", c->chdir ? "--chdir" : "working directory", cwd, strerror(errno));
		setup_failed(fd, errno, err);
	}
	environ = envp;
	/* The very last step: after it, only execve and the message saying it
	 * failed are left to do. */
	r = seccomp_load_job(seccomp, fd);
	if (r < 0)
		setup_failed(fd, -r, "cannot load the seccomp filter");
	execvp(c->argv[0], c->argv);
	int e = errno;
	snprintf(err, sizeof err, "%s: %s", c->argv[0], strerror(e));
	sync_send(fd, SYNC_EXEC_FAILED, e, 0, err);
	_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
}

void child_main(struct child_args *a)
{
	const struct brig_config *c = a->config;
	int fd = a->sync_fd;
	char err[256];
	struct sync_msg m;
	int r;

	/* The supervisor writes our id maps, then says go. */
	if (sync_recv(fd, &m) <= 0 || m.type != SYNC_GO)
		_exit(125);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		setup_failed(fd, errno, "cannot become root in the user namespace");
	if (tie_to_parent(fd) < 0)
		_exit(125);
	if (sethostname(a->hostname, strlen(a->hostname)) < 0)
		setup_failed(fd, errno, "sethostname failed");
	/* net host: the host's loopback is up, and not ours to change. */
	if (c->net.mode != NET_HOST && (r = net_loopback_up()) < 0)
		setup_failed(fd, -r, "cannot bring up the loopback interface");
	if (c->rootless && mount_plan_open(c, a->plan, err, sizeof err) < 0)
		setup_failed(fd, errno, err);
	if (mount_build_root(c, a->plan, a->hostname, err, sizeof err) < 0)
		setup_failed(fd, errno, err);
	mount_plan_free(a->plan);

	/* The supervisor compiled the filters meanwhile. */
	struct seccomp_program seccomp = { { 0 }, { 0 } };
	if (sync_recv(fd, &m) <= 0 || m.type != SYNC_SECCOMP)
		_exit(125);
	if (m.fd >= 0) {
		r = seccomp_program_read(m.fd, &seccomp);
		close(m.fd);
		if (r < 0)
			setup_failed(fd, -r, "cannot read the seccomp filter");
	}

	char **envp = NULL;
	if ((r = env_build(c, environ, etc_home(c), &envp)) < 0)
		setup_failed(fd, -r, "cannot build the environment");

	/* Not dumpable before the fork: the job, root inside too, must never
	 * be able to ptrace the init that still holds capabilities. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		setup_failed(fd, errno, "PR_SET_DUMPABLE failed");
	/* Opened on the sandbox's /dev; the supervisor relays it. */
	int pty_master = -1;
	if (a->pty && ((r = pty_open(&pty_master)) < 0 || (r = sync_send_fd(fd, SYNC_PTY, pty_master)) < 0))
		setup_failed(fd, -r, "cannot open a terminal for the job in the sandbox's /dev/ptmx");
	pid_t job = fork();
	if (job < 0)
		setup_failed(fd, errno, "fork failed");
	if (job == 0)
		job_exec(c, &seccomp, fd, envp, pty_master);
	if (pty_master >= 0)
		close(pty_master);
	env_free(envp);
	seccomp_program_free(&seccomp);
	caps_drop_all();
	int status = init_supervise(job, fd);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

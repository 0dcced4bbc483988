/* Why a separate process: a supervisor killed with SIGKILL runs no code,
 * and the job's own init dies with it (PDEATHSIG). Without a janitor the
 * job's cgroup directory, firewall chain and address lease would wait for
 * the next brig or `brig gc`; CI agents kill their job's process group and
 * then look for leftovers. The janitor costs one fork per job. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/run/janitor.h"

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Everything but 2, the pipe and keep[]: the janitor must not hold the
 * caller's stdout open (readers would wait for EOF), nor the trees and
 * sockets of the job. */
static void close_all_but(int pipe_fd, const int *keep, size_t n_keep)
{
	int fds[n_keep + 2];
	size_t n = 0;
	fds[n++] = 2;
	fds[n++] = pipe_fd;
	for (size_t i = 0; i < n_keep; i++)
		if (keep[i] > 2)
			fds[n++] = keep[i];
	qsort(fds, n, sizeof fds[0], cmp_int);
	unsigned from = 0;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)fds[i] > from)
			close_range(from, (unsigned)fds[i] - 1, 0);
		from = (unsigned)fds[i] + 1;
	}
	close_range(from, ~0u, 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (null > 1)
			close(null);
	}
}

__attribute__((noreturn)) static void janitor_main(int fd, janitor_fn fn, void *ctx, const int *keep, size_t n_keep)
{
	setsid();
	/* Only the supervisor's end of the pipe decides; SIGKILL from
	 * janitor_stop still works. */
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2 };
	for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
		signal(ignored[i], SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_NAME, "brig-janitor", 0, 0, 0);
	close_all_but(fd, keep, n_keep);
	char b;
	ssize_t n;
	while ((n = read(fd, &b, 1)) < 0 && errno == EINTR)
		;
	/* EOF: the supervisor is gone without stopping us. */
	if (n == 0)
		fn(ctx);
	_exit(0);
}

int janitor_start(struct janitor *jn, janitor_fn fn, void *ctx, const int *keep, size_t n_keep)
{
	int p[2];
	jn->pid = 0;
	jn->fd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[1]);
		janitor_main(p[0], fn, ctx, keep, n_keep);
	}
	close(p[0]);
	jn->pid = pid;
	jn->fd = p[1];
	return 0;
}

void janitor_stop(struct janitor *jn)
{
	if (jn->pid > 0) {
		kill(jn->pid, SIGKILL);
		while (waitpid(jn->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (jn->fd >= 0)
		close(jn->fd);
	jn->pid = 0;
	jn->fd = -1;
}

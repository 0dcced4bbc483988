/* The job's terminal. A job run by an agent that gives it a terminal (the
 * Buildkite agent runs the bootstrap on a pty) expects one: colours,
 * progress bars, isatty(). Handing it brig's own would let the job drive
 * the caller's terminal (job control, TIOCSTI, reading what others type),
 * so it gets a new one from the sandbox's private devpts instance and the
 * supervisor copies bytes between the two. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "brig/run/pty.h"
#include "brig/lib/util.h"

bool pty_wanted(const struct brig_config *c)
{
	switch (c->pty) {
	case PTY_ALWAYS:
		return true;
	case PTY_NEVER:
		return false;
	case PTY_AUTO:
		break;
	}
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

static void copy_size(int from, int to)
{
	struct winsize ws;
	if (ioctl(from, TIOCGWINSZ, &ws) == 0 || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

int pty_open(int *master)
{
	/* /dev/ptmx is the sandbox's by now: its pts/ptmx link. */
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return -errno;
	if (unlockpt(m) < 0) {
		int e = errno;
		close(m);
		return -e;
	}
	copy_size(STDOUT_FILENO, m);
	*master = m;
	return 0;
}

int pty_attach(int master)
{
	/* By the master rather than by a path: no lookup the job could race. */
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return -errno;
	if (ioctl(slave, TIOCSCTTY, 0) < 0) {
		int e = errno;
		close(slave);
		return -e;
	}
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(slave, fd) < 0) {
			int e = errno;
			close(slave);
			return -e;
		}
	if (slave > 2)
		close(slave);
	return 0;
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The end of brig's input: the job's terminal reads an end of file when
 * it is in canonical mode, as if the user had typed it. */
static void send_eof(int master)
{
	struct termios t;
	if (tcgetattr(master, &t) == 0 && (t.c_lflag & ICANON))
		write_all(master, (const char *)&t.c_cc[VEOF], 1);
}

/* After the job's end, what it wrote last may still be on its way through
 * the pty's buffers: read until the master reports the hang-up (every
 * process holding the job's side is gone), or a quiet second. */
#define DRAIN_QUIET_MS 1000

static void *relay(void *arg)
{
	struct pty_relay *p = arg;
	char buf[16384];
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	_cleanup_close_ int sfd = signalfd(-1, &winch, SFD_CLOEXEC);
	struct pollfd fds[4] = {
		{ .fd = p->master, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
		{ .fd = p->stop, .events = POLLIN },
	};
	bool stopping = false;
	int64_t deadline = 0;
	for (;;) {
		int timeout = stopping ? (int)(deadline - now_ms()) : -1;
		if (stopping && timeout <= 0)
			break;
		int n = poll(fds, 4, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (fds[0].revents) {
			ssize_t r = read(p->master, buf, sizeof buf);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) /* EIO: the job's side is closed for good */
				break;
			/* A reader that went away loses the output, not the job. */
			write_all(STDOUT_FILENO, buf, (size_t)r);
			if (stopping)
				deadline = now_ms() + DRAIN_QUIET_MS;
		}
		if (fds[1].revents) {
			ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				fds[1].fd = -1;
				send_eof(p->master);
			} else if (write_all(p->master, buf, (size_t)r) < 0) {
				fds[1].fd = -1;
			}
		}
		if (fds[2].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
				copy_size(STDOUT_FILENO, p->master);
		}
		if (fds[3].revents) {
			stopping = true;
			deadline = now_ms() + DRAIN_QUIET_MS;
			fds[1].fd = fds[2].fd = fds[3].fd = -1;
		}
	}
	return NULL;
}

int pty_relay_start(struct pty_relay *p, int master)
{
	if (p->running) {
		close(master);
		return -EBUSY;
	}
	p->master = master;
	p->stop = eventfd(0, EFD_CLOEXEC);
	if (p->stop < 0)
		return -errno;
	/* Only the relay takes SIGWINCH (blocked here, read from its signalfd). */
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &winch, NULL);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &p->saved) == 0) {
		struct termios raw = p->saved;
		cfmakeraw(&raw);
		p->raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	int r = pthread_create(&p->thread, NULL, relay, p);
	if (r) {
		if (p->raw)
			tcsetattr(STDIN_FILENO, TCSANOW, &p->saved);
		p->raw = false;
		return -r;
	}
	p->running = true;
	return 0;
}

void pty_relay_finish(struct pty_relay *p)
{
	if (p->running) {
		uint64_t one = 1;
		if (write(p->stop, &one, sizeof one) < 0) {
			/* An eventfd write only fails on overflow; the thread still ends
			 * at the hang-up. */
		}
		pthread_join(p->thread, NULL);
		p->running = false;
	}
	if (p->raw)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &p->saved);
	p->raw = false;
	if (p->master >= 0)
		close(p->master);
	if (p->stop >= 0)
		close(p->stop);
	p->master = p->stop = -1;
}

void pty_guard_take(struct pty_guard *g, bool pty)
{
	g->fd = -1;
	if (!pty || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &g->saved) < 0)
		return;
	g->fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
}

void pty_guard_restore(const struct pty_guard *g)
{
	if (g->fd >= 0)
		tcsetattr(g->fd, TCSANOW, &g->saved);
}

void pty_guard_release(struct pty_guard *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

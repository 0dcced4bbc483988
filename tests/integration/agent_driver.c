#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_driver.h"

bool agent_pump_read(struct agent_pump *p, int ms)
{
	struct pollfd pfd[2];
	bool open = false;
	for (size_t i = 0; i < p->n; i++) {
		pfd[i] = (struct pollfd){ .fd = *p->fd[i], .events = POLLIN };
		open |= *p->fd[i] >= 0;
	}
	if (!open)
		return false;
	if (poll(pfd, p->n, ms) <= 0)
		return true;
	for (size_t i = 0; i < p->n; i++) {
		if (*p->fd[i] < 0 || !pfd[i].revents)
			continue;
		char chunk[4096];
		ssize_t n = read(*p->fd[i], chunk, sizeof chunk);
		if (n > 0) {
			buf_append(p->buf[i], chunk, (size_t)n);
		} else { /* EOF, or EIO from a pty master whose slave is closed */
			close(*p->fd[i]);
			*p->fd[i] = -1;
		}
	}
	return true;
}

bool agent_pump_until(struct agent_pump *p, const struct buf *watch, const char *needle, double limit_s)
{
	long long deadline = harness_deadline_ms(limit_s * 1000);
	while (!strstr(watch->data, needle) && now_ms() < deadline)
		if (!agent_pump_read(p, 50))
			break;
	return strstr(watch->data, needle) != NULL;
}

int agent_pump_reap(struct agent_pump *p, pid_t pid, double limit_s)
{
	long long deadline = harness_deadline_ms(limit_s * 1000);
	int st = 0;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		if (!agent_pump_read(p, 50))
			usleep(10 * 1000);
	}
	while (agent_pump_read(p, 100))
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void agent_start(struct agent_proc *p, char *const argv[], char *const env[], const char *dir, bool pty)
{
	int master = -1, slave = -1, fds[2] = { -1, -1 };
	memset(p, 0, sizeof *p);
	p->status = -1;
	buf_append(&p->log, "", 0);
	if (pty) {
		struct winsize ws = { .ws_row = 40, .ws_col = 120 };
		cr_assert_eq(openpty(&master, &slave, NULL, NULL, &ws), 0, "openpty: %s", strerror(errno));
	} else {
		cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	}
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setsid();
		if (pty) {
			ioctl(slave, TIOCSCTTY, 0);
			dup2(slave, 0);
			dup2(slave, 1);
			dup2(slave, 2);
		} else {
			int null = open("/dev/null", O_RDONLY);
			dup2(null, 0);
			dup2(fds[1], 1);
			dup2(fds[1], 2);
		}
		if (harness_unprivileged()) {
			gid_t g = harness_brig_gid();
			uid_t u = harness_brig_uid();
			if (setgroups(0, NULL) < 0 || setresgid(g, g, g) < 0 || setresuid(u, u, u) < 0)
				_exit(200);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (chdir(dir) < 0)
			_exit(201);
		execve(argv[0], argv, env);
		_exit(202);
	}
	if (pty) {
		close(slave);
		p->out = master;
	} else {
		close(fds[1]);
		p->out = fds[0];
	}
	p->pid = pid;
}

static struct agent_pump log_of(struct agent_proc *p)
{
	return (struct agent_pump){ .fd = { &p->out }, .buf = { &p->log }, .n = 1 };
}

bool agent_wait_log(struct agent_proc *p, const char *needle, double limit_s)
{
	struct agent_pump pump = log_of(p);
	return agent_pump_until(&pump, &p->log, needle, limit_s);
}

int agent_finish(struct agent_proc *p, double limit_s)
{
	struct agent_pump pump = log_of(p);
	return p->status = agent_pump_reap(&pump, p->pid, limit_s);
}

void agent_signal(struct agent_proc *p, int sig)
{
	kill(-p->pid, sig);
}

char *agent_cgroup_of(pid_t pid)
{
	const char *root = harness_cgroup2_root();
	char path[64], line[4096];
	char *dir = NULL;
	if (!root)
		return NULL;
	snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			if (asprintf(&dir, "%s%s", root, line + 3) < 0)
				dir = NULL;
		}
	if (f)
		fclose(f);
	return dir;
}

char *agent_mount_under(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	char *found = NULL;
	while (f && !found && fgets(line, sizeof line, f))
		if (strstr(line, path))
			found = strdup(line);
	if (f)
		fclose(f);
	return found;
}

pid_t agent_find_proc(const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;
	while (d && !found && (e = readdir(d))) {
		char path[300], cmd[4096];
		int pid = atoi(e->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, cmd, sizeof cmd - 1);
		close(fd);
		for (ssize_t i = 0; i < n; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		if (n > 0 && (cmd[n] = '\0', strstr(cmd, marker)))
			found = pid;
	}
	if (d)
		closedir(d);
	return found;
}

char **agent_split(const char *line)
{
	char *copy = strdup(line), *save = NULL;
	char **v = calloc(strlen(line) + 2, sizeof *v);
	size_t n = 0;
	cr_assert(copy && v);
	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		v[n++] = t;
	return v;
}

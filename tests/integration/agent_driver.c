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

static void append(struct buf *b, const char *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = realloc(b->data, b->cap);
		cr_assert_not_null(b->data);
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void agent_start(struct agent_proc *p, char *const argv[], char *const env[], const char *dir, bool pty)
{
	int master = -1, slave = -1, fds[2] = { -1, -1 };
	memset(p, 0, sizeof *p);
	p->status = -1;
	append(&p->log, "", 0);
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

/* One read, or none within ms; false once the output is closed. */
static bool read_some(struct agent_proc *p, int ms)
{
	if (p->out < 0)
		return false;
	struct pollfd pfd = { .fd = p->out, .events = POLLIN };
	if (poll(&pfd, 1, ms) <= 0)
		return true;
	char buf[4096];
	ssize_t n = read(p->out, buf, sizeof buf);
	if (n <= 0) { /* EOF, or EIO from a master whose slave is closed */
		close(p->out);
		p->out = -1;
		return false;
	}
	append(&p->log, buf, (size_t)n);
	return true;
}

bool agent_wait_log(struct agent_proc *p, const char *needle, double limit_s)
{
	long long deadline = harness_deadline_ms(limit_s * 1000);
	while (!strstr(p->log.data, needle)) {
		if (now_ms() > deadline || !read_some(p, 50))
			return strstr(p->log.data, needle) != NULL;
	}
	return true;
}

int agent_finish(struct agent_proc *p, double limit_s)
{
	long long deadline = harness_deadline_ms(limit_s * 1000);
	int st = 0;
	for (;;) {
		pid_t w = waitpid(p->pid, &st, WNOHANG);
		if (w == p->pid)
			break;
		if (now_ms() > deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			break;
		}
		if (!read_some(p, 50))
			usleep(10 * 1000);
	}
	while (read_some(p, 200))
		;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return p->status;
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

/* probe: what several checks share: opening without using, a child for
 * calls that would change the caller, the user namespace's kind. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/lib/util.h"
#include "brig/probe/checks.h"
#include "brig/probe/verdict.h"


int probe_try_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int probe_in_child(long (*fn)(void), long *ret, int *err)
{
	int p[2];
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
		close(p[0]);
		errno = 0;
		long v[2] = { fn(), errno };
		_exit(write(p[1], v, sizeof v) == (ssize_t)sizeof v ? 0 : 1);
	}
	close(p[1]);
	long v[2] = { 0, 0 };
	ssize_t got = read(p[0], v, sizeof v);
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*ret = v[0];
	*err = (int)v[1];
	if (got != (ssize_t)sizeof v && !WIFSIGNALED(st))
		return -EIO;
	return st;
}

void probe_child_verdict(struct probe_report *r, const char *what, long (*fn)(void))
{
	int err = 0;
	long ret = 0;
	int st = probe_in_child(fn, &ret, &err);
	if (st < 0)
		probe_set(r, PROBE_NA, "%s: cannot fork a child to try it (%s)", what, probe_errno_name(-st));
	else if (WIFSIGNALED(st))
		probe_set(r, WTERMSIG(st) == SIGSYS ? PROBE_BLOCKED : PROBE_NA, "%s: killed by signal %d", what,
			  WTERMSIG(st));
	else
		probe_syscall_verdict(r, what, ret, err);
}

int probe_initial_userns(void)
{
	struct stat st;
	if (stat("/proc/self/ns/user", &st) < 0)
		return -errno;
	return st.st_ino == PROBE_USER_INIT_INO;
}

int probe_status_hex(const char *name, unsigned long long *v)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return -errno;
	char line[256];
	size_t len = strlen(name);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			return sscanf(line + len + 1, "%llx", v) == 1 ? 0 : -EINVAL;
	return -ENOENT;
}

long probe_read_long(const char *path)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	long v = -1;
	if (!f || fscanf(f, "%ld", &v) != 1)
		return -1;
	return v;
}

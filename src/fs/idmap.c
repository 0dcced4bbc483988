/* Helper user namespaces whose only use is to describe an idmapped mount:
 * a short-lived process unshares one, its maps are written, and the
 * namespace outlives it as an fd. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/fs/idmap.h"
#include "brig/lib/sys.h"

static int idmap_ns(uid_t host_uid, gid_t host_gid, uid_t to_uid, gid_t to_gid, uint32_t count)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(ready[0]);
		close(ready[1]);
		return -e;
	}
	if (pid == 0) {
		/* Only lives long enough for its namespace to be described. */
		char ok = unshare(CLONE_NEWUSER) == 0 ? 1 : 0;
		(void)!write(ready[1], &ok, 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	char ok = 0;
	int r = read(ready[0], &ok, 1) == 1 && ok ? 0 : -EPERM;
	close(ready[0]);
	char map[64], path[64];
	if (r == 0) {
		snprintf(map, sizeof map, "%u %u %u\n", (unsigned)host_uid, (unsigned)to_uid, (unsigned)count);
		snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
		r = sys_write_file(path, map);
	}
	if (r == 0) {
		snprintf(map, sizeof map, "%u %u %u\n", (unsigned)host_gid, (unsigned)to_gid, (unsigned)count);
		snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
		r = sys_write_file(path, map);
	}
	if (r == 0) {
		snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
		r = open(path, O_RDONLY | O_CLOEXEC);
		if (r < 0)
			r = -errno;
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r;
}

int idmap_fd_for(uid_t host_uid, gid_t host_gid, uid_t to_uid, gid_t to_gid)
{
	return idmap_ns(host_uid, host_gid, to_uid, to_gid, 1);
}

int idmap_range_fd(uid_t host_base, uid_t to_base, uint32_t count)
{
	return idmap_ns(host_base, host_base, to_base, to_base, count);
}

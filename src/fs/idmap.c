/* Helper user namespaces whose only use is to describe an idmapped mount:
 * a short-lived process unshares one, its maps are written, and the
 * namespace outlives it as an fd. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/fs/idmap.h"
#include "brig/lib/sys.h"

static int idmap_ns_maps(const char *umap, const char *gmap)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(ready[0]);
		close(ready[1]);
		return -e;
	}
	if (pid == 0) {
		/* Only lives long enough for its namespace to be described,
		 * and never longer than brig: a supervisor killed meanwhile
		 * would leave it paused for ever. Set after the new
		 * credentials, which may clear it. */
		char ok = unshare(CLONE_NEWUSER) == 0 ? 1 : 0;
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
			_exit(1);
		(void)!write(ready[1], &ok, 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	char ok = 0;
	int r = read(ready[0], &ok, 1) == 1 && ok ? 0 : -EPERM;
	close(ready[0]);
	char path[64];
	if (r == 0) {
		snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
		r = sys_write_file(path, umap);
	}
	if (r == 0) {
		snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
		r = sys_write_file(path, gmap);
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

static int idmap_ns(uid_t host_uid, gid_t host_gid, uid_t to_uid, gid_t to_gid, uint32_t count)
{
	char umap[64], gmap[64];
	snprintf(umap, sizeof umap, "%u %u %u\n", (unsigned)host_uid, (unsigned)to_uid, (unsigned)count);
	snprintf(gmap, sizeof gmap, "%u %u %u\n", (unsigned)host_gid, (unsigned)to_gid, (unsigned)count);
	return idmap_ns_maps(umap, gmap);
}

int idmap_fd_for(uid_t host_uid, gid_t host_gid, uid_t to_uid, gid_t to_gid)
{
	return idmap_ns(host_uid, host_gid, to_uid, to_gid, 1);
}

/* owner -> base+self, and base+k -> base+k for every other k of the range. */
static void owner_and_range(char *buf, size_t len, unsigned owner, unsigned base, unsigned self, unsigned count)
{
	int n = snprintf(buf, len, "%u %u 1\n", owner, base + self);
	if (self > 0)
		n += snprintf(buf + n, len - (size_t)n, "%u %u %u\n", base, base, self);
	if (self + 1 < count)
		snprintf(buf + n, len - (size_t)n, "%u %u %u\n", base + self + 1, base + self + 1, count - self - 1);
}

int idmap_owner_range_fd(uid_t owner_uid, gid_t owner_gid, uint32_t base, uint32_t count, uid_t user, gid_t group)
{
	uint64_t end = (uint64_t)base + count;
	/* An owner inside the range would be mapped twice: keep the single
	 * mapping then. */
	if ((owner_uid >= base && owner_uid < end) || (owner_gid >= base && owner_gid < end))
		return idmap_fd_for(owner_uid, owner_gid, base + user, base + group);
	char umap[160], gmap[160];
	owner_and_range(umap, sizeof umap, owner_uid, base, user, count);
	owner_and_range(gmap, sizeof gmap, owner_gid, base, group, count);
	return idmap_ns_maps(umap, gmap);
}

int idmap_range_fd(uid_t host_base, uid_t to_base, uint32_t count)
{
	return idmap_ns(host_base, host_base, to_base, to_base, count);
}

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/run/userns.h"
#include "brig/lib/util.h"

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t len = (ssize_t)strlen(text);
	if (write(fd, text, (size_t)len) != len)
		return -errno;
	return 0;
}

int userns_write_maps(pid_t child, const struct brig_config *c)
{
	char umap[64], gmap[64];
	int r;

	if (c->rootless) {
		snprintf(umap, sizeof umap, "0 %u 1\n", (unsigned)geteuid());
		snprintf(gmap, sizeof gmap, "0 %u 1\n", (unsigned)getegid());
	} else {
		snprintf(umap, sizeof umap, "0 %u %u\n", c->uid_base, c->uid_count);
		snprintf(gmap, sizeof gmap, "0 %u %u\n", c->uid_base, c->uid_count);
	}
	if ((r = write_file(child, "uid_map", umap)) < 0)
		return r;
	/* Unprivileged writers must give up setgroups() before a gid map is
	 * accepted; otherwise the job could drop a group that denies it access. */
	if (c->rootless && (r = write_file(child, "setgroups", "deny")) < 0)
		return r;
	return write_file(child, "gid_map", gmap);
}

static int idmap_fd_maps(const char *umap, const char *gmap)
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
	char path[64];
	if (r == 0)
		r = write_file(pid, "uid_map", umap);
	if (r == 0)
		r = write_file(pid, "gid_map", gmap);
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

static int idmap_fd(uid_t host_uid, gid_t host_gid, uid_t to_uid, gid_t to_gid, uint32_t count)
{
	char umap[64], gmap[64];
	snprintf(umap, sizeof umap, "%u %u %u\n", (unsigned)host_uid, (unsigned)to_uid, (unsigned)count);
	snprintf(gmap, sizeof gmap, "%u %u %u\n", (unsigned)host_gid, (unsigned)to_gid, (unsigned)count);
	return idmap_fd_maps(umap, gmap);
}

int userns_idmap_fd(uid_t host_uid, gid_t host_gid, uid_t to_uid, gid_t to_gid)
{
	return idmap_fd(host_uid, host_gid, to_uid, to_gid, 1);
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

int userns_idmap_owner_range_fd(uid_t owner_uid, gid_t owner_gid, const struct brig_config *c)
{
	uint64_t end = (uint64_t)c->uid_base + c->uid_count;
	/* An owner inside the range would be mapped twice: keep the old,
	 * single mapping then. */
	if ((owner_uid >= c->uid_base && owner_uid < end) || (owner_gid >= c->uid_base && owner_gid < end))
		return userns_idmap_fd(owner_uid, owner_gid, c->uid_base + c->user, c->uid_base + c->group);
	char umap[160], gmap[160];
	owner_and_range(umap, sizeof umap, owner_uid, c->uid_base, c->user, c->uid_count);
	owner_and_range(gmap, sizeof gmap, owner_gid, c->uid_base, c->group, c->uid_count);
	return idmap_fd_maps(umap, gmap);
}

int userns_idmap_range_fd(uid_t host_base, uid_t to_base, uint32_t count)
{
	return idmap_fd(host_base, host_base, to_base, to_base, count);
}

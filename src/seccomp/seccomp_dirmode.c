/* Set-group-ID on directories: the `unless-dir` rules.
 *
 * chmod, fchmod, fchmodat and fchmodat2 carry no file type, so no filter
 * can tell `chmod g+s dir` (new files inherit the directory's group: what
 * `git init --shared=group` needs, no privilege) from `chmod g+s file` (a
 * set-group-ID program, a way out through the idmapped workspace). mkdir's
 * mode is no way round it: Linux ignores S_ISGID there (only the parent's
 * own bit is inherited), and git sets the bit with chmod anyway.
 *
 * So such a call arrives here as a notification, and the answerer does the
 * change itself, never letting the call continue: with CONTINUE the kernel
 * would resolve the path (or the descriptor number) again, after the check,
 * and the job could swap a file in between. Instead the target is opened
 * once, as an O_PATH descriptor, resolved within the caller's own root (or
 * beneath its directory), and the type check, the permission check and the
 * chmod all act on that one descriptor: whatever the job renames or
 * replaces meanwhile, the inode checked is the inode changed.
 *
 * The answerer may hold more privilege than the caller (it is the
 * supervisor's user), so it asks what the kernel would ask of the caller:
 * the caller owns the directory, or has CAP_FOWNER over it (the capability
 * of its user namespace, valid only over ids mapped into it); and the
 * set-group-ID bit is kept only where the kernel would keep it (the caller
 * is in the directory's group, or has CAP_FSETID over it). The caller's
 * credentials are read from /proc while it waits in the call, and the
 * notification is checked still pending before the change, so they are
 * the credentials of the thread that made it. A read-only mount stays
 * read-only: the chmod goes through the caller's own mount. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "brig/lib/sys.h"
#include "brig/lib/util.h"
#include "brig/seccomp/seccomp_caller.h"
#include "brig/seccomp/seccomp_notify.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
static int read_small(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The path argument, copied once from the caller's memory. */
static int read_path(pid_t tid, uint64_t addr, char *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
	if (n <= 0) {
		/* The string may end near the end of a mapping: page by page. */
		size_t got = 0;
		while (got < len) {
			size_t chunk = 4096 - ((addr + got) & 4095);
			if (chunk > len - got)
				chunk = len - got;
			local = (struct iovec){ buf + got, chunk };
			remote = (struct iovec){ (void *)(uintptr_t)(addr + got), chunk };
			if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)chunk)
				break;
			if (memchr(buf + got, '\0', chunk))
				return 0;
			got += chunk;
		}
		return got ? -ENAMETOOLONG : -EFAULT;
	}
	return memchr(buf, '\0', (size_t)n) ? 0 : -ENAMETOOLONG;
}

/* An O_PATH descriptor of one of the caller's: its root, its directory,
 * or descriptor number fd. */
static int open_proc(pid_t tid, const char *what, long fd)
{
	char path[64];
	if (fd >= 0)
		snprintf(path, sizeof path, "/proc/%d/fd/%ld", (int)tid, fd);
	else
		snprintf(path, sizeof path, "/proc/%d/%s", (int)tid, what);
	int r = open(path, O_PATH | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

/* What `path` names for the caller, relative to dirfd (AT_FDCWD: its
 * directory). An absolute path, and an absolute link met on the way,
 * resolve within the caller's root; a relative one stays beneath its
 * starting directory, or goes above it through no link at all (a relative
 * path with both ".." above its start and a link is not followed here:
 * the call stays refused). */
static int resolve(pid_t tid, long dirfd, const char *path, bool follow)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW),
				.resolve = RESOLVE_NO_MAGICLINKS };
	_cleanup_close_ int base = -1;
	if (path[0] == '/') {
		base = open_proc(tid, "root", -1);
		how.resolve |= RESOLVE_IN_ROOT;
	} else {
		base = dirfd == AT_FDCWD ? open_proc(tid, "cwd", -1) : open_proc(tid, NULL, dirfd);
		how.resolve |= RESOLVE_BENEATH;
	}
	if (base < 0)
		return base == -ENOENT ? -EBADF : base;
	if (!path[0])
		return TAKE_FD(base);
	int fd = sys_openat2(base, path, &how);
	if (fd != -EXDEV || path[0] == '/')
		return fd;
	/* ".." above the start: followed as the kernel does, which stops at
	 * the root of the job's mount namespace (brig pivots into it), with
	 * no link at all on the way, so none can point at the host's tree. */
	how.resolve = RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
	fd = sys_openat2(base, path, &how);
	return fd == -ELOOP && follow ? -EXDEV : fd;
}

/* The target of one mode call, opened once. */
static int open_target(pid_t tid, const struct seccomp_data *d, unsigned *mode)
{
	long nr = d->nr;
	const uint64_t *a = (const uint64_t *)d->args;
	char path[PATH_MAX];
	int r;
	if (nr == SYS_fchmod) {
		/* fchmod needs a real descriptor: an O_PATH one gets EBADF. */
		char info[64], buf[512];
		unsigned long flags = 0;
		snprintf(info, sizeof info, "/proc/%d/fdinfo/%d", (int)tid, (int)a[0]);
		if (read_small(info, buf, sizeof buf) < 0)
			return -EBADF;
		const char *f = strstr(buf, "flags:");
		if (f)
			flags = strtoul(f + 6, NULL, 8);
		if (flags & O_PATH)
			return -EBADF;
		*mode = (unsigned)a[1];
		return open_proc(tid, NULL, (int)a[0]);
	}
	unsigned flags = 0;
	long dirfd = AT_FDCWD;
	uint64_t addr = a[0];
	if (nr == SYS_chmod) {
		*mode = (unsigned)a[1];
	} else if (nr == SYS_fchmodat || nr == SYS_fchmodat2) {
		dirfd = (int)a[0];
		addr = a[1];
		*mode = (unsigned)a[2];
		if (nr == SYS_fchmodat2)
			flags = (unsigned)a[3];
		if (flags & ~(unsigned)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
			return -EINVAL;
	} else {
		return -EPERM;
	}
	if ((r = read_path(tid, addr, path, sizeof path)) < 0)
		return r;
	if (!path[0] && !(flags & AT_EMPTY_PATH))
		return -ENOENT;
	return resolve(tid, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW));
}

int seccomp_chmod_dir(int listener, const struct seccomp_notif *req)
{
	pid_t tid = (pid_t)req->pid;
	unsigned mode = 0;
	_cleanup_close_ int fd = open_target(tid, &req->data, &mode);
	if (fd == -EXDEV || fd == -ELOOP)
		return 0; /* outside what is resolved here: refused as before */
	if (fd < 0)
		return fd;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return 0;
	struct seccomp_caller c;
	int r = seccomp_caller_read(tid, &c);
	if (r < 0)
		return r;
	if (st.st_uid != c.uid[3] && !seccomp_caller_capable_over(tid, &c, CAP_FOWNER, &st))
		return -EPERM;
	mode &= 07777;
	if (!seccomp_caller_in_group(&c, st.st_gid) && !seccomp_caller_capable_over(tid, &c, CAP_FSETID, &st))
		mode &= ~(unsigned)S_ISGID;
	/* Still waiting in the call: the credentials above are its own. */
	uint64_t id = req->id;
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		return -ENOENT;
	char self[64];
	snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
	return chmod(self, mode) < 0 ? -errno : 1;
}

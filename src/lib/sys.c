#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "brig/lib/resolve.h"
#include "brig/lib/sys.h"

pid_t sys_clone3(struct clone_args *args)
{
	long r = syscall(SYS_clone3, args, sizeof *args);
	return r < 0 ? -errno : (pid_t)r;
}

int sys_pivot_root(const char *new_root, const char *put_old)
{
	return syscall(SYS_pivot_root, new_root, put_old) < 0 ? -errno : 0;
}

int sys_pidfd_send_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

/* Set once openat2 answered ENOSYS: it will again in this process, whose
 * kernel does not change and whose seccomp filters can be added to but
 * never taken away (a child inherits them, and this flag). */
static bool openat2_missing;
static bool openat2_forced;

/* A scoped lookup (RESOLVE_IN_ROOT, RESOLVE_BENEATH) that walks ".."
 * answers EAGAIN when any rename or mount happened on the machine during
 * the walk: the kernel cannot then prove the walk stayed inside. Asked
 * again a few times; then the user-space walk answers, which never looks
 * ".." up and so has no such window (RESOLVE_CACHED's EAGAIN means "not
 * in the cache" and is the caller's). */
#define OPENAT2_RETRIES 4

int sys_openat2(int dirfd, const char *path, const struct open_how *how)
{
	bool retry = (how->resolve & (RESOLVE_IN_ROOT | RESOLVE_BENEATH)) && !(how->resolve & RESOLVE_CACHED);
	for (int i = 0; !__atomic_load_n(&openat2_missing, __ATOMIC_RELAXED) &&
			!__atomic_load_n(&openat2_forced, __ATOMIC_RELAXED); i++) {
		long r = syscall(SYS_openat2, dirfd, path, how, sizeof *how);
		if (r >= 0)
			return (int)r;
		if (errno == EAGAIN && retry) {
			if (i < OPENAT2_RETRIES)
				continue;
			break;
		}
		if (errno != ENOSYS)
			return -errno;
		__atomic_store_n(&openat2_missing, true, __ATOMIC_RELAXED);
	}
	int r = resolve_openat2(dirfd, path, how);
	/* errno as the system call would leave it. */
	if (r < 0)
		errno = -r;
	return r;
}

void sys_openat2_force_fallback(bool on)
{
	__atomic_store_n(&openat2_forced, on, __ATOMIC_RELAXED);
}

int sys_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	ssize_t n = write(fd, text, len);
	int r = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return r;
}

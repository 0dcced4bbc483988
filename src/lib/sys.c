#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

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

int sys_openat2(int dirfd, const char *path, const struct open_how *how)
{
	long r = syscall(SYS_openat2, dirfd, path, how, sizeof *how);
	return r < 0 ? -errno : (int)r;
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

/* Thin wrappers for system calls glibc does not wrap. Return -errno. */
#pragma once
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sys/types.h>

/* clone3(); returns 0 in the child, the pid in the parent. */
pid_t sys_clone3(struct clone_args *args);
int sys_pivot_root(const char *new_root, const char *put_old);
int sys_pidfd_send_signal(int pidfd, int sig);
/* openat2(); returns the fd. */
int sys_openat2(int dirfd, const char *path, const struct open_how *how);

/* Writes text to an existing file (procfs, cgroupfs) in one write(2);
 * a short write is -EIO. */
int sys_write_file(const char *path, const char *text);

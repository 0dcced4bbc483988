/* Thin wrappers for system calls glibc does not wrap. Return -errno. */
#pragma once
#include <linux/openat2.h>
#include <linux/sched.h>
#include <stdbool.h>
#include <sys/types.h>

/* clone3(); returns 0 in the child, the pid in the parent. */
pid_t sys_clone3(struct clone_args *args);
int sys_pivot_root(const char *new_root, const char *put_old);
int sys_pidfd_send_signal(int pidfd, int sig);
/* openat2(); returns the fd, and leaves errno as the call would. Where
 * the call answers ENOSYS (a kernel before 5.6, or a system call policy:
 * brig's `default` one refuses it, so brig inside brig meets it), the
 * path is resolved in user space with the same RESOLVE_* guarantees
 * (lib/resolve.h), for the rest of the process. */
int sys_openat2(int dirfd, const char *path, const struct open_how *how);
/* For tests only: every later sys_openat2 resolves in user space (true),
 * or asks the kernel first again (false). */
void sys_openat2_force_fallback(bool on);

/* Writes text to an existing file (procfs, cgroupfs) in one write(2);
 * a short write is -EIO. */
int sys_write_file(const char *path, const char *text);

/* The credentials of a thread waiting in a notified call, as the kernel
 * will judge it, read from /proc by the answerer (in the answerer's ids). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define SECCOMP_CALLER_GROUPS 64

struct seccomp_caller {
	unsigned long uid[4], gid[4]; /* real, effective, saved, filesystem */
	unsigned long groups[SECCOMP_CALLER_GROUPS];
	size_t n_groups;
	uint64_t cap_eff;
};

int seccomp_caller_read(pid_t tid, struct seccomp_caller *c);
bool seccomp_caller_has_cap(const struct seccomp_caller *c, int cap);
/* fsgid or a supplementary group. */
bool seccomp_caller_in_group(const struct seccomp_caller *c, unsigned long gid);
/* capable_wrt_inode_uidgid(): cap held, and the inode's owner and group
 * both mapped into the caller's namespace. */
bool seccomp_caller_capable_over(pid_t tid, const struct seccomp_caller *c, int cap, const struct stat *st);

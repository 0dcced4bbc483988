/* A second wall behind the mounts: a Landlock domain that grants the job
 * what its mount table grants and nothing else. Read-only mounts give
 * read, list and execute; writable ones every right the kernel's
 * Landlock knows; anything not beneath one of the job's mount points (a
 * host path reached through a future mount-namespace bug) gives nothing.
 *
 * Landlock rights add up along a path, so a read-only mount below a
 * writable one is read-only by its mount flag alone: the job's /proc/sys
 * inside its /proc, and under an overlay (whose root is writable) its
 * /dev and /sys. Without an overlay the root is read-only, and so are
 * /usr, /dev, /sys and the binds given read-only: by both walls. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brig/config/config.h"
#include "brig/lib/err.h"

/* The oldest ABI brig uses: ABI 1 refuses every rename and link across
 * directories, which builds cannot do without. */
#define LANDLOCK_MIN_ABI 2

/* The kernel's Landlock ABI when brig can use it (>= LANDLOCK_MIN_ABI),
 * else -errno: -ENOSYS or -EOPNOTSUPP (absent, or disabled at boot),
 * -EPERM (refused by a filter around brig), -EPROTO (ABI 1). */
int landlock_abi(void);
/* The ABI enforced for a job of c, or -errno why none is: those of
 * landlock_abi, and -ECANCELED for a job that keeps CAP_SYS_ADMIN (a
 * Landlock domain refuses every mount, which is what it is kept for). */
int landlock_job_abi(const struct brig_config *c);
/* Why it is not in force, for r < 0 from either. */
const char *landlock_absent_reason(int r);

/* Every right the given ABI knows for files and directories, and the
 * rights for one rule: read-only or not, on a directory or a file. */
uint64_t landlock_handled(int abi);
uint64_t landlock_rights(int abi, bool read_only, bool dir);

/* One line of /proc/self/mountinfo: the mount point (unescaped) into
 * path, and whether the mount or its filesystem is read-only. -EINVAL
 * for a line that is not one. */
int landlock_parse_mountinfo(const char *line, char *path, size_t size, bool *read_only);

/* In the job's mount namespace after pivot_root, before the job forks:
 * restricts the caller (and all it starts) to the mount table, plus the
 * descriptors in keep as what they are (a file given as the job's stdout
 * can be opened again as /dev/stdout; beneath a directory given, nothing
 * opens), under abi from landlock_job_abi (nothing is done for abi < 0).
 * Returns -errno with e filled. */
int landlock_restrict_to_mounts(int abi, const int *keep, size_t n_keep, struct brig_err *e);

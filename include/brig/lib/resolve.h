/* openat2(2)'s path resolution done in user space, for where the system
 * call answers ENOSYS: a kernel before 5.6, or a system call policy that
 * refuses it (brig's own `default` one does: a filter cannot read the mode
 * openat2 keeps in memory, so brig inside brig meets it). sys_openat2
 * (lib/sys.h) falls back to it by itself; its callers do not change. */
#pragma once
#include <linux/openat2.h>

/* What openat2(dirfd, path, how, sizeof *how) would return: the new fd, or
 * -errno (errno itself is left as the last call inside set it). The
 * RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS,
 * RESOLVE_NO_MAGICLINKS and RESOLVE_NO_XDEV guarantees hold as the
 * kernel's do, also while the tree is renamed under the walk (resolve.c
 * says why). RESOLVE_CACHED is always -EAGAIN: nothing here is a cache,
 * and openat2's callers retry without it. One difference, which keeps
 * nothing out: the walk holds a descriptor per directory it is in, so a
 * path deeper than the descriptor limit allows fails with EMFILE. */
int resolve_openat2(int dirfd, const char *path, const struct open_how *how);

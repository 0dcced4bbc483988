/* User namespaces: the job's id maps, and helper namespaces whose only use
 * is to describe an idmapped mount. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "brig/config/config.h"

/* Parent side: writes uid_map, setgroups and gid_map of the child. Root:
 * 0..count-1 -> base..; unprivileged: 0 -> the caller's own ids. */
int userns_write_maps(pid_t child, const struct brig_config *c);

/* A user namespace fd mapping host id (host_uid, host_gid) -> (to_uid,
 * to_gid), for MOUNT_ATTR_IDMAP: files the host sees owned by the first
 * pair appear owned by the second to whoever uses the mount. */
int userns_idmap_fd(uid_t host_uid, gid_t host_gid, uid_t to_uid, gid_t to_gid);

/* For a read-write tree (the workspace): its owner appears as the job's
 * user, and every other id of the job's range as itself on disk, so the
 * job can give files to any of its ids (tar, chown); handback_run gives
 * them back to the owner after the job. */
int userns_idmap_owner_range_fd(uid_t owner_uid, gid_t owner_gid, const struct brig_config *c);

/* The same for a range: host ids host_base.. appear as to_base.. (uids
 * and gids alike), count of them. A prepared tree's owners become the
 * job's own ids this way. */
int userns_idmap_range_fd(uid_t host_base, uid_t to_base, uint32_t count);

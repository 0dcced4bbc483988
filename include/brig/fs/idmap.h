/* User namespaces that describe idmapped mounts (MOUNT_ATTR_IDMAP). */
#pragma once
#include <stdint.h>
#include <sys/types.h>

/* A user namespace fd mapping host id (host_uid, host_gid) -> (to_uid,
 * to_gid): files the host sees owned by the first pair appear owned by
 * the second to whoever uses the mount. */
int idmap_fd_for(uid_t host_uid, gid_t host_gid, uid_t to_uid, gid_t to_gid);

/* For a read-write tree (the workspace): its owner appears as the job's
 * user (base+user, base+group), and every other id of the job's range
 * base..base+count-1 as itself on disk, so the job can give files to any
 * of its ids (tar, chown); handback_run gives them back to the owner
 * after the job. An owner inside the range gets the single mapping. */
int idmap_owner_range_fd(uid_t owner_uid, gid_t owner_gid, uint32_t base, uint32_t count, uid_t user, gid_t group);

/* The same for a range: host ids host_base.. appear as to_base.. (uids
 * and gids alike), count of them. A prepared tree's owners become the
 * job's own ids this way. */
int idmap_range_fd(uid_t host_base, uid_t to_base, uint32_t count);

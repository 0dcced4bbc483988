/* User namespaces that describe idmapped mounts (MOUNT_ATTR_IDMAP). */
#pragma once
#include <stdint.h>
#include <sys/types.h>

/* A user namespace fd mapping host id (host_uid, host_gid) -> (to_uid,
 * to_gid): files the host sees owned by the first pair appear owned by
 * the second to whoever uses the mount. */
int idmap_fd_for(uid_t host_uid, gid_t host_gid, uid_t to_uid, gid_t to_gid);

/* The same for a range: host ids host_base.. appear as to_base.. (uids
 * and gids alike), count of them. A prepared tree's owners become the
 * job's own ids this way. */
int idmap_range_fd(uid_t host_base, uid_t to_base, uint32_t count);

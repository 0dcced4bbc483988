/* The job's user namespace: its id maps (idmapped mounts: brig/fs/idmap.h). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "brig/config/config.h"

/* Parent side: writes uid_map, setgroups and gid_map of the child. Root:
 * 0..count-1 -> base..; unprivileged: 0 -> the caller's own ids. */
int userns_write_maps(pid_t child, const struct brig_config *c);

/* The job's user namespace: its id maps (idmapped mounts: brig/fs/idmap.h). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "brig/config/config.h"
#include "brig/seccomp/seccomp.h"

/* Parent side: writes uid_map, setgroups and gid_map of the child. Root:
 * 0..count-1 -> base..; unprivileged: 0 -> the caller's own ids. */
int userns_write_maps(pid_t child, const struct brig_config *c);

/* What the kernel will refuse the job for want of an id or a capability,
 * from the maps above and the capabilities the job keeps: the calls the
 * seccomp answerer watches for the hint at a failed job's end. */
void userns_refusal_watch(const struct brig_config *c, struct seccomp_watch *w);

/* Whose the job's user namespace is. The kernel charges the per-user
 * counts of /proc/sys/user (inotify instances and watches, fanotify groups,
 * namespaces) at each level to the namespace's owner: made by root, a job
 * could use up root's inotify instances for the whole host. So as root the
 * namespace is made with the job's own first host id as effective id
 * (capabilities kept: SECBIT_NO_SETUID_FIXUP), an id no host process uses.
 * begin before clone3, end after it in the parent; the child calls
 * userns_owner_child to give up the securebit it inherited. Unprivileged,
 * all three do nothing: the namespace is the caller's already. */
struct userns_owner {
	bool active;
	int securebits;
};
int userns_owner_begin(const struct brig_config *c, struct userns_owner *o);
void userns_owner_end(struct userns_owner *o);
void userns_owner_child(const struct userns_owner *o);

/* The namespace's own ceilings on those counts (its /proc/sys/user/max_*),
 * written by its root, the child, before anything of the job runs: a job
 * gets at most these, whatever the host's are. The values:
 * brig/config/user_limits.h, and brig(1). */
int userns_set_own_limits(const struct brig_config *c);

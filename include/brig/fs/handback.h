/* After the job: files it gave to ids of its range (tar x, chown) in the
 * workspace and the other read-write trees go back to the tree's owner,
 * so that the owner can read and remove everything the job left. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "brig/config/config.h"

struct handback_tree {
	int fd; /* the tree's root, opened before the job ran */
	uid_t uid;
	gid_t gid;
};

struct handback {
	struct handback_tree *v;
	size_t n;
	uint32_t base, count;
};
#define HANDBACK_INIT { 0 }

/* Opens the read-write trees (workspace, binds, caches) and records their
 * owners; nothing for an unprivileged brig (no idmapped mounts), nor for a
 * job that can leave no file to another id (it runs as root inside and
 * caps, the capabilities it keeps, hold no CHOWN, SETUID or SETGID). */
int handback_prepare(const struct brig_config *c, const int *caps, size_t n_caps, struct handback *h);
/* Gives every file of the trees owned by an id of the job's range to the
 * tree's owner (uid and gid apart): by descriptors, never following a
 * link, never leaving the tree's file system. Call once no process of
 * the job is left. Returns how many files changed, or -errno. */
long handback_run(struct handback *h);
void handback_free(struct handback *h);

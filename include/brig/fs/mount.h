/* The job's filesystem: a fresh tmpfs root assembled from detached host
 * trees (open_tree clones) and new mounts, then made the root with
 * pivot_root while the host's root is detached. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "brig/config/config.h"
#include "brig/lib/err.h"

/* The top-level name under which the child stages overlay layers; never
 * taken from a tree. */
#define MOUNT_STAGE_NAME ".brig-overlay"

enum mount_entry_type {
	ME_TREE,    /* fd: a detached mount tree, attached at dst */
	ME_SYMLINK, /* link: a symbolic link created at dst */
	ME_COPY,    /* fd: a regular file, copied to dst (cheaper than a mount) */
	ME_TMPFS,   /* a fresh tmpfs of size bytes (0: kernel default) */
};

struct mount_entry {
	enum mount_entry_type type;
	int fd;
	bool is_dir;  /* ME_TREE: the mount point is a directory */
	bool user;    /* from the config (binds, workspace): mounted last, in order */
	bool overlay; /* ME_TREE: the lower layer of a per-job overlay at dst */
	char *dst;    /* absolute, inside the job */
	char *link;   /* ME_SYMLINK */
	uint64_t size; /* ME_TMPFS */
	char *what;   /* for error lines: "--bind /src" */
};

/* Everything the child attaches, in order. Opened by whoever can read the
 * host paths with the caller's authority: the supervisor when brig runs as
 * root (only it can create idmapped mounts), else the child. */
struct mount_plan {
	struct mount_entry *v;
	size_t n;
	/* Where overlay upper layers go: a clone of the per-job directory,
	 * or -1 for a tmpfs of overlay_size bytes (0: the tmpfs default). */
	int upper_fd;
	uint64_t overlay_size;
	/* Set by the caller before mount_plan_open (kept by it): the per-job
	 * overlay directory on the host, or NULL. */
	const char *overlay_job_dir;
	/* Set by the caller (kept by it): the job's /etc/resolv.conf when it
	 * is not the config's (egress by name: brig's own responder), or NULL. */
	const char *resolv_conf;
	/* The tree's passwd and group (the host's under an overlay), for
	 * their system accounts; -1 when not used. */
	int passwd_fd, group_fd;
};
#define MOUNT_PLAN_INIT { .upper_fd = -1, .passwd_fd = -1, .group_fd = -1 }

/* On failure fills e with one line naming the problem (brig/lib/err.h). */
int mount_plan_open(const struct brig_config *c, struct mount_plan *p, struct brig_err *e);
void mount_plan_free(struct mount_plan *p);

/* Child side, in the new user and mount namespaces with all capabilities
 * there: builds the root, pivots into it, detaches the host's root. */
int mount_build_root(const struct brig_config *c, const struct mount_plan *p, const char *hostname,
		     struct brig_err *e);

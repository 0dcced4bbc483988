/* Root trees and caches on the host side: the host state a job's root
 * needs (a lock on the tree, the per-job overlay directory, the cache
 * directories), created before the job and removed after it. The checks a
 * prepared tree must pass are config_check_rootfs (brig/config/config.h). */
#pragma once
#include <stddef.h>

#include "brig/config/config.h"
#include "brig/lib/err.h"

/* Where the caches live: cache-dir, else BRIG_DEFAULT_CACHE_DIR as root,
 * else $XDG_CACHE_HOME/brig or $HOME/.cache/brig. -ENOENT when unknown. */
int rootfs_cache_root(const struct brig_config *c, char *buf, size_t len);

/* Under overlay-upper DIR, where the layers live: DIR/layers/upper/N and
 * DIR/layers/work/N, N counting the job's overlays in mount order. */
#define ROOTFS_UPPER_LAYERS "layers"

struct rootfs_job {
	int lock_fd;          /* the tree, flock()ed: shared, or exclusive for rw */
	int upper_lock_fd;    /* overlay-upper, flock()ed exclusive */
	char *overlay_job_dir; /* overlay-dir/brig-ID, or overlay-upper */
	bool keep_overlay;    /* overlay-upper: the layers outlive the job */
};
#define ROOTFS_JOB_INIT { .lock_fd = -1, .upper_lock_fd = -1, .overlay_job_dir = NULL, .keep_overlay = false }

/* Takes the tree's lock, makes the cache directories and the per-job
 * overlay directory. On failure e says which and why; what it made is
 * undone by rootfs_release, which is safe to call on any state. */
int rootfs_prepare(const struct brig_config *c, const char *job_id, struct rootfs_job *rj, struct brig_err *e);
void rootfs_release(struct rootfs_job *rj);

/* A prepared tree is the job's whole userland: what it finds there runs as
 * root inside. So before use the tree must be one only root (or the
 * unprivileged caller) can change, and be usable at all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/fs/rootfs.h"
#include "brig/lib/err.h"
#include "brig/lib/rmtree.h"
#include "brig/lib/sys.h"
#include "brig/lib/util.h"

int rootfs_cache_root(const struct brig_config *c, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int n;
	if (c->cache_dir)
		n = snprintf(buf, len, "%s", c->cache_dir);
	else if (!c->rootless)
		n = snprintf(buf, len, "%s", BRIG_DEFAULT_CACHE_DIR);
	else if (xdg && xdg[0] == '/')
		n = snprintf(buf, len, "%s/brig", xdg);
	else if (home && home[0] == '/' && strcmp(home, "/") != 0)
		n = snprintf(buf, len, "%s/.cache/brig", home);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p, each new level with mode. */
static int make_dirs(const char *path, mode_t mode)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		if (!saved)
			break;
		*p = saved;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int prepare_caches(const struct brig_config *c, struct brig_err *e)
{
	char root[4096], dir[4096 + 512];
	int r;
	if (!c->n_caches)
		return 0;
	if ((r = rootfs_cache_root(c, root, sizeof root)) < 0)
		return err_set(e, r, "cache: no cache directory (give cache-dir DIR; HOME is not set)");
	/* Only root, or the caller, may reach into other jobs' caches. */
	if ((r = make_dirs(root, 0700)) < 0)
		return err_set(e, r, "cache-dir %s: %s", root, strerror(-r));
	for (size_t i = 0; i < c->n_caches; i++) {
		snprintf(dir, sizeof dir, "%s/%s", root, c->caches[i].dir);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return err_set(e, -errno, "cache %s: %s: %s", c->caches[i].key, dir, strerror(errno));
	}
	return 0;
}

/* Shared for ro and overlay jobs, exclusive for rw: a tree is never
 * written under another job's feet, nor under an overlay (whose lower
 * layer must not change). The lock dies with brig, whatever kills it. */
static int lock_tree(const struct brig_config *c, enum rootfs_mode mode, struct rootfs_job *rj, struct brig_err *e)
{
	rj->lock_fd = open(c->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rj->lock_fd < 0)
		return err_set(e, -errno, "rootfs %s: %s", c->rootfs, strerror(errno));
	if (flock(rj->lock_fd, (mode == ROOTFS_RW ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
		return 0;
	int r = -errno;
	if (r == -EWOULDBLOCK && mode == ROOTFS_RW)
		return err_set(e, r, "rootfs %s: in use by another job (rootfs-mode rw needs the tree alone)", c->rootfs);
	if (r == -EWOULDBLOCK)
		return err_set(e, r, "rootfs %s: another job is writing to it (rootfs-mode rw)", c->rootfs);
	return err_set(e, r, "rootfs %s: cannot lock: %s", c->rootfs, strerror(-r));
}

static int make_overlay_dir(const struct brig_config *c, const char *job_id, struct rootfs_job *rj, struct brig_err *e)
{
	if (asprintf(&rj->overlay_job_dir, "%s/brig-%s", c->overlay_dir, job_id) < 0) {
		rj->overlay_job_dir = NULL;
		return -ENOMEM;
	}
	if (mkdir(rj->overlay_job_dir, 0700) < 0) {
		int r = err_set(e, -errno, "overlay-dir %s: %s", rj->overlay_job_dir, strerror(errno));
		free(TAKE_PTR(rj->overlay_job_dir));
		return r;
	}
	/* The job's root makes the layers in it. */
	if (!c->rootless && chown(rj->overlay_job_dir, c->uid_base, c->uid_base) < 0)
		return err_set(e, -errno, "overlay-dir %s: %s", rj->overlay_job_dir, strerror(errno));
	return 0;
}

/* overlay-upper DIR: a directory only root (or the unprivileged caller)
 * can change, since what it holds shows through in the job's tree; one
 * job at a time, since overlayfs forbids two mounts on one upper layer.
 * The layers go in DIR/layers, which belongs to the job's root, who
 * makes the upper and work directories there (DIR itself stays root's). */
static int open_upper(const struct brig_config *c, struct rootfs_job *rj, struct brig_err *e)
{
	char where[512];
	struct stat st;
	config_where(config_last_origin(c, "overlay-upper"), "overlay-upper", where, sizeof where);
	rj->upper_lock_fd = open(c->overlay_upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rj->upper_lock_fd < 0 || fstat(rj->upper_lock_fd, &st) < 0)
		return err_set(e, -errno, "%s %s: %s", where, c->overlay_upper, strerror(errno));
	uid_t me = geteuid();
	if (st.st_uid != 0 && !(c->rootless && st.st_uid == me))
		return err_set(e, -EPERM, "%s %s: owned by uid %u; it must belong to root%s", where, c->overlay_upper,
			       (unsigned)st.st_uid, c->rootless ? " or to you" : "");
	if (st.st_mode & S_IWOTH)
		return err_set(e, -EPERM, "%s %s: writable by others; anyone could change what the job runs (chmod o-w)",
			       where, c->overlay_upper);
	if (flock(rj->upper_lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return err_set(e, -errno, "%s %s: in use by another job (one job at a time per upper directory)",
				       where, c->overlay_upper);
		return err_set(e, -errno, "%s %s: cannot lock: %s", where, c->overlay_upper, strerror(errno));
	}
	if ((mkdirat(rj->upper_lock_fd, ROOTFS_UPPER_LAYERS, 0700) < 0 && errno != EEXIST) ||
	    (!c->rootless && fchownat(rj->upper_lock_fd, ROOTFS_UPPER_LAYERS, c->uid_base, c->uid_base,
				      AT_SYMLINK_NOFOLLOW) < 0))
		return err_set(e, -errno, "%s %s/%s: %s", where, c->overlay_upper, ROOTFS_UPPER_LAYERS, strerror(errno));
	if (asprintf(&rj->overlay_job_dir, "%s/%s", c->overlay_upper, ROOTFS_UPPER_LAYERS) < 0) {
		rj->overlay_job_dir = NULL;
		return -ENOMEM;
	}
	rj->keep_overlay = true;
	return 0;
}

int rootfs_prepare(const struct brig_config *c, const char *job_id, struct rootfs_job *rj, struct brig_err *e)
{
	enum rootfs_mode mode = config_rootfs_mode(c);
	int r;
	if (c->rootfs && (r = lock_tree(c, mode, rj, e)) < 0)
		return r;
	if ((r = prepare_caches(c, e)) < 0)
		return r;
	if (mode == ROOTFS_OVERLAY && c->overlay_dir && (r = make_overlay_dir(c, job_id, rj, e)) < 0)
		return r;
	if (mode == ROOTFS_OVERLAY && c->overlay_upper && (r = open_upper(c, rj, e)) < 0)
		return r;
	return 0;
}

void rootfs_release(struct rootfs_job *rj)
{
	if (rj->overlay_job_dir) {
		if (!rj->keep_overlay)
			(void)rmtree_at(AT_FDCWD, rj->overlay_job_dir, NULL, NULL);
		free(TAKE_PTR(rj->overlay_job_dir));
	}
	if (rj->upper_lock_fd >= 0)
		close(TAKE_FD(rj->upper_lock_fd));
	if (rj->lock_fd >= 0)
		close(TAKE_FD(rj->lock_fd));
}


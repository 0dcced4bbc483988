/* What the job's root is made of: every host path it shows, resolved and
 * opened once, with the authority of whoever invoked brig. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/fs/etc.h"
#include "brig/fs/idmap.h"
#include "brig/fs/mount.h"
#include "brig/fs/rootfs.h"
#include "brig/lib/sys.h"
#include "brig/lib/util.h"

/* With a host /usr, these are what makes the loader and /bin/sh work:
 * links on merged-/usr systems, read-only trees on the others. */
static const char *const host_root_entries[] = { "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", NULL };

/* Top-level entries of a prepared rootfs that brig provides itself. */
static const char *const rootfs_skipped[] = { ".", "..", "etc", "proc", "dev", "sys", "tmp", "run", MOUNT_STAGE_NAME, NULL };

/* With the host's /usr under an overlay, the package database goes under
 * one too, so that dpkg works and its changes vanish as well. */
static const char *const host_overlay_extra[] = { "/var/lib/dpkg", "/var/lib/apt", NULL };

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty", NULL };

struct planner {
	const struct brig_config *c;
	struct mount_plan *p;
	struct brig_err *err;
	/* One idmap namespace serves every rw tree of the same host owner. */
	uid_t idmap_uid;
	gid_t idmap_gid;
	int idmap_fd;
	int tree_idmap_fd; /* the tree's ids 0.. as the job's 0.. */
};

static bool in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static int push(struct planner *pl, struct mount_entry *e, const char *what)
{
	struct mount_plan *p = pl->p;
	struct mount_entry *grown = realloc(p->v, (p->n + 1) * sizeof *grown);
	if (grown)
		p->v = grown;
	e->what = strdup(what);
	if (!grown || !e->what || !e->dst || (e->type == ME_SYMLINK && !e->link)) {
		free(e->what);
		free(e->dst);
		free(e->link);
		if (e->fd >= 0)
			close(e->fd);
		return err_at(pl->err, -ENOMEM, what, NULL);
	}
	p->v[p->n++] = *e;
	return 0;
}

/* The host owner of a read-write tree becomes the job's user on it, so a
 * job that is root inside can write to a workspace owned by the caller
 * (root on the host) without being root on the host. */
static int idmap_for(struct planner *pl, const struct stat *st)
{
	if (pl->idmap_fd >= 0 && pl->idmap_uid == st->st_uid && pl->idmap_gid == st->st_gid)
		return pl->idmap_fd;
	if (pl->idmap_fd >= 0)
		close(pl->idmap_fd);
	const struct brig_config *c = pl->c;
	pl->idmap_fd = idmap_owner_range_fd(st->st_uid, st->st_gid, c->uid_base, c->uid_count, c->user, c->group);
	pl->idmap_uid = st->st_uid;
	pl->idmap_gid = st->st_gid;
	return pl->idmap_fd;
}

enum tree_flags {
	T_RO = 1 << 0,
	T_DEV = 1 << 1,   /* device nodes must stay usable */
	T_IDMAP = 1 << 2, /* read-write tree the job's user should own */
	T_USER = 1 << 3,
	T_TREE = 1 << 4,    /* the job's userland: its owners become the job's ids */
	T_OVERLAY = 1 << 5, /* the lower layer of an overlay */
};

/* Root only: an unprivileged brig cannot create idmapped mounts, and its
 * job's root is the caller anyway. */
static int tree_idmap(struct planner *pl)
{
	if (pl->tree_idmap_fd < 0)
		pl->tree_idmap_fd = idmap_range_fd(0, pl->c->uid_base, pl->c->uid_count);
	return pl->tree_idmap_fd;
}

static int add_tree(struct planner *pl, const char *src, const char *dst, unsigned flags, const char *what)
{
	struct stat st;
	if (stat(src, &st) < 0)
		return err_at(pl->err, -errno, what, NULL);
	int fd = open_tree(AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (fd < 0)
		return err_at(pl->err, -errno, what, "cannot clone the mount");
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID };
	if (flags & T_RO)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (!(flags & T_DEV))
		attr.attr_set |= MOUNT_ATTR_NODEV;
	if ((flags & T_TREE) && !pl->c->rootless) {
		int ns = tree_idmap(pl);
		if (ns < 0) {
			close(fd);
			return err_at(pl->err, ns, what, "cannot create the id mapping");
		}
		attr.attr_set |= MOUNT_ATTR_IDMAP;
		attr.userns_fd = (uint64_t)ns;
	} else if ((flags & T_IDMAP) && !pl->c->rootless && st.st_uid != pl->c->uid_base + pl->c->user) {
		int ns = idmap_for(pl, &st);
		if (ns < 0) {
			close(fd);
			return err_at(pl->err, ns, what, "cannot create the id mapping");
		}
		attr.attr_set |= MOUNT_ATTR_IDMAP;
		attr.userns_fd = (uint64_t)ns;
	}
	int r = mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
	/* A read-only tree works unmapped too (as it did before trees were
	 * mapped), on file systems that cannot idmap: only its owners show
	 * as nobody. Writable ones need the mapping to be the job's. */
	if (r < 0 && (errno == EINVAL || errno == EOPNOTSUPP) && (flags & T_TREE) && (flags & T_RO) &&
	    !(flags & T_OVERLAY)) {
		attr.attr_set &= ~(uint64_t)MOUNT_ATTR_IDMAP;
		attr.userns_fd = 0;
		r = mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
	}
	if (r < 0) {
		int e = errno;
		close(fd);
		return err_at(pl->err, -e, what,
			    (attr.attr_set & MOUNT_ATTR_IDMAP) ? "cannot map ownership (idmapped mount)" : "cannot set mount flags");
	}
	struct mount_entry e = { .type = ME_TREE, .fd = fd, .is_dir = S_ISDIR(st.st_mode),
				 .user = flags & T_USER, .overlay = (flags & T_OVERLAY) && S_ISDIR(st.st_mode),
				 .dst = strdup(dst) };
	return push(pl, &e, what);
}

static int add_symlink(struct planner *pl, const char *src, const char *dst)
{
	char target[PATH_MAX];
	ssize_t n = readlink(src, target, sizeof target - 1);
	if (n < 0)
		return err_at(pl->err, -errno, src, "cannot read link");
	target[n] = '\0';
	struct mount_entry e = { .type = ME_SYMLINK, .fd = -1, .dst = strdup(dst), .link = strdup(target) };
	return push(pl, &e, src);
}

static int add_copy(struct planner *pl, const char *src, const char *dst)
{
	int fd = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return err_at(pl->err, -errno, src, NULL);
	struct mount_entry e = { .type = ME_COPY, .fd = fd, .dst = strdup(dst) };
	return push(pl, &e, src);
}

/* One host entry: links as links, small files copied when allowed,
 * directories as the mode says, anything else read-only. Absent is fine. */
static int add_host_entry(struct planner *pl, const char *src, const char *dst, bool may_copy, unsigned dir_flags)
{
	struct stat st;
	if (lstat(src, &st) < 0)
		return errno == ENOENT ? 0 : err_at(pl->err, -errno, src, NULL);
	if (S_ISLNK(st.st_mode))
		return add_symlink(pl, src, dst);
	if (S_ISREG(st.st_mode) && may_copy && st.st_size <= (1 << 20))
		return add_copy(pl, src, dst);
	return add_tree(pl, src, dst, S_ISDIR(st.st_mode) ? dir_flags : T_RO | (dir_flags & T_TREE), src);
}

static unsigned mode_flags(const struct brig_config *c)
{
	switch (config_rootfs_mode(c)) {
	case ROOTFS_OVERLAY: return T_RO | T_TREE | T_OVERLAY;
	case ROOTFS_RW: return T_TREE;
	case ROOTFS_RO:
	case ROOTFS_MODE_DEFAULT: break;
	}
	/* The host's /usr read-only needs no mapping: root's files are
	 * readable as they are. */
	return c->rootfs ? T_RO | T_TREE : T_RO;
}

static int join(struct planner *pl, char *buf, size_t len, const char *a, const char *b)
{
	if ((size_t)snprintf(buf, len, "%s/%s", strcmp(a, "/") == 0 ? "" : a, b) >= len)
		return err_at(pl->err, -ENAMETOOLONG, a, NULL);
	return 0;
}

static int add_root_entries(struct planner *pl)
{
	char src[PATH_MAX], dst[PATH_MAX];
	const char *root = pl->c->rootfs;
	int r;

	unsigned flags = mode_flags(pl->c);
	if (!root) {
		for (const char *const *n = host_root_entries; *n; n++) {
			snprintf(src, sizeof src, "/%s", *n);
			if ((r = add_host_entry(pl, src, src, false, flags)) < 0)
				return r;
		}
		for (const char *const *n = host_overlay_extra; *n && (flags & T_OVERLAY); n++)
			if ((r = add_host_entry(pl, *n, *n, false, flags)) < 0)
				return r;
		return 0;
	}
	_cleanup_(closedirp) DIR *d = opendir(root);
	if (!d)
		return err_at(pl->err, -errno, "--rootfs", root);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (in_list(rootfs_skipped, de->d_name))
			continue;
		if ((r = join(pl, src, sizeof src, root, de->d_name)) < 0)
			return r;
		snprintf(dst, sizeof dst, "/%s", de->d_name);
		if ((r = add_host_entry(pl, src, dst, false, flags)) < 0)
			return r;
	}
	return 0;
}

/* An empty file or directory over a credential file of the tree. */
static int add_mask(struct planner *pl, const char *src, const char *dst)
{
	struct stat st;
	if (lstat(src, &st) < 0)
		return errno == ENOENT ? 0 : err_at(pl->err, -errno, src, NULL);
	if (S_ISDIR(st.st_mode)) {
		struct mount_entry e = { .type = ME_TMPFS, .fd = -1, .is_dir = true, .dst = strdup(dst), .size = 4096 };
		return push(pl, &e, src);
	}
	/* A link shows only what the job can reach anyway. */
	if (S_ISLNK(st.st_mode))
		return 0;
	return add_copy(pl, "/dev/null", dst);
}

static int add_etc_list(struct planner *pl, const char *etc, const char *const *list, unsigned dir_flags)
{
	char src[PATH_MAX], dst[PATH_MAX];
	int r;
	for (const char *const *n = list; *n; n++) {
		if ((r = join(pl, src, sizeof src, etc, *n)) < 0)
			return r;
		snprintf(dst, sizeof dst, "/etc/%s", *n);
		if ((r = add_host_entry(pl, src, dst, true, dir_flags)) < 0)
			return r;
	}
	return 0;
}

/* Under an overlay the directories of /etc are overlays too, so package
 * tools can change their configuration (alternatives, sources, conffiles),
 * and the package managers' own configuration is there. */
static int add_etc_entries(struct planner *pl)
{
	char etc[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	int r;
	if ((r = join(pl, etc, sizeof etc, pl->c->rootfs ? pl->c->rootfs : "/", "etc")) < 0)
		return r;
	bool overlay = config_rootfs_mode(pl->c) == ROOTFS_OVERLAY;
	unsigned dir_flags = overlay ? T_RO | T_TREE | T_OVERLAY : T_RO;
	if ((r = add_etc_list(pl, etc, etc_host_entries, dir_flags)) < 0 || !overlay ||
	    (r = add_etc_list(pl, etc, etc_package_entries, dir_flags)) < 0)
		return r;
	for (const char *const *n = etc_package_secrets; *n; n++) {
		if ((r = join(pl, src, sizeof src, etc, *n)) < 0)
			return r;
		snprintf(dst, sizeof dst, "/etc/%s", *n);
		if ((r = add_mask(pl, src, dst)) < 0)
			return r;
	}
	return 0;
}

static int add_dev_nodes(struct planner *pl)
{
	char path[32];
	for (const char *const *n = dev_nodes; *n; n++) {
		snprintf(path, sizeof path, "/dev/%s", *n);
		int r = add_tree(pl, path, path, T_DEV, path);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_user_entries(struct planner *pl)
{
	const struct brig_config *c = pl->c;
	char what[PATH_MAX + 32];
	int r;

	if (c->workspace) {
		snprintf(what, sizeof what, "--workspace %s", c->workspace);
		if ((r = add_tree(pl, c->workspace, c->workspace, T_IDMAP | T_USER, what)) < 0)
			return r;
	}
	char root[PATH_MAX], dir[2 * PATH_MAX];
	for (size_t i = 0; i < c->n_caches; i++) {
		if ((r = rootfs_cache_root(c, root, sizeof root)) < 0)
			return err_at(pl->err, r, "cache-dir", NULL);
		snprintf(dir, sizeof dir, "%s/%s", root, c->caches[i].dir);
		snprintf(what, sizeof what, "--cache %s", c->caches[i].key);
		if ((r = add_tree(pl, dir, c->caches[i].dst, T_IDMAP | T_USER, what)) < 0)
			return r;
	}
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct brig_mount *m = &c->mounts[i];
		if (m->kind == MNT_TMPFS) {
			snprintf(what, sizeof what, "--tmpfs %s", m->dst);
			struct mount_entry e = { .type = ME_TMPFS, .fd = -1, .is_dir = true, .user = true,
						 .dst = strdup(m->dst), .size = m->size };
			r = push(pl, &e, what);
		} else {
			bool ro = m->kind == MNT_RO_BIND;
			snprintf(what, sizeof what, "--%s %s", ro ? "ro-bind" : "bind", m->src);
			r = add_tree(pl, m->src, m->dst, T_USER | (ro ? T_RO : T_IDMAP), what);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Where the overlays' upper layers will live: the per-job directory,
 * cloned here with the caller's authority, or a tmpfs the child makes. */
static int add_upper(struct planner *pl)
{
	struct mount_plan *p = pl->p;
	p->overlay_size = pl->c->overlay_size;
	if (!p->overlay_job_dir)
		return 0;
	p->upper_fd = open_tree(AT_FDCWD, p->overlay_job_dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (p->upper_fd < 0)
		return err_at(pl->err, -errno, "overlay-dir", p->overlay_job_dir);
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	if (mount_setattr(p->upper_fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
		return err_at(pl->err, -errno, "overlay-dir", p->overlay_job_dir);
	return 0;
}

/* Only regular files, resolved inside the tree as the job would. */
static int open_accounts(struct planner *pl)
{
	struct mount_plan *p = pl->p;
	const struct brig_config *c = pl->c;
	if (!c->rootfs && config_rootfs_mode(c) != ROOTFS_OVERLAY)
		return 0;
	_cleanup_close_ int root = open(c->rootfs ? c->rootfs : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return err_at(pl->err, -errno, "rootfs", c->rootfs);
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	int *slot[] = { &p->passwd_fd, &p->group_fd };
	const char *name[] = { "etc/passwd", "etc/group" };
	for (size_t i = 0; i < 2; i++) {
		int fd = sys_openat2(root, name[i], &how);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			fd = -1;
		}
		*slot[i] = fd < 0 ? -1 : fd;
	}
	return 0;
}

int mount_plan_open(const struct brig_config *c, struct mount_plan *p, struct brig_err *e)
{
	struct planner pl = { .c = c, .p = p, .err = e, .idmap_fd = -1, .tree_idmap_fd = -1 };
	int r;

	const char *overlay_job_dir = p->overlay_job_dir;
	*p = (struct mount_plan)MOUNT_PLAN_INIT;
	p->overlay_job_dir = overlay_job_dir;
	if ((r = add_root_entries(&pl)) >= 0 && (r = add_etc_entries(&pl)) >= 0 && (r = add_dev_nodes(&pl)) >= 0 &&
	    (r = add_upper(&pl)) >= 0 && (r = open_accounts(&pl)) >= 0)
		r = add_user_entries(&pl);
	if (pl.idmap_fd >= 0)
		close(pl.idmap_fd);
	if (pl.tree_idmap_fd >= 0)
		close(pl.tree_idmap_fd);
	if (r < 0)
		mount_plan_free(p);
	return r;
}

void mount_plan_free(struct mount_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct mount_entry *e = &p->v[i];
		if (e->fd >= 0)
			close(e->fd);
		free(e->dst);
		free(e->link);
		free(e->what);
	}
	free(p->v);
	int *fds[] = { &p->upper_fd, &p->passwd_fd, &p->group_fd };
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	*p = (struct mount_plan)MOUNT_PLAN_INIT;
}

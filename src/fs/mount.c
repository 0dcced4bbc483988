/* The child's half of the filesystem: a fresh tmpfs root, assembled from
 * the plan and new kernel filesystems, then pivoted into. Every path below
 * the new root is resolved inside it (RESOLVE_IN_ROOT), so a link in a
 * prepared tree can never make brig mount over a host path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "brig/fs/etc.h"
#include "brig/fs/mount.h"
#include "brig/lib/sys.h"
#include "brig/lib/util.h"

/* Where the new root is assembled, in the job's own mount namespace only:
 * every host tree is already open by then, so hiding the host's /tmp here
 * hides nothing the job needs. */
#define BUILD_DIR "/tmp"

/* Where the overlays' upper and work directories are staged while the
 * overlays are made: inside the new root, so that they belong to the
 * job's mount namespace (overlayfs only takes layers from there), and
 * detached and removed before the job starts. */
#define STAGE_DIR "/" MOUNT_STAGE_NAME

/* A writable /etc holds configuration, not data. */
#define ETC_OVERLAY_SIZE (64u << 20)

struct builder {
	const struct brig_config *c;
	int root; /* the new root's tmpfs */
	int stage; /* STAGE_DIR, while overlays are being made */
	unsigned n_overlays;
	struct brig_err *err;
};

/* Opens path (absolute, inside the job) relative to the new root. */
static int open_in_root(int root, const char *path, uint64_t flags)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	if (flags & O_CREAT)
		how.mode = 0644;
	while (*path == '/')
		path++;
	return sys_openat2(root, *path ? path : ".", &how);
}

/* mkdir -p of the parents of path, then the last component as a directory
 * or an empty file; returns an O_PATH fd of it. */
static int make_target(int root, const char *path, bool dir)
{
	char buf[4096];
	if (strlen(path) >= sizeof buf)
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *slash = strchr(buf + 1, '/');; slash = strchr(slash + 1, '/')) {
		bool last = slash == NULL;
		if (!last)
			*slash = '\0';
		char *base = strrchr(buf, '/');
		*base = '\0';
		_cleanup_close_ int parent = open_in_root(root, *buf ? buf : "/", O_PATH | O_DIRECTORY);
		*base = '/';
		if (parent < 0)
			return parent;
		int r = 0;
		if (!last || dir)
			r = mkdirat(parent, base + 1, 0755);
		else {
			int fd = openat(parent, base + 1, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
			r = fd;
			if (fd >= 0)
				close(fd);
		}
		if (r < 0 && errno != EEXIST)
			return -errno;
		if (last)
			break;
		*slash = '/';
	}
	return open_in_root(root, path, O_PATH | O_NOFOLLOW);
}

static int attach(struct builder *b, int tree, const char *dst, bool dir, const char *what)
{
	_cleanup_close_ int target = make_target(b->root, dst, dir);
	if (target < 0)
		return err_at(b->err, target, what, "cannot create the mount point");
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return err_at(b->err, -errno, what, "cannot attach");
	return 0;
}

/* A new instance of a kernel filesystem, detached, with key=value options. */
static int fs_new(const char *type, const char *const *opts, unsigned attrs)
{
	_cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	for (; opts && opts[0]; opts += 2)
		if (fsconfig(fs, opts[1] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, opts[0], opts[1], 0) < 0)
			return -errno;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
	return mnt < 0 ? -errno : mnt;
}

static int mount_fs(struct builder *b, const char *type, const char *dst, const char *const *opts, unsigned attrs)
{
	_cleanup_close_ int mnt = fs_new(type, opts, attrs);
	if (mnt < 0)
		return err_at(b->err, mnt, dst, type);
	return attach(b, mnt, dst, true, dst);
}

static int tmpfs_at(struct builder *b, const char *dst, const char *mode, uint64_t size)
{
	char sz[32];
	snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
	const char *opts[] = { "mode", mode, size ? "size" : NULL, sz, NULL };
	return mount_fs(b, "tmpfs", dst, opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
}

static int make_symlink(struct builder *b, const char *target, const char *dst)
{
	char parent[4096];
	snprintf(parent, sizeof parent, "%s", dst);
	char *base = strrchr(parent, '/');
	*base = '\0';
	_cleanup_close_ int dir = *parent ? make_target(b->root, parent, true) : open_in_root(b->root, "/", O_PATH);
	if (dir < 0)
		return err_at(b->err, dir, dst, "cannot create the parent directory");
	if (symlinkat(target, dir, base + 1) < 0 && errno != EEXIST)
		return err_at(b->err, -errno, dst, "cannot create the link");
	return 0;
}

static int copy_file(struct builder *b, int src, const char *dst)
{
	_cleanup_close_ int target = make_target(b->root, dst, false);
	if (target < 0)
		return err_at(b->err, target, dst, "cannot create");
	_cleanup_close_ int out = open_in_root(b->root, dst, O_WRONLY | O_TRUNC | O_NOFOLLOW);
	struct stat st;
	if (out < 0 || fstat(src, &st) < 0)
		return err_at(b->err, -errno, dst, "cannot open");
	off_t off = 0;
	while (off < st.st_size) {
		ssize_t n = sendfile(out, src, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			return err_at(b->err, n < 0 ? -errno : -EIO, dst, "cannot copy");
	}
	return 0;
}

static int stage_open(struct builder *b, const struct mount_plan *p)
{
	char sz[32];
	snprintf(sz, sizeof sz, "%llu", (unsigned long long)p->overlay_size);
	const char *opts[] = { "mode", "0755", p->overlay_size ? "size" : NULL, sz, NULL };
	_cleanup_close_ int tmp = -1;
	int tree = p->upper_fd;
	if (tree < 0) {
		tree = tmp = fs_new("tmpfs", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
		if (tmp < 0)
			return err_at(b->err, tmp, "overlay", "cannot create the tmpfs for the upper layers");
	}
	int r = attach(b, tree, STAGE_DIR, true, p->upper_fd >= 0 ? "overlay-dir" : "overlay");
	if (r < 0)
		return r;
	b->stage = open_in_root(b->root, STAGE_DIR, O_RDONLY | O_DIRECTORY);
	if (b->stage < 0)
		return err_at(b->err, b->stage, "overlay", "cannot open the upper layers");
	if ((mkdirat(b->stage, "upper", 0755) < 0 && errno != EEXIST) ||
	    (mkdirat(b->stage, "work", 0755) < 0 && errno != EEXIST))
		return err_at(b->err, -errno, "overlay", "cannot make the upper layers");
	return 0;
}

/* The layers stay referenced by the overlays; the stage itself goes. */
static int stage_close(struct builder *b)
{
	char path[64];
	if (b->stage < 0)
		return 0;
	snprintf(path, sizeof path, "/proc/self/fd/%d", b->stage);
	int r = umount2(path, MNT_DETACH) < 0 ? -errno : 0;
	close(b->stage);
	b->stage = -1;
	if (r < 0)
		return err_at(b->err, r, "overlay", "cannot detach the upper layers");
	_cleanup_close_ int top = open_in_root(b->root, "/", O_RDONLY | O_DIRECTORY);
	if (top < 0 || unlinkat(top, MOUNT_STAGE_NAME, AT_REMOVEDIR) < 0)
		return err_at(b->err, top < 0 ? top : -errno, "overlay", "cannot remove the stage");
	return 0;
}

static int layer_dir(struct builder *b, const char *kind, unsigned n)
{
	char name[32];
	snprintf(name, sizeof name, "%s/%u", kind, n);
	if (mkdirat(b->stage, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	int fd = openat(b->stage, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The tree is attached at dst first, then an overlay over it is mounted
 * on top, with that mount as its lower layer: the job sees only the
 * overlay, and the tree below is read-only whatever happens above.
 * Layers are named by /proc/self/fd paths, which need no escaping and
 * were resolved in the new root. In a user namespace overlayfs keeps its
 * metadata in user.* attributes (userxattr). */
static int overlay_entry(struct builder *b, const struct mount_entry *e)
{
	int r = attach(b, e->fd, e->dst, true, e->what);
	if (r < 0)
		return r;
	unsigned n = b->n_overlays++;
	_cleanup_close_ int lower = open_in_root(b->root, e->dst, O_PATH | O_DIRECTORY | O_NOFOLLOW);
	_cleanup_close_ int upper = layer_dir(b, "upper", n);
	_cleanup_close_ int work = layer_dir(b, "work", n);
	if (lower < 0 || upper < 0 || work < 0)
		return err_at(b->err, lower < 0 ? lower : upper < 0 ? upper : work, e->what, "cannot prepare the overlay");
	char l[32], u[32], w[32];
	snprintf(l, sizeof l, "/proc/self/fd/%d", lower);
	snprintf(u, sizeof u, "/proc/self/fd/%d", upper);
	snprintf(w, sizeof w, "/proc/self/fd/%d", work);
	const char *opts[] = { "lowerdir", l, "upperdir", u, "workdir", w, "userxattr", NULL, NULL };
	_cleanup_close_ int ovl = fs_new("overlay", opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (ovl < 0)
		return err_at(b->err, ovl, e->what, "cannot mount the overlay");
	if (move_mount(ovl, "", lower, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return err_at(b->err, -errno, e->what, "cannot attach the overlay");
	return 0;
}

static int apply_entry(struct builder *b, const struct mount_entry *e)
{
	switch (e->type) {
	case ME_TREE:
		if (e->overlay)
			return overlay_entry(b, e);
		return attach(b, e->fd, e->dst, e->is_dir, e->what);
	case ME_SYMLINK:
		return make_symlink(b, e->link, e->dst);
	case ME_COPY:
		return copy_file(b, e->fd, e->dst);
	case ME_TMPFS:
		/* scratch space, like /tmp; brig's own (masks) are not */
		return tmpfs_at(b, e->dst, e->user ? "1777" : "0755", e->size);
	}
	return -EINVAL;
}

static size_t depth(const char *path)
{
	size_t n = 0;
	for (; *path; path++)
		n += *path == '/';
	return n;
}

/* Shallower destinations first, in the given order within one depth: a
 * mount never hides one given before it deeper down (a workspace under
 * /var/tmp stays visible when a profile's tmpfs /var/tmp comes later). */
static int apply_entries(struct builder *b, const struct mount_plan *p, bool user)
{
	int r;
	size_t max = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].user == user && depth(p->v[i].dst) > max)
			max = depth(p->v[i].dst);
	for (size_t d = 0; d <= max; d++)
		for (size_t i = 0; i < p->n; i++) {
			if (p->v[i].user != user || depth(p->v[i].dst) != d)
				continue;
			if (p->v[i].overlay && b->stage < 0 && (r = stage_open(b, p)) < 0)
				return r;
			if ((r = apply_entry(b, &p->v[i])) < 0)
				return r;
		}
	return stage_close(b);
}

static int build_dev(struct builder *b)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "/dev/fd" },   { "/proc/self/fd/0", "/dev/stdin" },
		{ "/proc/self/fd/1", "/dev/stdout" }, { "/proc/self/fd/2", "/dev/stderr" },
		{ "pts/ptmx", "/dev/ptmx" },
	};
	/* A private devpts instance: the job's ptys are its own, and the
	 * caller's terminals are not in it. */
	static const char *const pts_opts[] = { "ptmxmode", "0666", "mode", "0620", NULL };
	int r;
	const char *dev_opts[] = { "mode", "0755", "size", "65536", NULL };
	if ((r = mount_fs(b, "tmpfs", "/dev", dev_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)) < 0 ||
	    (r = mount_fs(b, "devpts", "/dev/pts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)) < 0 ||
	    (r = tmpfs_at(b, "/dev/shm", "1777", 0)) < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if ((r = make_symlink(b, links[i][0], links[i][1])) < 0)
			return r;
	return 0;
}

/* What container engines hide or freeze in /proc: kernel memory and
 * keys, timing side channels, and every knob that would reach the host. */
static const char *const proc_masked[] = {
	"kcore", "keys", "key-users", "kallsyms", "kmsg", "timer_list", "sched_debug",
	"latency_stats", "config.gz", "vmallocinfo", "pagetypeinfo", NULL,
};
static const char *const proc_masked_dirs[] = { "acpi", "scsi", "asound", "driver", NULL };
static const char *const proc_readonly[] = { "sys", "sysrq-trigger", "irq", "bus", "fs", NULL };

static int proc_cover(struct builder *b, const char *name, int tree, const char *why)
{
	char dst[64];
	snprintf(dst, sizeof dst, "/proc/%s", name);
	_cleanup_close_ int target = open_in_root(b->root, dst, O_PATH | O_NOFOLLOW);
	if (target == -ENOENT)
		return 0;
	if (target < 0)
		return err_at(b->err, target, dst, why);
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return err_at(b->err, -errno, dst, why);
	return 0;
}

static int clone_in_root(struct builder *b, const char *path, unsigned attrs)
{
	_cleanup_close_ int at = open_in_root(b->root, path, O_PATH | O_NOFOLLOW);
	if (at < 0)
		return at;
	int tree = open_tree(at, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	struct mount_attr a = { .attr_set = attrs };
	if (attrs && mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0) {
		int e = errno;
		close(tree);
		return -e;
	}
	return tree;
}

static int build_proc(struct builder *b)
{
	int r = mount_fs(b, "proc", "/proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (r < 0)
		return r;
	for (const char *const *n = proc_masked; *n; n++) {
		_cleanup_close_ int null = clone_in_root(b, "/dev/null", 0);
		if (null < 0)
			return err_at(b->err, null, "/dev/null", "cannot clone");
		if ((r = proc_cover(b, *n, null, "cannot mask")) < 0)
			return r;
	}
	for (const char *const *n = proc_masked_dirs; *n; n++) {
		const char *opts[] = { "mode", "0555", "size", "4096", NULL };
		_cleanup_close_ int empty = fs_new("tmpfs", opts, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
		if (empty < 0)
			return err_at(b->err, empty, "/proc", "cannot create a mask");
		if ((r = proc_cover(b, *n, empty, "cannot mask")) < 0)
			return r;
	}
	for (const char *const *n = proc_readonly; *n; n++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%s", *n);
		_cleanup_close_ int ro = clone_in_root(b, path, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
		if (ro == -ENOENT)
			continue;
		if (ro < 0)
			return err_at(b->err, ro, path, "cannot make read-only");
		if ((r = proc_cover(b, *n, ro, "cannot make read-only")) < 0)
			return r;
	}
	return 0;
}

static int build_home(struct builder *b, const char *home)
{
	int r = tmpfs_at(b, home, "0700", 0);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open_in_root(b->root, home, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fchown(fd, b->c->user, b->c->group) < 0)
		return err_at(b->err, fd < 0 ? fd : -errno, home, "cannot hand over the home directory");
	return 0;
}

static int write_etc(struct builder *b, const struct mount_plan *p, const char *hostname)
{
	_cleanup_close_ int etc = make_target(b->root, "/etc", true);
	if (etc < 0)
		return err_at(b->err, etc, "/etc", "cannot create");
	_cleanup_close_ int dir = open_in_root(b->root, "/etc", O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		return err_at(b->err, dir, "/etc", "cannot open");
	int r = etc_generate(dir, b->c, hostname);
	if (r >= 0 && p->resolv_conf)
		r = etc_write_resolv(dir, p->resolv_conf);
	if (r >= 0 && p->passwd_fd >= 0)
		r = etc_add_system_accounts(dir, "passwd", p->passwd_fd);
	if (r >= 0 && p->group_fd >= 0)
		r = etc_add_system_accounts(dir, "group", p->group_fd);
	return r < 0 ? err_at(b->err, r, "/etc", "cannot write") : 0;
}

/* What package tools expect to find writable under an overlay; in a
 * tree's own /var they already are (copy-up), on the host's /usr they
 * are empty directories of the job's root, gone with it. */
static const char *const package_dirs_list[] = { "/var/cache", "/var/log", "/var/lib/apt", "/var/lib/dpkg", NULL };

static int package_dirs(struct builder *b)
{
	for (const char *const *d = package_dirs_list; *d; d++) {
		_cleanup_close_ int fd = make_target(b->root, *d, true);
		if (fd < 0)
			return err_at(b->err, fd, *d, "cannot create");
	}
	return 0;
}

static int set_readonly(struct builder *b, const char *path)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(AT_FDCWD, path, 0, &a, sizeof a) < 0)
		return err_at(b->err, -errno, path, "cannot make read-only");
	return 0;
}

/* The old root goes away as a whole: nothing of the host stays reachable
 * through "..", a cwd or a leftover mount. */
static int pivot(struct builder *b)
{
	if (fchdir(b->root) < 0)
		return err_at(b->err, -errno, "pivot_root", "cannot enter the new root");
	int r = sys_pivot_root(".", ".");
	if (r < 0)
		return err_at(b->err, r, "pivot_root", NULL);
	if (umount2(".", MNT_DETACH) < 0)
		return err_at(b->err, -errno, "pivot_root", "cannot detach the old root");
	if (chdir("/") < 0)
		return err_at(b->err, -errno, "/", NULL);
	return 0;
}

/* A fresh sysfs shows the job's own network namespace. A job on the
 * host's network (net host) does not own its namespace, and the kernel
 * refuses it a sysfs: it gets a read-only copy of the host's /sys. */
static int build_sys(struct builder *b)
{
	const unsigned ro = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	if (b->c->net.mode != NET_HOST)
		return mount_fs(b, "sysfs", "/sys", NULL, ro);
	_cleanup_close_ int tree = open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	struct mount_attr a = { .attr_set = ro };
	if (tree < 0)
		return err_at(b->err, -errno, "/sys", "cannot copy the host's /sys");
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
		return err_at(b->err, -errno, "/sys", "cannot make the copy of /sys read-only");
	return attach(b, tree, "/sys", true, "/sys");
}

int mount_build_root(const struct brig_config *c, const struct mount_plan *p, const char *hostname,
		     struct brig_err *e)
{
	struct builder b = { .c = c, .root = -1, .stage = -1, .err = e };
	int r;

	/* Nothing done below may propagate back to the host's mounts. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_at(e, -errno, "/", "cannot make mounts private");
	/* Under an overlay the root directory is writable like the rest of
	 * the tree (`mkdir /app`), as large as the overlay's writes may be;
	 * otherwise it holds only mount points and is made read-only. */
	bool overlay = config_rootfs_mode(c) == ROOTFS_OVERLAY;
	char root_size[32];
	snprintf(root_size, sizeof root_size, "%llu", (unsigned long long)(overlay ? p->overlay_size : 16u << 20));
	const char *root_opts[] = { "mode", "0755", (!overlay || p->overlay_size) ? "size" : NULL, root_size, NULL };
	_cleanup_close_ int root = fs_new("tmpfs", root_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (root < 0)
		return err_at(e, root, "/", "cannot create the root tmpfs");
	if (move_mount(root, "", AT_FDCWD, BUILD_DIR, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return err_at(e, -errno, "/", "cannot attach the root tmpfs");
	b.root = root;

	const char *home = etc_home(c);
	/* Under an overlay the job may change its configuration too (package
	 * tools write conffiles), with changes that vanish like the rest. */
	if (config_rootfs_mode(c) == ROOTFS_OVERLAY && (r = tmpfs_at(&b, "/etc", "0755", ETC_OVERLAY_SIZE)) < 0)
		return r;
	if ((r = build_dev(&b)) < 0 || (r = apply_entries(&b, p, false)) < 0 || (r = build_proc(&b)) < 0 ||
	    (r = tmpfs_at(&b, "/tmp", "1777", 0)) < 0 || (r = tmpfs_at(&b, "/run", "0755", 0)) < 0 ||
	    (r = build_home(&b, home)) < 0)
		return r;
	if (c->sys && (r = build_sys(&b)) < 0)
		return r;
	if ((r = write_etc(&b, p, hostname)) < 0 || (overlay && (r = package_dirs(&b)) < 0) ||
	    (r = apply_entries(&b, p, true)) < 0)
		return r;
	if ((r = pivot(&b)) < 0 || (r = set_readonly(&b, "/dev")) < 0 || (!overlay && (r = set_readonly(&b, "/")) < 0))
		return r;
	return 0;
}

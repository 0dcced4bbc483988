/* Handing the job's files back to the tree's owner. The walk opens each
 * directory relative to its parent with O_NOFOLLOW and changes owners with
 * fchownat(AT_SYMLINK_NOFOLLOW): a link the job left is changed itself,
 * never its target; other file systems mounted below are left alone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/capability.h>

#include "brig/fs/handback.h"
#include "brig/fs/rootfs.h"
#include "brig/lib/log.h"
#include "brig/lib/util.h"

/* Deeper than any build tree; bounds the descriptors the walk holds. */
#define MAX_DEPTH 512

static int add_tree(struct handback *h, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return 0; /* not a directory: nothing below it to hand back */
	uint64_t end = (uint64_t)h->base + h->count;
	/* An owner inside the range keeps the single mapping: nothing to do. */
	if (fstat(fd, &st) < 0 || (st.st_uid >= h->base && st.st_uid < end) ||
	    (st.st_gid >= h->base && st.st_gid < end)) {
		close(fd);
		return 0;
	}
	struct handback_tree *grown = realloc(h->v, (h->n + 1) * sizeof *grown);
	if (!grown) {
		close(fd);
		return -ENOMEM;
	}
	h->v = grown;
	h->v[h->n++] = (struct handback_tree){ .fd = fd, .uid = st.st_uid, .gid = st.st_gid };
	return 0;
}

/* Only a job that can change its ids or give files away can leave files
 * to other ids of its range: without those capabilities (and as the one
 * user it starts as) the walk, whose cost grows with the tree, is
 * skipped. */
static bool may_use_other_ids(const struct brig_config *c, const int *list, size_t n)
{
	static const int give[] = { CAP_CHOWN, CAP_SETUID, CAP_SETGID };
	if (c->user != 0 || c->group != 0)
		return true;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof give / sizeof give[0]; k++)
			if (list[i] == give[k])
				return true;
	return false;
}

int handback_prepare(const struct brig_config *c, const int *caps, size_t n_caps, struct handback *h)
{
	*h = (struct handback){ .base = c->uid_base, .count = c->uid_count };
	if (c->rootless || !may_use_other_ids(c, caps, n_caps))
		return 0;
	int r = 0;
	if (c->workspace)
		r = add_tree(h, c->workspace);
	for (size_t i = 0; r >= 0 && i < c->n_mounts; i++)
		if (c->mounts[i].kind == MNT_BIND)
			r = add_tree(h, c->mounts[i].src);
	char root[4096], dir[8192];
	for (size_t i = 0; r >= 0 && i < c->n_caches; i++) {
		if (rootfs_cache_root(c, root, sizeof root) < 0)
			break;
		snprintf(dir, sizeof dir, "%s/%s", root, c->caches[i].dir);
		r = add_tree(h, dir);
	}
	if (r < 0)
		handback_free(h);
	return r;
}

struct walk {
	const struct handback *h;
	const struct handback_tree *t;
	dev_t dev;
	long changed;
	bool too_deep;
};

static bool in_range(const struct walk *w, unsigned id)
{
	return id >= w->h->base && (uint64_t)id < (uint64_t)w->h->base + w->h->count;
}

/* One entry: its owner back, then, for a directory, what is below. */
static void entry(struct walk *w, int dir, const char *name, unsigned depth)
{
	struct stat st;
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != w->dev)
		return;
	uid_t u = in_range(w, st.st_uid) ? w->t->uid : (uid_t)-1;
	gid_t g = in_range(w, st.st_gid) ? w->t->gid : (gid_t)-1;
	if ((u != (uid_t)-1 || g != (gid_t)-1) && fchownat(dir, name, u, g, AT_SYMLINK_NOFOLLOW) == 0)
		w->changed++;
	if (!S_ISDIR(st.st_mode))
		return;
	if (depth >= MAX_DEPTH) {
		w->too_deep = true;
		return;
	}
	int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			entry(w, fd, de->d_name, depth + 1);
	closedir(d);
}

long handback_run(struct handback *h)
{
	long changed = 0;
	for (size_t i = 0; i < h->n; i++) {
		struct stat st;
		if (fstat(h->v[i].fd, &st) < 0)
			continue;
		struct walk w = { .h = h, .t = &h->v[i], .dev = st.st_dev };
		/* "." of the root: the root itself, then below it. */
		entry(&w, h->v[i].fd, ".", 0);
		if (w.too_deep)
			log_warn("the job left directories deeper than %d levels; files below them may still belong "
				 "to its ids", MAX_DEPTH);
		changed += w.changed;
	}
	return changed;
}

void handback_free(struct handback *h)
{
	for (size_t i = 0; i < h->n; i++)
		close(h->v[i].fd);
	free(h->v);
	*h = (struct handback)HANDBACK_INIT;
}

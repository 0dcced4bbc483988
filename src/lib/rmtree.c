/* Why not nftw: it works on paths, so a tree deeper than PATH_MAX stays
 * (ENAMETOOLONG), and it holds a descriptor per level. Here the walk holds
 * two descriptors at most: it goes down by openat and back up by "..",
 * checking each step up against the device and inode it came down from,
 * so a tree moved while it is walked stops the walk rather than sending
 * it elsewhere. What could not be removed is remembered by inode, so a
 * directory re-read after a step up is not entered twice. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "brig/lib/rmtree.h"

#define REL_MAX 320

struct level {
	char *name; /* in its parent; "" for the top */
	dev_t dev;
	ino_t ino;
	unsigned failed_below;
};

struct key {
	dev_t dev;
	ino_t ino;
};

struct walk {
	struct level *lv;
	size_t depth, cap; /* lv[0..depth] are in use */
	struct key *failed;
	size_t n_failed;
	uint64_t mnt;
	unsigned left;
	rmtree_report_fn report;
	void *ctx;
	const char *top;
};

static int open_dir(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Mode 0 directories (overlayfs' work directories) are the caller's. */
	if (fd < 0 && errno == EACCES && fchmodat(parent, name, 0700, AT_SYMLINK_NOFOLLOW) == 0)
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Its entries can only be unlinked when it is writable. */
	(void)fchmod(fd, 0700);
	return fd;
}

static int identify(int fd, dev_t *dev, ino_t *ino, uint64_t *mnt)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &stx) < 0)
		return -errno;
	*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	*ino = stx.stx_ino;
	*mnt = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
	return 0;
}

static bool failed_before(const struct walk *w, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < w->n_failed; i++)
		if (w->failed[i].dev == dev && w->failed[i].ino == ino)
			return true;
	return false;
}

/* The entry's path from the top, its tail when long. */
static void rel_path(const struct walk *w, const char *name, char *buf, size_t len)
{
	char tmp[2 * REL_MAX];
	size_t pos = sizeof tmp - 1;
	bool cut = false;
	tmp[pos] = '\0';
	/* lv[1] is the top, named by the caller; deeper levels by their parent. */
	for (size_t i = w->depth + 1;; i--) {
		const char *part = i == w->depth + 1 ? name : i == 1 ? w->top : w->lv[i].name;
		size_t l = strlen(part);
		if (l + 1 > pos) {
			cut = true;
			break;
		}
		pos -= l;
		memcpy(tmp + pos, part, l);
		if (i == 1)
			break;
		tmp[--pos] = '/';
	}
	const char *s = tmp + pos;
	size_t sl = strlen(s);
	if (!cut && sl < len)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, ".../%s", sl > len - 5 ? s + sl - (len - 5) : s);
}

/* An entry stays: once per entry, counted against every directory above
 * it, which then stays too without a report of its own. */
static int stays(struct walk *w, const char *name, dev_t dev, ino_t ino, int err)
{
	struct key *grown = realloc(w->failed, (w->n_failed + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	w->failed = grown;
	w->failed[w->n_failed++] = (struct key){ dev, ino };
	for (size_t i = 0; i <= w->depth; i++)
		w->lv[i].failed_below++;
	w->left++;
	if (w->report) {
		char rel[REL_MAX];
		rel_path(w, name, rel, sizeof rel);
		w->report(rel, err, w->ctx);
	}
	return 0;
}

static int push(struct walk *w, const char *name, dev_t dev, ino_t ino)
{
	if (w->depth + 1 >= w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct level *grown = realloc(w->lv, cap * sizeof *grown);
		if (!grown)
			return -ENOMEM;
		w->lv = grown;
		w->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	w->lv[++w->depth] = (struct level){ .name = copy, .dev = dev, .ino = ino };
	return 0;
}

/* One pass over the directory open as d: files unlinked, the first
 * subdirectory not yet failed opened and returned (> 0), 0 when none is
 * left. */
static int next_subdir(struct walk *w, DIR *d)
{
	struct dirent *de;
	int r;
	dev_t here = w->lv[w->depth].dev;
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (failed_before(w, here, de->d_ino))
			continue;
		if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
			int fd = open_dir(dirfd(d), de->d_name);
			if (fd >= 0) {
				dev_t dev;
				ino_t ino;
				uint64_t mnt;
				if ((r = identify(fd, &dev, &ino, &mnt)) < 0 || (mnt && mnt != w->mnt)) {
					close(fd);
					/* Another mount's files are not the tree's. */
					if ((r = stays(w, de->d_name, here, de->d_ino, r < 0 ? -r : EXDEV)) < 0)
						return r;
					continue;
				}
				if ((r = push(w, de->d_name, dev, ino)) < 0) {
					close(fd);
					return r;
				}
				return fd;
			}
			if (fd == -ENOENT)
				continue;
			if (fd != -ENOTDIR && fd != -ELOOP) {
				if ((r = stays(w, de->d_name, here, de->d_ino, -fd)) < 0)
					return r;
				continue;
			}
		}
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT &&
		    (r = stays(w, de->d_name, here, de->d_ino, errno)) < 0)
			return r;
	}
	return errno ? -errno : 0;
}

static int walk(struct walk *w, int dir, const char *name)
{
	int fd = open_dir(dir, name), r;
	if (fd == -ENOENT)
		return 0;
	if (fd == -ENOTDIR || fd == -ELOOP) {
		if (unlinkat(dir, name, 0) == 0 || errno == ENOENT)
			return 0;
		fd = -errno;
	}
	if (fd < 0) {
		if (w->report)
			w->report(name, -fd, w->ctx);
		return 1;
	}
	if ((r = push(w, "", 0, 0)) < 0 || (r = identify(fd, &w->lv[1].dev, &w->lv[1].ino, &w->mnt)) < 0) {
		close(fd);
		return r;
	}
	/* lv[0] stands for the caller's directory: failures count there too. */
	for (;;) {
		DIR *d = fdopendir(fd);
		if (!d) {
			r = -errno;
			close(fd);
			return r;
		}
		int sub = next_subdir(w, d);
		if (sub > 0) {
			closedir(d);
			fd = sub;
			continue;
		}
		if (sub < 0) {
			closedir(d);
			return sub;
		}
		struct level me = w->lv[w->depth];
		if (w->depth == 1) {
			closedir(d);
			w->depth--;
			free(me.name); /* lv[1] is the top's own level, "" */
			if (unlinkat(dir, name, AT_REMOVEDIR) < 0 && errno != ENOENT &&
			    !(errno == ENOTEMPTY && me.failed_below)) {
				if (w->report)
					w->report(name, errno, w->ctx);
				w->left++;
			}
			return (int)w->left;
		}
		int up = openat(dirfd(d), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		closedir(d);
		if (up < 0)
			return -errno;
		struct stat st;
		const struct level *parent = &w->lv[w->depth - 1];
		if (fstat(up, &st) < 0 || st.st_dev != parent->dev || st.st_ino != parent->ino) {
			close(up);
			return -ESTALE;
		}
		w->depth--;
		if (unlinkat(up, me.name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
			int e = errno;
			if (e == ENOTEMPTY && me.failed_below) {
				/* Its failures are reported; it stays with them. */
				struct key *grown = realloc(w->failed, (w->n_failed + 1) * sizeof *grown);
				if (!grown) {
					free(me.name);
					close(up);
					return -ENOMEM;
				}
				w->failed = grown;
				w->failed[w->n_failed++] = (struct key){ me.dev, me.ino };
			} else if ((r = stays(w, me.name, me.dev, me.ino, e)) < 0) {
				free(me.name);
				close(up);
				return r;
			}
		}
		free(me.name);
		fd = up;
	}
}

int rmtree_at(int dir, const char *name, rmtree_report_fn report, void *ctx)
{
	struct walk w = { .report = report, .ctx = ctx, .top = name };
	/* lv[0]: the caller's directory, never removed. */
	w.lv = calloc(64, sizeof *w.lv);
	if (!w.lv)
		return -ENOMEM;
	w.cap = 64;
	w.lv[0] = (struct level){ .name = NULL };
	w.depth = 0;
	int r = walk(&w, dir, name);
	for (size_t i = 1; i <= w.depth; i++)
		free(w.lv[i].name);
	free(w.lv);
	free(w.failed);
	return r;
}

/* openat2's RESOLVE_* path resolution in user space (brig/lib/resolve.h).
 *
 * Why it stays beneath its start (RESOLVE_BENEATH) or inside its root
 * (RESOLVE_IN_ROOT), also while someone renames directories under it:
 *
 *  - The path is walked one component at a time. Each step is an openat()
 *    of one name, relative to a directory descriptor this walk holds, with
 *    O_PATH | O_NOFOLLOW: the kernel resolves that one name and follows no
 *    link for us. No step depends on a path string resolving the same way
 *    twice.
 *  - The walk keeps a stack of the descriptors of the directories it went
 *    down through; the bottom one is where it started (the root, in root).
 *    ".." is never looked up: it pops the stack. At the bottom it is
 *    refused with EXDEV (beneath) or stays put (in root, as "/.." does).
 *    So a directory renamed elsewhere while the walk is inside it cannot
 *    take the walk anywhere by "..": it goes back to the descriptor it came
 *    from, which was reached from the start by names alone. (The kernel's
 *    own ".." under these flags instead checks that nothing was renamed
 *    meanwhile, and answers EAGAIN if something was.)
 *  - Going down from a held directory reaches only what is below it. A
 *    directory moved out of the root under the walk was below the root
 *    when the walk entered it, and whoever could move it could as well have
 *    put anything inside it: nothing reachable that way was out of their
 *    reach before.
 *  - A link's text is read from the very link the step opened (readlinkat
 *    on its O_PATH descriptor), then walked by the same rules: an absolute
 *    one restarts at the bottom of the stack (in root), is refused with
 *    EXDEV (beneath), or restarts at "/" (neither). At most 40 links in
 *    all, the kernel's MAXSYMLINKS; the 41st is ELOOP.
 *  - The last component is opened with the caller's flags plus O_NOFOLLOW.
 *    If it turns out to be a link that the caller's flags follow (ELOOP,
 *    ENOTDIR where O_DIRECTORY or O_TMPFILE asks for a directory, or an
 *    O_PATH descriptor of a link), its text is walked as above, never handed
 *    to the kernel to follow. With O_CREAT, a dangling link thus creates its
 *    target, resolved inside the root as openat2 does; O_CREAT | O_EXCL
 *    follows nothing (EEXIST).
 *
 * Magic links (procfs's fd/N, exe, cwd, root, ns/..., map_files/...) are
 * the links the kernel follows by jumping to an object instead of reading
 * a path. Here a link is magic when it lives on procfs and its text is
 * absolute or holds a ':' ("/etc/passwd", "pipe:[7]", "net:[4026531840]");
 * procfs's ordinary links (self, thread-self, mounts, net) read as
 * relative paths without one. A magic link is ELOOP under
 * RESOLVE_NO_MAGICLINKS and EXDEV under RESOLVE_BENEATH or RESOLVE_IN_ROOT,
 * as the kernel answers; with none of these the kernel is asked to follow
 * that one name. A magic link misjudged as ordinary cannot leave the root
 * either: its text is then walked as any other link's, by the same stack.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "brig/lib/resolve.h"

/* The kernel's MAXSYMLINKS: links followed in one resolution. */
#define MAX_LINKS 40

/* What openat2 accepts (the kernel's VALID_OPEN_FLAGS). glibc defines
 * O_LARGEFILE as 0 on x86_64, where the kernel's bit is 0100000 and
 * openat2 takes it without O_PATH. */
#ifdef __x86_64__
#define KERNEL_O_LARGEFILE 0100000
#else
#define KERNEL_O_LARGEFILE O_LARGEFILE
#endif
#define VALID_FLAGS                                                                                            \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | O_ASYNC | \
	 O_DIRECT | KERNEL_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE)
#define PATH_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
/* The kernel's __O_TMPFILE; glibc's O_TMPFILE also holds O_DIRECTORY. */
#define TMPFILE_BIT (O_TMPFILE & ~O_DIRECTORY)
#define VALID_RESOLVE                                                                                   \
	(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | \
	 RESOLVE_CACHED)
#define SCOPED (RESOLVE_BENEATH | RESOLVE_IN_ROOT)

/* step()'s and finish()'s answer when a link's text now leads the rest of
 * the path: walk on. */
#define WALK_ON 1
/* follow()'s answer for a magic link the caller lets the kernel follow. */
#define JUMP 2

struct walk {
	int *dirs; /* the stack; dirs[0] is where the walk started */
	size_t n, cap;
	uint64_t resolve;
	unsigned links;
	uint64_t mnt; /* RESOLVE_NO_XDEV: the mount every step stays on */
	char *rest; /* the path still to walk, links' texts spliced in */
	size_t pos;
};

static int top(const struct walk *w)
{
	return w->dirs[w->n - 1];
}

static void drop_to(struct walk *w, size_t n)
{
	while (w->n > n)
		close(w->dirs[--w->n]);
}

static int mount_of(int fd, uint64_t *id)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return -errno;
	/* Without the mount's id (before Linux 5.8) RESOLVE_NO_XDEV could be
	 * told only by device numbers, which bind mounts share: refused, as
	 * openat2 itself is missing there. */
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -ENOSYS;
	*id = stx.stx_mnt_id;
	return 0;
}

/* fd, if it is on the walk's mount where RESOLVE_NO_XDEV asks; consumes
 * fd either way. */
static int same_mount(const struct walk *w, int fd)
{
	uint64_t id;
	int r;
	if (fd < 0 || !(w->resolve & RESOLVE_NO_XDEV))
		return fd;
	if ((r = mount_of(fd, &id)) < 0 || (id != w->mnt && (r = -EXDEV))) {
		close(fd);
		return r;
	}
	return fd;
}

static int push(struct walk *w, int fd)
{
	if ((fd = same_mount(w, fd)) < 0)
		return fd;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		int *d = realloc(w->dirs, cap * sizeof *d);
		if (!d) {
			close(fd);
			return -ENOMEM;
		}
		w->dirs = d;
		w->cap = cap;
	}
	w->dirs[w->n++] = fd;
	return 0;
}

/* The bottom of the stack becomes fd (a fresh start: "/" or a real ".."). */
static int rebase(struct walk *w, int fd)
{
	if (fd < 0)
		return -errno;
	if ((fd = same_mount(w, fd)) < 0)
		return fd;
	drop_to(w, 1);
	close(w->dirs[0]);
	w->dirs[0] = fd;
	return 0;
}

/* The kernel checks search permission on the directory each component is
 * looked up in, "." and ".." too; opening "." asks exactly that and goes
 * nowhere. */
static int may_search(const struct walk *w)
{
	int fd = openat(top(w), ".", O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int dotdot(struct walk *w)
{
	int r = may_search(w);
	if (r < 0)
		return r;
	if (w->n > 1) {
		drop_to(w, w->n - 1);
		return 0;
	}
	if (w->resolve & RESOLVE_IN_ROOT)
		return 0;
	if (w->resolve & RESOLVE_BENEATH)
		return -EXDEV;
	/* Nothing to stay within: ".." above the start is the start's real
	 * parent, the one place a ".." is looked up. */
	return rebase(w, openat(w->dirs[0], "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
}

/* An absolute path or link text: from the root. */
static int restart(struct walk *w)
{
	if (w->resolve & RESOLVE_IN_ROOT) {
		drop_to(w, 1);
		return 0;
	}
	if (w->resolve & RESOLVE_BENEATH)
		return -EXDEV;
	return rebase(w, open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
}

static bool is_magic(int link, const char *text)
{
	struct statfs fs;
	return fstatfs(link, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC && (text[0] == '/' || strchr(text, ':'));
}

/* The link open as `link` (O_PATH | O_NOFOLLOW) was met where the walk's
 * rest continues at w->pos: its text goes in front of that rest. */
static int follow(struct walk *w, int link)
{
	if (w->resolve & RESOLVE_NO_SYMLINKS)
		return -ELOOP;
	if (w->links++ >= MAX_LINKS)
		return -ELOOP;
	char text[PATH_MAX];
	ssize_t len = readlinkat(link, "", text, sizeof text);
	if (len < 0)
		return -errno;
	if ((size_t)len == sizeof text)
		return -ENAMETOOLONG;
	if (len == 0)
		return -ENOENT;
	text[len] = '\0';
	if (is_magic(link, text)) {
		if (w->resolve & RESOLVE_NO_MAGICLINKS)
			return -ELOOP;
		if (w->resolve & SCOPED)
			return -EXDEV;
		return JUMP;
	}
	if (text[0] == '/') {
		int r = restart(w);
		if (r < 0)
			return r;
	}
	const char *after = w->rest + w->pos;
	size_t tail = strlen(after);
	char *rest = malloc((size_t)len + tail + 1);
	if (!rest)
		return -ENOMEM;
	memcpy(rest, text, (size_t)len);
	memcpy(rest + len, after, tail + 1);
	free(w->rest);
	w->rest = rest;
	w->pos = 0;
	return WALK_ON;
}

/* A component that is not the last: a directory to go into, or a link. */
static int step(struct walk *w, const char *name)
{
	if (strcmp(name, ".") == 0)
		return may_search(w);
	if (strcmp(name, "..") == 0)
		return dotdot(w);
	int fd = openat(top(w), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int r = fstat(fd, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : S_ISLNK(st.st_mode) ? 1 : -ENOTDIR;
	if (r == 0)
		return push(w, fd);
	if (r == 1) {
		r = follow(w, fd);
		if (r == JUMP) {
			/* The kernel follows this one magic link. */
			int to = openat(top(w), name, O_PATH | O_DIRECTORY | O_CLOEXEC);
			r = to < 0 ? -errno : push(w, to);
		}
	}
	close(fd);
	return r;
}

/* The last component, with the caller's flags: the fd, or WALK_ON when it
 * was a link to follow. */
static int finish(struct walk *w, const char *name, const struct open_how *how)
{
	int flags = (int)how->flags;
	if (strcmp(name, "..") == 0) {
		int r = dotdot(w);
		if (r < 0)
			return r;
		name = ".";
	}
	if (strcmp(name, ".") == 0) {
		int fd = openat(top(w), ".", flags, (mode_t)how->mode);
		return same_mount(w, fd < 0 ? -errno : fd);
	}
	bool follows = !(flags & O_NOFOLLOW) && (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL);
	int fd = openat(top(w), name, flags | O_NOFOLLOW, (mode_t)how->mode), link;
	if (fd >= 0) {
		struct stat st;
		if (!follows || !(flags & O_PATH))
			return same_mount(w, fd);
		if (fstat(fd, &st) < 0 || !S_ISLNK(st.st_mode))
			return same_mount(w, fd);
		link = fd;
	} else {
		int code = errno;
		struct stat st;
		if (!follows || (code != ELOOP && code != ENOTDIR))
			return -code;
		/* Was it a link? Asked of the name again: if it is one now, it
		 * is the link followed, whatever was there a moment ago. */
		link = openat(top(w), name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (link < 0)
			return -code;
		if (fstat(link, &st) < 0 || !S_ISLNK(st.st_mode)) {
			close(link);
			return -code;
		}
	}
	int r = follow(w, link);
	close(link);
	if (r == JUMP) {
		fd = openat(top(w), name, flags, (mode_t)how->mode);
		return same_mount(w, fd < 0 ? -errno : fd);
	}
	return r;
}

/* openat2's own checks of its arguments, in its order. */
static int check_how(const struct open_how *how)
{
	uint64_t flags = how->flags & ~(uint64_t)O_CLOEXEC;
	if (flags & ~(uint64_t)VALID_FLAGS || how->resolve & ~(uint64_t)VALID_RESOLVE)
		return -EINVAL;
	if ((how->resolve & SCOPED) == SCOPED)
		return -EINVAL;
	bool creates = flags & (O_CREAT | TMPFILE_BIT);
	if (creates ? how->mode & ~(uint64_t)07777 : how->mode != 0)
		return -EINVAL;
	if ((flags & (O_DIRECTORY | O_CREAT)) == (O_DIRECTORY | O_CREAT))
		return -EINVAL;
	if ((flags & TMPFILE_BIT) && (!(flags & O_DIRECTORY) || (flags & O_ACCMODE) == O_RDONLY))
		return -EINVAL;
	if ((flags & O_PATH) && (flags & ~(uint64_t)PATH_FLAGS))
		return -EINVAL;
	if ((how->resolve & RESOLVE_CACHED))
		return -EAGAIN;
	return 0;
}

static int start(struct walk *w, int dirfd, bool absolute)
{
	int fd;
	if (absolute && !(w->resolve & RESOLVE_IN_ROOT)) {
		if (w->resolve & RESOLVE_BENEATH)
			return -EXDEV;
		fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else if (dirfd == AT_FDCWD) {
		fd = open(".", O_PATH | O_CLOEXEC);
	} else {
		fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	}
	if (fd < 0)
		return -errno;
	int r = 0;
	if ((w->resolve & RESOLVE_NO_XDEV) && (r = mount_of(fd, &w->mnt)) < 0) {
		close(fd);
		return r;
	}
	return push(w, fd);
}

static int walk(struct walk *w, const struct open_how *how)
{
	for (;;) {
		const char *p = w->rest + w->pos;
		while (*p == '/')
			p++;
		if (!*p)
			/* Nothing after the last directory ("/", "a/"). */
			return finish(w, ".", how);
		size_t len = strcspn(p, "/");
		char name[PATH_MAX];
		if (len >= sizeof name)
			return -ENAMETOOLONG;
		memcpy(name, p, len);
		name[len] = '\0';
		const char *after = p + len, *q = after;
		while (*q == '/')
			q++;
		w->pos = (size_t)(after - w->rest);
		int r;
		if (*q) {
			r = step(w, name);
		} else if (q == after) {
			r = finish(w, name, how);
			if (r != WALK_ON)
				return r;
		} else {
			/* A trailing slash: the name must be a directory,
			 * reached through links whatever O_NOFOLLOW says, and
			 * is never created. */
			if (how->flags & O_CREAT)
				return -EISDIR;
			r = step(w, name);
		}
		if (r < 0)
			return r;
	}
}

int resolve_openat2(int dirfd, const char *path, const struct open_how *how)
{
	int r = check_how(how);
	if (r < 0)
		return r;
	if (!path)
		return -EFAULT;
	if (!*path)
		return -ENOENT;
	if (strnlen(path, PATH_MAX) == PATH_MAX)
		return -ENAMETOOLONG;
	struct walk w = { .resolve = how->resolve, .rest = strdup(path) };
	if (!w.rest)
		return -ENOMEM;
	r = start(&w, dirfd, path[0] == '/');
	if (r >= 0)
		r = walk(&w, how);
	drop_to(&w, 0);
	free(w.dirs);
	free(w.rest);
	return r;
}

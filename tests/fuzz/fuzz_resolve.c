/* libFuzzer target for openat2's resolution in user space
 * (src/lib/resolve.c): hostile paths, walked through a fixed tree of
 * hostile links, must give what the kernel's openat2 gives (the same
 * error, or the same file), under RESOLVE_BENEATH or RESOLVE_IN_ROOT with
 * any of the other flags; and no walk may leave a descriptor behind.
 *
 * Input: byte 0 the resolve flags (bit 0 NO_XDEV, 1 NO_MAGICLINKS,
 * 2 NO_SYMLINKS, bits 3-4 the scope: BENEATH, IN_ROOT, both (EINVAL),
 * BENEATH), byte 1 the open flags (bit 0 O_NOFOLLOW, 1 O_DIRECTORY,
 * 2 a real open instead of O_PATH, 3 start in a/b instead of the root),
 * then the path. Only scoped walks: an unscoped one may reach the host's
 * /proc/self/fd, whose entries differ between the two (the walk's own
 * descriptors are there). A real open (not O_PATH) is made only of what
 * both O_PATH walks found inside the tree, so no walk opens a device.
 * Where openat2 answers ENOSYS the walk runs alone, for crashes and leaks. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "brig/lib/resolve.h"

static int root = -1, sub = -1;
static bool kernel = true;
static ino_t tree_inodes[128];
static size_t n_inodes;
static dev_t tree_dev;

/* The tree lives for the process; libFuzzer ends it with exit(), or
 * fail() with abort(). */
static char top[64] = "/tmp/brig-fuzz-resolve-XXXXXX";
static void remove_tree(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
}

static void fail(void)
{
	remove_tree();
	abort();
}

static void must(bool ok, const char *what)
{
	if (!ok) {
		perror(what);
		fail();
	}
}

static void remember(int dir, const char *name)
{
	struct stat st;
	must(fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0, name);
	if (n_inodes < sizeof tree_inodes / sizeof *tree_inodes)
		tree_inodes[n_inodes++] = st.st_ino;
	tree_dev = st.st_dev;
}

static void make_dir(const char *name)
{
	must(mkdirat(root, name, 0755) == 0, name);
	remember(root, name);
}

static void make_file(const char *name)
{
	int fd = openat(root, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	must(fd >= 0, name);
	close(fd);
	remember(root, name);
}

static void make_link(const char *target, const char *name)
{
	must(symlinkat(target, root, name) == 0, name);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	must(mkdtemp(top) != NULL, "mkdtemp");
	atexit(remove_tree);
	root = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
	must(root >= 0, top);
	remember(root, ".");
	make_dir("a");
	make_dir("a/b");
	make_dir("a/b/c");
	make_dir("etc");
	make_file("etc/passwd");
	make_file("a/b/c/file");
	make_file("a/file");
	make_link("../../etc/passwd", "a/b/up2");
	make_link("../../../../../etc/passwd", "a/b/up5");
	make_link("/etc/passwd", "abs");
	make_link("/a/b", "absdir");
	make_link("/", "slash");
	make_link("..", "dotdot");
	make_link(".", "dot");
	make_link("a/", "aslash");
	make_link("a/b/c/file/", "fileslash");
	make_link("a/b/c/file", "rel");
	make_link("loop2", "loop1");
	make_link("loop1", "loop2");
	make_link("missing", "dangling");
	make_link("/proc/self/fd/0", "magic");
	make_link("../../..", "a/b/climb");
	char name[16], target[16];
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof name, "n%d", i);
		snprintf(target, sizeof target, "n%d", i + 1);
		make_link(i == 40 ? "a/b" : target, name);
	}
	sub = openat(root, "a/b", O_PATH | O_DIRECTORY | O_CLOEXEC);
	must(sub >= 0, "a/b");
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
	kernel = !(fd < 0 && errno == ENOSYS);
	if (fd >= 0)
		close((int)fd);
	return 0;
}

/* A rename anywhere on the machine during a lookup with ".." makes the
 * kernel's scoped openat2 answer EAGAIN: asked again. */
static int kernel_openat2(int dirfd, const char *path, const struct open_how *how)
{
	for (int i = 0;; i++) {
		long r = syscall(SYS_openat2, dirfd, path, how, sizeof *how);
		if (r >= 0)
			return (int)r;
		if (errno != EAGAIN || i == 1000)
			return -errno;
	}
}

static bool in_tree(const struct stat *st)
{
	if (st->st_dev != tree_dev)
		return false;
	for (size_t i = 0; i < n_inodes; i++)
		if (tree_inodes[i] == st->st_ino)
			return true;
	return false;
}

/* The kernel counts the links of a walk it abandons in RCU mode and
 * redoes in ref-walk mode twice (the count lives across the retry): an
 * RCU walk abandoned on a cold cache, and every RESOLVE_BENEATH walk that
 * reaches ".." at its start (which RCU mode leaves to ref-walk to refuse),
 * may answer ELOOP after fewer than 40 links. The user-space walk counts
 * each link once. So a kernel ELOOP is asked again, the cache warm; and
 * ELOOP against the walk's EXDEV under RESOLVE_BENEATH is that double
 * count, not a difference. */
static bool kernel_double_count(int a, int *b, int dirfd, const char *path, const struct open_how *how)
{
	if (*b != -ELOOP || a == -ELOOP)
		return false;
	for (int i = 0; i < 3 && *b == -ELOOP; i++)
		*b = kernel_openat2(dirfd, path, how);
	return *b == -ELOOP && a == -EXDEV && (how->resolve & RESOLVE_BENEATH);
}

/* Both answers the same: the same error, or the same file. Consumes both. */
static void same(int a, int b, int dirfd, const char *path, const struct open_how *how)
{
	struct stat sa, sb;
	if (kernel_double_count(a, &b, dirfd, path, how))
		b = a;
	bool ok = a < 0 || b < 0 ? a == b
				 : fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (!ok) {
		fprintf(stderr, "%s: user space %d (%s), kernel %d (%s)\n", path, a, a < 0 ? strerror(-a) : "fd", b,
			b < 0 ? strerror(-b) : "fd");
		fail();
	}
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len < 3 || len > 1024)
		return 0;
	static const uint64_t scopes[] = { RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_BENEATH | RESOLVE_IN_ROOT,
					   RESOLVE_BENEATH };
	uint64_t resolve = scopes[(data[0] >> 3) & 3];
	resolve |= data[0] & 1 ? RESOLVE_NO_XDEV : 0;
	resolve |= data[0] & 2 ? RESOLVE_NO_MAGICLINKS : 0;
	resolve |= data[0] & 4 ? RESOLVE_NO_SYMLINKS : 0;
	uint64_t flags = O_CLOEXEC | (data[1] & 1 ? O_NOFOLLOW : 0) | (data[1] & 2 ? O_DIRECTORY : 0);
	bool real_open = data[1] & 4;
	int dirfd = data[1] & 8 ? sub : root;
	char *path = strndup((const char *)data + 2, len - 2);
	if (!path)
		return 0;

	/* The lowest free descriptor: the next one opened. */
	int lowest = dup(0);
	close(lowest);
	struct open_how how = { .flags = flags | O_PATH, .resolve = resolve };
	int a = resolve_openat2(dirfd, path, &how);
	int b = kernel ? kernel_openat2(dirfd, path, &how) : -ENOSYS;
	struct stat st;
	bool openable = (a >= 0 && fstat(a, &st) == 0 && in_tree(&st) && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)));
	if (kernel)
		same(a, b, dirfd, path, &how);
	else if (a >= 0)
		close(a);
	if (real_open && openable) {
		how.flags = flags | O_RDONLY | O_NONBLOCK | O_NOCTTY;
		a = resolve_openat2(dirfd, path, &how);
		if (kernel)
			same(a, kernel_openat2(dirfd, path, &how), dirfd, path, &how);
		else if (a >= 0)
			close(a);
	}
	/* Every descriptor the walk opened is closed again. */
	int after = dup(0);
	if (after != lowest) {
		fprintf(stderr, "%s: a descriptor was left open (%d, not %d)\n", path, after, lowest);
		fail();
	}
	close(after);
	free(path);
	return 0;
}

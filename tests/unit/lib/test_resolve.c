/* openat2's resolution in user space (lib/resolve.c) against a tree of
 * hostile links: every case is checked against what it must give, once
 * through the fallback and once through the kernel's openat2 where the
 * kernel has it (a sandbox's policy may answer ENOSYS: then the fallback
 * alone, which is what runs there). */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "brig/lib/resolve.h"
#include "brig/lib/sys.h"
#include "brig/lib/util.h"
#include "helpers/unit.h"

static char top[256];
static int root = -1;

static const char *at(const char *rel)
{
	return unit_path(top, rel);
}

static void put(const char *rel, const char *text)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0, "%s: %s", rel, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void dir_(const char *rel)
{
	cr_assert_eq(mkdir(at(rel), 0755), 0, "%s: %s", rel, strerror(errno));
}

static void link_(const char *target, const char *rel)
{
	cr_assert_eq(symlink(target, at(rel)), 0, "%s: %s", rel, strerror(errno));
}

/* TOP/root is the tree; TOP/outside what a link out of it would reach.
 * root/outside/secret is the decoy a clamped ".." finds instead. */
static void setup(void)
{
	unit_tmpdir(top, sizeof top);
	dir_("root");
	dir_("outside");
	put("outside/secret", "outside");
	dir_("root/outside");
	put("root/outside/secret", "decoy");
	put("root/secret", "decoy");
	dir_("root/etc");
	put("root/etc/passwd", "inside");
	dir_("root/dir");
	dir_("root/dir/sub");
	put("root/dir/sub/file", "file");
	link_("../../etc/passwd", "root/dir/sub/inner");
	link_("dir/sub/file", "root/rel");
	link_("dir", "root/dirlink");
	link_("../outside/secret", "root/up");
	link_("/etc/passwd", "root/abs");
	link_("/dir", "root/absdir");
	link_("..", "root/dotdot");
	link_("dir/sub/../../../outside/secret", "root/deepdot");
	link_("loop2", "root/loop1");
	link_("loop1", "root/loop2");
	link_("self", "root/self");
	link_("/proc", "root/hostproc");
	link_("made", "root/dangling");
	link_("/made-abs", "root/dangling-abs");
	link_("../../made-up", "root/dangling-up");
	/* n1 -> n2 -> ... -> n40 -> etc/passwd: 40 links, the most one
	 * resolution follows; n0 makes 41. */
	char name[16], target[16];
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof name, "root/n%d", i);
		snprintf(target, sizeof target, "n%d", i + 1);
		link_(i == 40 ? "etc/passwd" : target, name);
	}
	root = open(at("root"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(root, 0);
}

static void teardown(void)
{
	sys_openat2_force_fallback(false);
	if (root >= 0)
		close(root);
	unit_rmtree(top);
}

TestSuite(resolve, .init = setup, .fini = teardown);

/* The kernel's openat2, or -ENOSYS where a policy or an old kernel has
 * none. A rename anywhere on the machine during a lookup with ".." under
 * RESOLVE_IN_ROOT/BENEATH makes it answer EAGAIN: asked again then. */
static int kernel_openat2(int dirfd, const char *path, const struct open_how *how)
{
	for (int i = 0;; i++) {
		long r = syscall(SYS_openat2, dirfd, path, how, sizeof *how);
		if (r >= 0)
			return (int)r;
		if (errno != EAGAIN || i == 100 || (how->resolve & RESOLVE_CACHED))
			return -errno;
	}
}

static bool have_openat2(void)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	int fd = kernel_openat2(AT_FDCWD, "/", &how);
	if (fd >= 0)
		close(fd);
	return fd != -ENOSYS;
}

/* The object `want` names: a path relative to TOP, or an absolute one;
 * with a leading '@', the link itself. */
static void stat_want(const char *want, struct stat *st)
{
	bool link = want[0] == '@';
	const char *path = want + link;
	path = path[0] == '/' ? path : at(path);
	int r = link ? lstat(path, st) : stat(path, st);
	cr_assert_eq(r, 0, "%s: %s", want, strerror(errno));
}

struct expect {
	uint64_t resolve;
	uint64_t flags;
	const char *path;
	const char *want; /* what it opens, as stat_want reads it; NULL: fails */
	int err;
};

static void check_one(const char *how_name, int fd, const struct expect *c)
{
	if (!c->want) {
		if (fd >= 0)
			close(fd);
		cr_expect_eq(fd, -c->err, "%s: %s (resolve %#llx, flags %#llo) gave %s, not %s", how_name, c->path,
			     (unsigned long long)c->resolve, (unsigned long long)c->flags,
			     fd >= 0 ? "an fd" : strerror(-fd), strerror(c->err));
		return;
	}
	cr_expect_geq(fd, 0, "%s: %s (resolve %#llx, flags %#llo) failed: %s", how_name, c->path,
		      (unsigned long long)c->resolve, (unsigned long long)c->flags, strerror(-fd));
	if (fd < 0)
		return;
	struct stat got, want;
	cr_assert_eq(fstat(fd, &got), 0);
	close(fd);
	stat_want(c->want, &want);
	cr_expect(got.st_dev == want.st_dev && got.st_ino == want.st_ino, "%s: %s (resolve %#llx) opened another file than %s",
		  how_name, c->path, (unsigned long long)c->resolve, c->want);
}

static void check_all(int dirfd, const struct expect *cases, size_t n)
{
	bool kernel = have_openat2();
	for (size_t i = 0; i < n; i++) {
		const struct expect *c = &cases[i];
		struct open_how how = { .flags = c->flags | O_CLOEXEC, .resolve = c->resolve };
		check_one("user space", resolve_openat2(dirfd, c->path, &how), c);
		if (kernel)
			check_one("kernel", kernel_openat2(dirfd, c->path, &how), c);
	}
	if (!kernel)
		cr_log_info("openat2 answers ENOSYS here: the fallback alone was checked");
}

#define IN_ROOT RESOLVE_IN_ROOT
#define BENEATH RESOLVE_BENEATH
#define NO_SYM RESOLVE_NO_SYMLINKS
#define NO_MAGIC RESOLVE_NO_MAGICLINKS

Test(resolve, in_root_keeps_dotdot_absolute_and_links_inside)
{
	const struct expect cases[] = {
		{ IN_ROOT, O_RDONLY, "etc/passwd", "root/etc/passwd", 0 },
		{ IN_ROOT, O_RDONLY, "/etc/passwd", "root/etc/passwd", 0 },
		{ IN_ROOT, O_RDONLY, "abs", "root/etc/passwd", 0 },
		{ IN_ROOT, O_RDONLY, "up", "root/outside/secret", 0 },
		{ IN_ROOT, O_RDONLY, "deepdot", "root/outside/secret", 0 },
		{ IN_ROOT, O_RDONLY, "../../../outside/secret", "root/outside/secret", 0 },
		{ IN_ROOT, O_RDONLY, "dir/../../../../etc/passwd", "root/etc/passwd", 0 },
		{ IN_ROOT, O_RDONLY, "dotdot/dotdot/etc/passwd", "root/etc/passwd", 0 },
		{ IN_ROOT, O_RDONLY, "absdir/sub/file", "root/dir/sub/file", 0 },
		{ IN_ROOT, O_RDONLY, "dir/sub/inner", "root/etc/passwd", 0 },
		{ IN_ROOT, O_RDONLY, "dirlink/sub/../sub/file", "root/dir/sub/file", 0 },
		{ IN_ROOT, O_PATH, "hostproc/self", NULL, ENOENT },
		{ IN_ROOT, O_PATH, ".", "root", 0 },
		{ IN_ROOT, O_PATH, "..", "root", 0 },
		{ IN_ROOT, O_PATH, "/", "root", 0 },
		{ IN_ROOT, O_PATH | O_DIRECTORY, "dirlink/", "root/dir", 0 },
		{ IN_ROOT, O_PATH | O_NOFOLLOW, "dirlink/", "root/dir", 0 },
		{ IN_ROOT, O_PATH | O_NOFOLLOW, "rel", "@root/rel", 0 },
		{ IN_ROOT, O_RDONLY | O_NOFOLLOW, "rel", NULL, ELOOP },
		{ IN_ROOT, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, "dirlink", NULL, ENOTDIR },
		{ IN_ROOT, O_RDONLY | O_DIRECTORY, "dirlink", "root/dir", 0 },
		{ IN_ROOT, O_RDONLY, "dir/sub/file/", NULL, ENOTDIR },
		{ IN_ROOT, O_RDONLY, "dir/sub/file/x", NULL, ENOTDIR },
		{ IN_ROOT, O_RDONLY, "missing/x", NULL, ENOENT },
		{ IN_ROOT, O_RDONLY, "", NULL, ENOENT },
		{ IN_ROOT, O_RDONLY, "loop1", NULL, ELOOP },
		{ IN_ROOT, O_RDONLY, "self", NULL, ELOOP },
		{ IN_ROOT, O_RDONLY, "loop1/x", NULL, ELOOP },
		{ IN_ROOT, O_RDONLY, "n1", "root/etc/passwd", 0 },
		{ IN_ROOT, O_RDONLY, "n0", NULL, ELOOP },
		{ IN_ROOT, O_WRONLY, "dir", NULL, EISDIR },
		{ IN_ROOT | NO_SYM, O_RDONLY, "etc/passwd", "root/etc/passwd", 0 },
		{ IN_ROOT | NO_SYM, O_RDONLY, "../etc/passwd", "root/etc/passwd", 0 },
		{ IN_ROOT | NO_SYM, O_RDONLY, "rel", NULL, ELOOP },
		{ IN_ROOT | NO_SYM, O_RDONLY, "dirlink/sub/file", NULL, ELOOP },
		{ IN_ROOT | NO_SYM, O_PATH, "dirlink/", NULL, ELOOP },
		{ IN_ROOT | NO_SYM, O_PATH | O_NOFOLLOW, "rel", "@root/rel", 0 },
	};
	check_all(root, cases, ARRAY_SIZE(cases));
}

Test(resolve, beneath_refuses_every_way_out)
{
	const struct expect cases[] = {
		{ BENEATH, O_RDONLY, "etc/passwd", "root/etc/passwd", 0 },
		{ BENEATH, O_RDONLY, "dir/../etc/passwd", "root/etc/passwd", 0 },
		{ BENEATH, O_RDONLY, "dir/sub/inner", "root/etc/passwd", 0 },
		{ BENEATH, O_RDONLY, "rel", "root/dir/sub/file", 0 },
		{ BENEATH, O_RDONLY, "n1", "root/etc/passwd", 0 },
		{ BENEATH, O_RDONLY, "/etc/passwd", NULL, EXDEV },
		{ BENEATH, O_RDONLY, "abs", NULL, EXDEV },
		{ BENEATH, O_RDONLY, "absdir/sub/file", NULL, EXDEV },
		{ BENEATH, O_RDONLY, "up", NULL, EXDEV },
		{ BENEATH, O_RDONLY, "deepdot", NULL, EXDEV },
		{ BENEATH, O_PATH, "..", NULL, EXDEV },
		{ BENEATH, O_PATH, "dotdot", NULL, EXDEV },
		{ BENEATH, O_PATH, "dir/sub/../../..", NULL, EXDEV },
		{ BENEATH, O_PATH, "dir/..", "root", 0 },
		{ BENEATH, O_RDONLY, "loop1", NULL, ELOOP },
		{ BENEATH, O_RDONLY, "n0", NULL, ELOOP },
		{ BENEATH | NO_SYM, O_RDONLY, "dir/sub/file", "root/dir/sub/file", 0 },
		{ BENEATH | NO_SYM, O_RDONLY, "rel", NULL, ELOOP },
		{ BENEATH | NO_SYM, O_RDONLY, "abs", NULL, ELOOP },
		{ BENEATH | NO_SYM | NO_MAGIC, O_WRONLY | O_APPEND, "dir/sub/file", "root/dir/sub/file", 0 },
	};
	check_all(root, cases, ARRAY_SIZE(cases));
}

Test(resolve, unscoped_follows_links_out_as_the_kernel_does)
{
	const struct expect cases[] = {
		{ 0, O_RDONLY, "abs", "/etc/passwd", 0 },
		{ 0, O_RDONLY, "up", "outside/secret", 0 },
		{ 0, O_RDONLY, "deepdot", "outside/secret", 0 },
		{ 0, O_RDONLY, "../outside/secret", "outside/secret", 0 },
		{ 0, O_PATH, "../..", "..", 0 },
		{ 0, O_RDONLY, "hostproc/self/status", "/proc/self/status", 0 },
		{ NO_MAGIC, O_RDONLY, "hostproc/self/status", "/proc/self/status", 0 },
		{ NO_SYM, O_RDONLY, "abs", NULL, ELOOP },
	};
	check_all(root, cases, ARRAY_SIZE(cases));
}

/* /proc/self/fd/N and /proc/self/cwd are magic links: the kernel jumps
 * to what they name. Refused with ELOOP under RESOLVE_NO_MAGICLINKS and
 * EXDEV under RESOLVE_BENEATH/IN_ROOT; followed otherwise. /proc/self
 * itself is an ordinary link. */
Test(resolve, magic_links_are_refused_where_asked)
{
	int file = open(at("root/dir/sub/file"), O_RDONLY | O_CLOEXEC);
	int dir = open(at("root/dir"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert(file >= 0 && dir >= 0);
	char fd_path[64], in_dir[64], link_of[80];
	snprintf(fd_path, sizeof fd_path, "hostproc/self/fd/%d", file);
	snprintf(link_of, sizeof link_of, "@/proc/self/fd/%d", file);
	snprintf(in_dir, sizeof in_dir, "hostproc/self/fd/%d/sub/file", dir);
	const struct expect from_root[] = {
		{ 0, O_RDONLY, fd_path, "root/dir/sub/file", 0 },
		{ 0, O_RDONLY, in_dir, "root/dir/sub/file", 0 },
		{ 0, O_PATH, fd_path, "root/dir/sub/file", 0 },
		{ NO_MAGIC, O_RDONLY, fd_path, NULL, ELOOP },
		{ NO_MAGIC, O_PATH, fd_path, NULL, ELOOP },
		{ NO_MAGIC, O_RDONLY, in_dir, NULL, ELOOP },
		{ NO_MAGIC, O_RDONLY, "hostproc/self/status", "/proc/self/status", 0 },
	};
	check_all(root, from_root, ARRAY_SIZE(from_root));

	int self = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(self, 0);
	snprintf(fd_path, sizeof fd_path, "fd/%d", file);
	const struct expect from_proc[] = {
		{ BENEATH, O_RDONLY, fd_path, NULL, EXDEV },
		{ IN_ROOT, O_RDONLY, fd_path, NULL, EXDEV },
		{ BENEATH | NO_MAGIC, O_RDONLY, fd_path, NULL, ELOOP },
		{ IN_ROOT | NO_MAGIC, O_RDONLY, fd_path, NULL, ELOOP },
		{ BENEATH, O_RDONLY, "cwd", NULL, EXDEV },
		{ BENEATH | NO_MAGIC, O_RDONLY, "status", "/proc/self/status", 0 },
		/* Not followed: O_PATH | O_NOFOLLOW opens the link itself. */
		{ BENEATH | NO_MAGIC, O_PATH | O_NOFOLLOW, fd_path, link_of, 0 },
	};
	check_all(self, from_proc, ARRAY_SIZE(from_proc));
	close(self);
	close(file);
	close(dir);
}

/* O_CREAT through a dangling link creates its target, inside the root. */
static void creates(int (*open2)(int, const char *, const struct open_how *), const char *who)
{
	struct open_how how = { .flags = O_WRONLY | O_CREAT | O_CLOEXEC, .mode = 0600, .resolve = IN_ROOT };
	const char *made[] = { "root/made", "root/made-abs", "root/made-up" };
	const char *via[] = { "dangling", "dangling-abs", "dangling-up" };
	for (size_t i = 0; i < ARRAY_SIZE(via); i++) {
		int fd = open2(root, via[i], &how);
		cr_expect_geq(fd, 0, "%s: O_CREAT %s: %s", who, via[i], strerror(-fd));
		if (fd >= 0)
			close(fd);
		cr_expect_eq(access(at(made[i]), F_OK), 0, "%s: %s did not make %s", who, via[i], made[i]);
		unlink(at(made[i]));
	}
	cr_expect_neq(access(at("made-up"), F_OK), 0, "%s: created outside the root", who);
	cr_expect_neq(access(unit_path(top, "../made-up"), F_OK), 0, "%s: created outside the root", who);

	how.flags |= O_EXCL;
	cr_expect_eq(open2(root, "dangling", &how), -EEXIST, "%s: O_EXCL followed a link", who);
	how.flags &= ~(uint64_t)O_EXCL;
	how.resolve = BENEATH;
	cr_expect_eq(open2(root, "dangling-abs", &how), -EXDEV, "%s", who);
	cr_expect_eq(open2(root, "dangling-up", &how), -EXDEV, "%s", who);
	how.resolve = IN_ROOT | NO_SYM;
	cr_expect_eq(open2(root, "dangling", &how), -ELOOP, "%s", who);
	cr_expect_neq(access(at("root/made"), F_OK), 0, "%s", who);
	how.resolve = IN_ROOT;
	cr_expect_eq(open2(root, "dir/", &how), -EISDIR, "%s", who);
	cr_expect_eq(open2(root, "missing/new", &how), -ENOENT, "%s", who);
	int fd = open2(root, "dir/new", &how);
	cr_expect_geq(fd, 0, "%s: %s", who, strerror(-fd));
	if (fd >= 0)
		close(fd);
	struct stat st;
	cr_expect_eq(stat(at("root/dir/new"), &st), 0, "%s", who);
	cr_expect_eq(st.st_mode & 07777, 0600, "%s: mode %o", who, st.st_mode & 07777);
	unlink(at("root/dir/new"));
}

Test(resolve, o_creat_follows_a_dangling_link_inside_the_root)
{
	creates(resolve_openat2, "user space");
	if (have_openat2())
		creates(kernel_openat2, "kernel");
}

/* openat2's own refusals of its arguments come first, as the kernel's. */
Test(resolve, bad_arguments_are_refused_as_openat2_refuses_them)
{
	const struct {
		struct open_how how;
		int err;
	} cases[] = {
		{ { .flags = O_RDONLY, .resolve = BENEATH | IN_ROOT }, EINVAL },
		{ { .flags = O_RDONLY, .resolve = 0x80 }, EINVAL },
		{ { .flags = O_RDONLY, .mode = 0644 }, EINVAL },
		{ { .flags = O_WRONLY | O_CREAT, .mode = 010000 }, EINVAL },
		{ { .flags = O_PATH | O_RDWR }, EINVAL },
		{ { .flags = O_CREAT | O_DIRECTORY }, EINVAL },
		{ { .flags = O_TMPFILE | O_RDONLY }, EINVAL },
		{ { .flags = 1ULL << 40 }, EINVAL },
		{ { .flags = O_WRONLY | O_CREAT, .resolve = RESOLVE_CACHED }, EAGAIN },
	};
	bool kernel = have_openat2();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		cr_expect_eq(resolve_openat2(root, "etc/passwd", &cases[i].how), -cases[i].err, "case %zu", i);
		if (kernel)
			cr_expect_eq(kernel_openat2(root, "etc/passwd", &cases[i].how), -cases[i].err, "kernel, case %zu", i);
	}
	struct open_how how = { .flags = O_RDONLY };
	char *big = malloc(PATH_MAX + 1);
	memset(big, 'a', PATH_MAX);
	big[PATH_MAX] = '\0';
	cr_expect_eq(resolve_openat2(root, big, &how), -ENAMETOOLONG);
	free(big);
}

/* While another thread keeps moving a directory of the tree out of it and
 * back, a walk through it with ".." never ends outside the root: ".." goes
 * back to the descriptor the walk came from, never to the moved
 * directory's new parent. */
static atomic_bool stop;
static void *mover(void *arg)
{
	(void)arg;
	char in[300], out[300];
	snprintf(in, sizeof in, "%s", at("root/dir"));
	snprintf(out, sizeof out, "%s", at("outside/dir"));
	while (!atomic_load(&stop)) {
		if (rename(in, out) == 0)
			rename(out, in);
	}
	return NULL;
}

Test(resolve, a_concurrent_rename_cannot_lead_out_of_the_root)
{
	/* Once dir is outside/dir, its sub/../.. is outside. */
	struct stat inside, outside;
	cr_assert_eq(stat(at("root/secret"), &inside), 0);
	cr_assert_eq(stat(at("outside/secret"), &outside), 0);
	pthread_t t;
	atomic_store(&stop, false);
	cr_assert_eq(pthread_create(&t, NULL, mover, NULL), 0);
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = IN_ROOT };
	unsigned found = 0, escaped = 0;
	for (int i = 0; i < 20000; i++) {
		int fd = resolve_openat2(root, "dir/sub/../../secret", &how);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0) {
			found += st.st_ino == inside.st_ino;
			escaped += st.st_ino == outside.st_ino;
		}
		if (fd >= 0)
			close(fd);
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	cr_expect_eq(escaped, 0, "%u of 20000 walks ended outside the root", escaped);
	cr_expect_gt(found, 0, "no walk found the file inside");
}

/* The same mover: sys_openat2 never answers EAGAIN, and never from
 * outside the root. Where the kernel has openat2, each round asks it
 * first and sys_openat2 four times only after the kernel said EAGAIN (the
 * moments of the race), until 500 such or 200,000 rounds. Where a policy answers
 * ENOSYS (brig's default, when this suite runs inside brig), or the
 * kernel never raced (a machine too busy to run both threads at once),
 * sys_openat2 is asked 20,000 times in a row. */
struct eagain_count {
	unsigned asked, eagain, outside;
};

static void ask_sys_openat2(struct eagain_count *c, const struct open_how *how, ino_t inside)
{
	int fd = sys_openat2(root, "dir/sub/../../secret", how);
	struct stat st;
	c->asked++;
	c->eagain += fd == -EAGAIN;
	if (fd >= 0 && fstat(fd, &st) == 0)
		c->outside += st.st_ino != inside;
	if (fd >= 0)
		close(fd);
}

Test(resolve, sys_openat2_answers_where_a_rename_makes_the_kernel_say_eagain)
{
	struct stat inside;
	cr_assert_eq(stat(at("root/secret"), &inside), 0);
	pthread_t t;
	atomic_store(&stop, false);
	cr_assert_eq(pthread_create(&t, NULL, mover, NULL), 0);
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = IN_ROOT };
	struct eagain_count c = { 0 };
	unsigned kernel_eagain = 0, rounds = 0;
	for (bool kernel = have_openat2(); kernel && rounds < 200000 && kernel_eagain < 500; rounds++) {
		long k = syscall(SYS_openat2, root, "dir/sub/../../secret", &how, sizeof how);
		if (k >= 0)
			close((int)k);
		if (k < 0 && errno == EAGAIN) {
			kernel_eagain++;
			for (int i = 0; i < 4; i++)
				ask_sys_openat2(&c, &how, inside.st_ino);
		}
	}
	for (int i = 0; kernel_eagain == 0 && i < 20000; i++)
		ask_sys_openat2(&c, &how, inside.st_ino);
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	cr_log_info("%u rounds, %u kernel EAGAINs, sys_openat2 asked %u times", rounds, kernel_eagain, c.asked);
	cr_expect_eq(c.eagain, 0, "%u of %u calls answered EAGAIN", c.eagain, c.asked);
	cr_expect_eq(c.outside, 0, "%u walks ended on another file", c.outside);
}

/* sys_openat2 goes to the fallback when told to (or when the kernel says
 * ENOSYS), and leaves errno as the system call would. */
Test(resolve, sys_openat2_falls_back_with_the_same_answers)
{
	sys_openat2_force_fallback(true);
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = BENEATH };
	errno = 0;
	cr_expect_eq(sys_openat2(root, "abs", &how), -EXDEV);
	cr_expect_eq(errno, EXDEV);
	int fd = sys_openat2(root, "rel", &how);
	cr_expect_geq(fd, 0);
	char buf[8] = "";
	cr_expect_eq(read(fd, buf, sizeof buf), 4);
	cr_expect_str_eq(buf, "file");
	close(fd);
}

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/lib/rmtree.h"

static char *scratch(void)
{
	char *dir = strdup("/tmp/brig-rmtree-XXXXXX");
	cr_assert(dir && mkdtemp(dir), "mkdtemp: %s", strerror(errno));
	return dir;
}

/* depth directories named `name` one in the other, under dir, each with a
 * file; made by descriptor, as a job can, whatever the path's length. */
static void nest(int dir, const char *name, int depth)
{
	int fd = dup(dir);
	for (int i = 0; i < depth; i++) {
		cr_assert_eq(mkdirat(fd, name, 0755), 0, "mkdir at level %d: %s", i, strerror(errno));
		int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cr_assert_geq(sub, 0);
		close(fd);
		fd = sub;
		int f = openat(fd, "f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		cr_assert_geq(f, 0);
		close(f);
	}
	close(fd);
}

static unsigned reported;
static void count(const char *rel, int err, void *ctx)
{
	(void)rel, (void)err, (void)ctx;
	reported++;
}

Test(rmtree, removes_a_tree_deeper_than_path_max)
{
	char *top = scratch(), name[251];
	memset(name, 'n', 250);
	name[250] = '\0';
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	nest(fd, name, 30); /* 30 x 251 bytes: well past PATH_MAX */
	cr_assert_eq(rmtree_at(AT_FDCWD, top, count, NULL), 0);
	cr_expect_eq(reported, 0);
	struct stat st;
	cr_expect_neq(lstat(top, &st), 0, "%s stayed", top);
	close(fd);
	free(top);
}

Test(rmtree, thousands_of_levels_with_few_descriptors)
{
	char *top = scratch();
	int fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	nest(fd, "d", 3000);
	close(fd);
	/* One descriptor a level would run out long before the bottom. */
	struct rlimit rl = { 32, 32 };
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	cr_assert_eq(rmtree_at(AT_FDCWD, top, count, NULL), 0);
	struct stat st;
	cr_expect_neq(lstat(top, &st), 0, "%s stayed", top);
	free(top);
}

Test(rmtree, never_follows_a_link_and_opens_mode_0_directories)
{
	char *top = scratch(), *victim = scratch(), path[PATH_MAX];
	snprintf(path, sizeof path, "%s/keep", victim);
	int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(f, 0);
	close(f);
	snprintf(path, sizeof path, "%s/link", top);
	cr_assert_eq(symlink(victim, path), 0);
	snprintf(path, sizeof path, "%s/work", top);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/work/inner", top);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/work", top);
	cr_assert_eq(chmod(path, 0), 0);
	cr_assert_eq(rmtree_at(AT_FDCWD, top, count, NULL), 0);
	struct stat st;
	cr_expect_neq(lstat(top, &st), 0, "%s stayed", top);
	snprintf(path, sizeof path, "%s/keep", victim);
	cr_expect_eq(stat(path, &st), 0, "the link's target lost %s", path);
	unlink(path);
	rmdir(victim);
	free(victim);
	free(top);
}

Test(rmtree, nothing_there_is_nothing_left)
{
	cr_expect_eq(rmtree_at(AT_FDCWD, "/tmp/brig-rmtree-absent-for-sure", count, NULL), 0);
	char *top = scratch(), path[PATH_MAX];
	snprintf(path, sizeof path, "%s/file", top);
	int f = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(f, 0);
	close(f);
	/* A file named as the top is removed like a tree. */
	cr_expect_eq(rmtree_at(AT_FDCWD, path, count, NULL), 0);
	cr_expect_neq(access(path, F_OK), 0);
	rmdir(top);
	free(top);
}

/* The host-facing checks of the GitHub hook that need no privileges:
 * isAlpine read from a tree, the response file opened only below the
 * work directory and never through a link. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/ci/gha_images.h"
#include "brig/ci/gha_response.h"
#include "brig/lib/log.h"
#include "brig/lib/sys.h"
#include "helpers/unit.h"

static char dir[256];

static void setup(void)
{
	unit_tmpdir(dir, sizeof dir);
	brig_log_quiet = true;
}

static void teardown(void)
{
	unit_rmtree(dir);
}

TestSuite(gha_host, .init = setup, .fini = teardown);

static void put(const char *rel, const char *text)
{
	char path[1400], cmd[1600];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
	cr_assert_eq(system(cmd), 0);
	FILE *f = fopen(path, "we");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static const char *at(const char *rel)
{
	return unit_path(dir, rel);
}

/* Each test below runs twice: with the kernel's openat2 where it has
 * one, and with sys_openat2's user-space fallback (lib/resolve.c), which
 * is what runs where openat2 answers ENOSYS (inside brig's default
 * policy). */
static void is_alpine(bool fallback)
{
	sys_openat2_force_fallback(fallback);
	put("alpine/usr/lib/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.0\n");
	cr_assert_eq(symlink("../usr/lib/os-release", at("alpine/etc/os-release")) == 0 ||
			     (mkdir(at("alpine/etc"), 0755) == 0 && symlink("../usr/lib/os-release", at("alpine/etc/os-release")) == 0),
		     true);
	put("debian/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12\"\nID=debian\n");
	put("quoted/etc/os-release", "ID=\"alpine\"\n");
	put("liar/etc/os-release", "ID_LIKE=alpine\nID=wolfi\n");
	/* A link out of the tree is read inside it, not on the host. */
	cr_assert_eq(mkdir(at("escape"), 0755), 0);
	cr_assert_eq(mkdir(at("escape/etc"), 0755), 0);
	put("elsewhere/os-release", "ID=alpine\n");
	const char *target = at("elsewhere/os-release");
	cr_assert_eq(symlink(target, at("escape/etc/os-release")), 0);
	cr_expect(gha_rootfs_is_alpine(at("alpine")));
	cr_expect(gha_rootfs_is_alpine(at("quoted")));
	cr_expect_not(gha_rootfs_is_alpine(at("debian")));
	cr_expect_not(gha_rootfs_is_alpine(at("liar")));
	cr_expect_not(gha_rootfs_is_alpine(at("escape")), "followed a link out of the tree");
	cr_expect_not(gha_rootfs_is_alpine(at("missing")));
}

Test(gha_host, is_alpine_comes_from_the_trees_os_release)
{
	is_alpine(false);
}

Test(gha_host, is_alpine_comes_from_the_trees_os_release_resolved_in_user_space)
{
	is_alpine(true);
}

static void response_file(bool fallback)
{
	sys_openat2_force_fallback(fallback);
	put("_work/_temp/_runner_hook_responses/a.json", "");
	put("outside.json", "");
	const char *work = at("_work");
	struct brig_err e = BRIG_ERR_INIT;
	int fd = gha_response_open(work, at("_work/_temp/_runner_hook_responses/a.json"), &e);
	cr_assert_geq(fd, 0, "%s", strerror(-fd));
	cr_expect_eq(gha_response_prepare(fd, "0123456789ab", true, &e), 0);
	FILE *f = fopen(at("_work/_temp/_runner_hook_responses/a.json"), "re");
	char line[512] = "";
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof line, f));
	fclose(f);
	cr_expect_str_eq(line, "{\"state\":{\"brig\":{\"job\":\"0123456789ab\"}},\"context\":{\"container\":{\"id\":\"0123456789ab\"},"
			       "\"services\":[]},\"isAlpine\":true}\n");
	cr_expect_eq(gha_response_open(work, NULL, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "gha: the request has no responseFile: the runner creates one for every call");
	cr_expect_eq(gha_response_open(work, at("outside.json"), &e), -EPERM);
	cr_expect(strstr(e.msg, "outside.json is not below the runner's work directory"), "%s", e.msg);
	cr_expect_eq(gha_response_open(work, at("_work/../outside.json"), &e), -EPERM);
	cr_expect_eq(gha_response_open(work, work, &e), -EPERM);
	cr_expect_eq(gha_response_open(work, at("_work/_temp/_runner_hook_responses/missing.json"), &e), -ENOENT);
	cr_expect_eq(gha_response_open(work, at("_work/_temp"), &e), -EISDIR);
	cr_expect(strstr(e.msg, "_temp: Is a directory (the runner creates it empty before the call)"), "%s", e.msg);
	/* A step replaced the responses directory with a link out. */
	cr_assert_eq(symlink(dir, at("_work/_temp/linked")), 0);
	int r = gha_response_open(work, at("_work/_temp/linked/outside.json"), &e);
	cr_expect(r == -ELOOP || r == -EXDEV, "through a link: %d", r);
	cr_assert_eq(symlink(at("outside.json"), at("_work/_temp/file-link.json")), 0);
	r = gha_response_open(work, at("_work/_temp/file-link.json"), &e);
	cr_expect(r == -ELOOP || r == -EXDEV, "a linked file: %d", r);
}

Test(gha_host, the_response_file_is_opened_below_the_work_directory_only)
{
	response_file(false);
}

Test(gha_host, the_response_file_is_opened_below_the_work_directory_only_resolved_in_user_space)
{
	response_file(true);
}

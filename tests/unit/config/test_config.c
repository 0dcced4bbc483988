#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/cli/cli.h"
#include "brig/config/config.h"
#include "brig/lib/sys.h"
#include "helpers/unit.h"

static struct brig_config cfg;
static char *command[] = { "true", NULL };
static char dir[256], file[300], subdir[300], missing[300];

static void setup(void)
{
	cr_redirect_stderr();
	config_init(&cfg);
	cfg.argv = command;
	unit_tmpdir(dir, sizeof dir);
	snprintf(file, sizeof file, "%s/file", dir);
	snprintf(subdir, sizeof subdir, "%s/dir", dir);
	snprintf(missing, sizeof missing, "%s/missing", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(mkdir(subdir, 0700), 0);
}

static void teardown(void)
{
	config_free(&cfg);
	unit_rmtree(dir);
}

TestSuite(config, .init = setup, .fini = teardown);
TestSuite(config_check, .init = setup, .fini = teardown);
TestSuite(config_origin, .init = setup, .fini = teardown);
TestSuite(config_job_id, .init = setup, .fini = teardown);

static bool is_root(void)
{
	return geteuid() == 0;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	cr_assert_not_null(p);
	return p;
}

static void add_mount(enum mount_kind kind, const char *src, const char *dst)
{
	struct brig_mount *m = realloc(cfg.mounts, (cfg.n_mounts + 1) * sizeof *m);
	cr_assert_not_null(m);
	cfg.mounts = m;
	m[cfg.n_mounts++] = (struct brig_mount){
		.kind = kind,
		.src = src ? xstrdup(src) : NULL,
		.dst = xstrdup(dst),
	};
}

static void add_pass_fd(int fd)
{
	int *v = realloc(cfg.pass_fds, (cfg.n_pass_fds + 1) * sizeof *v);
	cr_assert_not_null(v);
	cfg.pass_fds = v;
	v[cfg.n_pass_fds++] = fd;
}

/* A descriptor number that is certainly not open right now. */
static int closed_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	close(fd);
	return fd;
}

/* config_init / config_free */

Test(config_init, sets_the_defaults)
{
	struct brig_config c;
	memset(&c, 0xa5, sizeof c);
	config_init(&c);
	cr_assert_null(c.argv);
	cr_assert_null(c.workspace);
	cr_assert_null(c.mounts);
	cr_assert_eq(c.n_mounts, 0);
	cr_assert_eq(c.uid_base, BRIG_DEFAULT_UID_BASE);
	cr_assert_eq(c.uid_count, BRIG_DEFAULT_UID_COUNT);
	cr_assert_eq(c.status_fd, -1);
	cr_assert_eq(c.timeout_ms, 0);
	cr_assert_not(c.user_set);
	cr_assert_not(c.uid_range_set);
	cr_assert_not(c.rootless);
	config_free(&c);
}

Test(config_free, resets_to_the_defaults_and_may_be_repeated)
{
	struct brig_config c;
	config_init(&c);
	c.workspace = xstrdup("/w");
	c.status_fd = 5;
	c.env_set = calloc(1, sizeof *c.env_set);
	cr_assert_not_null(c.env_set);
	c.env_set[0] = xstrdup("A=B");
	c.n_env_set = 1;
	config_free(&c);
	cr_assert_null(c.workspace);
	cr_assert_null(c.env_set);
	cr_assert_eq(c.n_env_set, 0);
	cr_assert_eq(c.status_fd, -1);
	config_free(&c);
	cr_assert_null(c.workspace);
}

/* The command */

Test(config, command_alone_is_accepted)
{
	cr_assert_eq(unit_config_finish(&cfg), 0);
}

Test(config, rootless_reflects_the_effective_uid)
{
	cfg.rootless = geteuid() == 0; /* the wrong answer, to see it replaced */
	cr_assert_eq(unit_config_finish(&cfg), 0);
	cr_assert_eq(cfg.rootless, geteuid() != 0);
}

Test(config, missing_argv_is_rejected)
{
	cfg.argv = NULL;
	cr_assert_eq(unit_config_finish(&cfg), -EINVAL);
}

Test(config, empty_command_is_rejected_with_one_line)
{
	static char *none[] = { NULL };
	cfg.argv = none;
	cr_assert_eq(unit_config_finish(&cfg), -EINVAL);
	char *text = stderr_text();
	cr_assert(strncmp(text, "brig: run: no command given", 27) == 0, "got: %s", text);
	cr_assert_eq(strchr(text, '\n'), text + strlen(text) - 1, "not one line: %s", text);
}

/* --workspace */

Test(config, existing_workspace_directory_is_accepted)
{
	cfg.workspace = xstrdup(subdir);
	cr_assert_eq(unit_config_finish(&cfg), 0);
}

Test(config, missing_workspace_is_enoent)
{
	cfg.workspace = xstrdup(missing);
	cr_assert_eq(unit_config_finish(&cfg), -ENOENT);
}

Test(config, missing_workspace_names_the_path)
{
	cfg.workspace = xstrdup(missing);
	unit_config_finish(&cfg);
	char want[512];
	snprintf(want, sizeof want, "brig: --workspace %s: No such file or directory\n", missing);
	cr_assert_str_eq(stderr_text(), want);
}

Test(config, file_as_workspace_is_enotdir)
{
	cfg.workspace = xstrdup(file);
	cr_assert_eq(unit_config_finish(&cfg), -ENOTDIR);
	char want[512];
	snprintf(want, sizeof want, "brig: --workspace %s: Not a directory\n", file);
	cr_assert_str_eq(stderr_text(), want);
}

/* --rootfs */

/* subdir/bin/sh, an executable file: the least a tree must hold. */
static void give_shell(void)
{
	char path[400];
	snprintf(path, sizeof path, "%s/bin", subdir);
	cr_assert_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/bin/sh", subdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void take_shell(void)
{
	char path[400];
	snprintf(path, sizeof path, "%s/bin/sh", subdir);
	unlink(path);
	snprintf(path, sizeof path, "%s/bin", subdir);
	rmdir(path);
}

Test(config, rootfs_directory_is_accepted)
{
	give_shell();
	cfg.rootfs = xstrdup(subdir);
	int r = unit_config_finish(&cfg);
	take_shell();
	cr_assert_eq(r, 0, "%s", stderr_text());
}

/* Where openat2 answers ENOSYS (inside brig's default policy), the tree's
 * shell is found by the user-space resolution (lib/resolve.c). */
Test(config, rootfs_directory_is_accepted_resolved_in_user_space)
{
	sys_openat2_force_fallback(true);
	give_shell();
	cfg.rootfs = xstrdup(subdir);
	int r = unit_config_finish(&cfg);
	take_shell();
	sys_openat2_force_fallback(false);
	cr_assert_eq(r, 0, "%s", stderr_text());
}

Test(config, rootfs_without_a_shell_or_the_command_is_refused)
{
	cfg.rootfs = xstrdup(subdir);
	cr_assert_eq(unit_config_finish(&cfg), -ENOEXEC);
	char want[512];
	snprintf(want, sizeof want,
		 "brig: --rootfs %s: has neither /bin/sh nor true; not a root file system (see rootfs/mkrootfs)\n", subdir);
	cr_assert_str_eq(stderr_text(), want);
}

Test(config, rootfs_writable_by_others_is_refused)
{
	give_shell();
	cr_assert_eq(chmod(subdir, 0777), 0);
	cfg.rootfs = xstrdup(subdir);
	int r = unit_config_finish(&cfg);
	take_shell();
	cr_assert_eq(r, -EPERM);
	cr_assert_not_null(strstr(stderr_text(), "writable by others"), "%s", stderr_text());
}

Test(config, rootfs_of_another_owner_is_refused)
{
	if (!is_root())
		cr_skip_test("needs root to give the tree away");
	give_shell();
	cr_assert_eq(chown(subdir, 4242, 4242), 0);
	cfg.rootfs = xstrdup(subdir);
	int r = unit_config_finish(&cfg);
	take_shell();
	cr_assert_eq(r, -EPERM);
	cr_assert_not_null(strstr(stderr_text(), "owned by uid 4242; a tree must belong to root"), "%s",
			   stderr_text());
}

Test(config, missing_overlay_dir_is_enoent)
{
	cfg.overlay_dir = xstrdup(missing);
	cr_assert_eq(unit_config_finish(&cfg), -EINVAL, "overlay-dir without overlay mode is a contradiction first");
	config_free(&cfg);
	config_init(&cfg);
	cfg.argv = command;
	cfg.rootfs_mode = ROOTFS_OVERLAY;
	cfg.overlay_dir = xstrdup(missing);
	cr_assert_eq(unit_config_finish(&cfg), -ENOENT);
}

Test(config, missing_overlay_upper_is_enoent)
{
	cfg.rootfs_mode = ROOTFS_OVERLAY;
	cfg.overlay_upper = xstrdup(missing);
	cr_assert_eq(unit_config_finish(&cfg), -ENOENT);
}

Test(config, host_root_as_rootfs_is_rejected)
{
	cfg.rootfs = xstrdup("/");
	cr_assert_eq(unit_config_finish(&cfg), -EINVAL);
}

Test(config, missing_rootfs_is_enoent)
{
	cfg.rootfs = xstrdup(missing);
	cr_assert_eq(unit_config_finish(&cfg), -ENOENT);
}

Test(config, file_as_rootfs_is_enotdir)
{
	cfg.rootfs = xstrdup(file);
	cr_assert_eq(unit_config_finish(&cfg), -ENOTDIR);
}

/* --bind, --ro-bind, --tmpfs */

Test(config, bind_of_an_existing_directory_is_accepted)
{
	add_mount(MNT_BIND, subdir, "/data");
	cr_assert_eq(unit_config_finish(&cfg), 0);
}

Test(config, bind_of_an_existing_file_is_accepted)
{
	add_mount(MNT_RO_BIND, file, "/etc/extra.conf");
	cr_assert_eq(unit_config_finish(&cfg), 0);
}

Test(config, bind_of_a_missing_source_is_enoent)
{
	add_mount(MNT_BIND, missing, "/data");
	cr_assert_eq(unit_config_finish(&cfg), -ENOENT);
	char want[512];
	snprintf(want, sizeof want, "brig: --bind %s: No such file or directory\n", missing);
	cr_assert_str_eq(stderr_text(), want);
}

Test(config, ro_bind_of_a_missing_source_is_enoent)
{
	add_mount(MNT_RO_BIND, missing, "/data");
	cr_assert_eq(unit_config_finish(&cfg), -ENOENT);
	char want[512];
	snprintf(want, sizeof want, "brig: --ro-bind %s: No such file or directory\n", missing);
	cr_assert_str_eq(stderr_text(), want);
}

Test(config, bind_over_the_job_root_is_rejected)
{
	add_mount(MNT_BIND, subdir, "/");
	cr_assert_eq(unit_config_finish(&cfg), -EINVAL);
}

Test(config, ro_bind_over_the_job_root_is_rejected)
{
	add_mount(MNT_RO_BIND, subdir, "/");
	cr_assert_eq(unit_config_finish(&cfg), -EINVAL);
}

Test(config, tmpfs_needs_no_host_path)
{
	add_mount(MNT_TMPFS, NULL, "/scratch");
	cr_assert_eq(unit_config_finish(&cfg), 0);
}

/* Like a bind over /, a tmpfs there would hide the whole job's root. */
Test(config, tmpfs_over_the_job_root_is_rejected)
{
	add_mount(MNT_TMPFS, NULL, "/");
	cr_assert_eq(unit_config_finish(&cfg), -EINVAL);
}

Test(config, later_bad_bind_is_found_after_good_ones)
{
	add_mount(MNT_BIND, subdir, "/a");
	add_mount(MNT_TMPFS, NULL, "/b");
	add_mount(MNT_RO_BIND, missing, "/c");
	cr_assert_eq(unit_config_finish(&cfg), -ENOENT);
}

/* --pass-fd, --status-fd, --status-file */

Test(config, open_pass_fd_is_accepted)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 3);
	add_pass_fd(fd);
	cr_assert_eq(unit_config_finish(&cfg), 0);
	close(fd);
}

Test(config, closed_pass_fd_is_ebadf)
{
	add_pass_fd(closed_fd());
	cr_assert_eq(unit_config_finish(&cfg), -EBADF);
}

Test(config, pass_fd_that_is_also_the_status_fd_is_rejected)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 3);
	add_pass_fd(fd);
	cfg.status_fd = fd;
	cr_assert_eq(unit_config_finish(&cfg), -EINVAL);
	close(fd);
}

Test(config, open_status_fd_is_accepted)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cfg.status_fd = fd;
	cr_assert_eq(unit_config_finish(&cfg), 0);
	close(fd);
}

Test(config, closed_status_fd_is_ebadf)
{
	cfg.status_fd = closed_fd();
	cr_assert_eq(unit_config_finish(&cfg), -EBADF);
}

Test(config, status_file_alone_is_accepted)
{
	cfg.status_file = xstrdup(missing);
	cr_assert_eq(unit_config_finish(&cfg), 0);
}

Test(config, status_fd_and_status_file_together_are_rejected)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cfg.status_fd = fd;
	cfg.status_file = xstrdup(missing);
	cr_assert_eq(unit_config_finish(&cfg), -EINVAL);
	close(fd);
}

/* Identity: what needs root */

Test(config, uid_range_needs_root)
{
	cfg.uid_base = 100000;
	cfg.uid_count = 65536;
	cfg.uid_range_set = true;
	cr_assert_eq(unit_config_finish(&cfg), is_root() ? 0 : -EPERM);
}

Test(config, user_other_than_root_needs_root)
{
	cfg.user = 1000;
	cfg.group = 1000;
	cfg.user_set = true;
	cr_assert_eq(unit_config_finish(&cfg), is_root() ? 0 : -EPERM);
}

Test(config, group_other_than_root_needs_root)
{
	cfg.user = 0;
	cfg.group = 100;
	cfg.user_set = true;
	cr_assert_eq(unit_config_finish(&cfg), is_root() ? 0 : -EPERM);
}

Test(config, explicit_root_user_is_always_accepted)
{
	cfg.user_set = true;
	cr_assert_eq(unit_config_finish(&cfg), 0);
}

Test(config, last_id_of_the_default_range_is_accepted_as_root)
{
	cfg.user = BRIG_DEFAULT_UID_COUNT - 1;
	cfg.group = BRIG_DEFAULT_UID_COUNT - 1;
	cfg.user_set = true;
	cr_assert_eq(unit_config_finish(&cfg), is_root() ? 0 : -EPERM);
}

Test(config, user_outside_the_mapped_range_is_rejected)
{
	cfg.user = BRIG_DEFAULT_UID_COUNT;
	cfg.group = 0;
	cfg.user_set = true;
	cr_assert_eq(unit_config_finish(&cfg), is_root() ? -ERANGE : -EPERM);
}

Test(config, group_outside_the_mapped_range_is_rejected)
{
	cfg.user = 0;
	cfg.group = BRIG_DEFAULT_UID_COUNT;
	cfg.user_set = true;
	cr_assert_eq(unit_config_finish(&cfg), is_root() ? -ERANGE : -EPERM);
}

Test(config, user_range_follows_the_uid_range)
{
	cfg.uid_base = 100000;
	cfg.uid_count = 1000;
	cfg.uid_range_set = true;
	cfg.user = 1000;
	cfg.group = 1000;
	cfg.user_set = true;
	cr_assert_eq(unit_config_finish(&cfg), is_root() ? -ERANGE : -EPERM);
}

/* config_check: what needs nothing from the host */

static void collect(void *ctx, const char *line)
{
	char *buf = ctx;
	size_t n = strlen(buf);
	snprintf(buf + n, 4096 - n, "%s\n", line);
}

static char reported[4096];

static struct brig_reporter collector(bool keep_going)
{
	reported[0] = '\0';
	return (struct brig_reporter){ .fn = collect, .ctx = reported, .keep_going = keep_going };
}

static void apply(const char *name, const char *arg)
{
	const char *why;
	cr_assert_eq(cli_apply(cli_find(name), &cfg, arg, NULL, 0, 0, &why), 0, "--%s %s: %s", name, arg, why);
}

Test(config_check, defaults_are_consistent)
{
	cr_assert_eq(config_check(&cfg, NULL), 0);
}

Test(config_check, host_root_as_rootfs_is_named)
{
	struct brig_reporter rep = collector(false);
	apply("rootfs", "/");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported, "--rootfs /: the host's root cannot be a job's root\n");
	cr_assert_eq(rep.problems, 1);
}

Test(config_check, host_root_as_workspace_is_rejected)
{
	struct brig_reporter rep = collector(false);
	apply("workspace", "/");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported, "--workspace /: the host's root cannot be a job's workspace\n");
}

Test(config_check, mount_over_the_job_root_is_named)
{
	struct brig_reporter rep = collector(false);
	apply("ro-bind", "/srv:/");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported, "--ro-bind /srv:/: cannot be mounted over the job's root\n");
}

Test(config_check, status_fd_and_file_together_are_named)
{
	struct brig_reporter rep = collector(false);
	apply("status-fd", "1");
	apply("status-file", "out.jsonl");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported, "--status-file: cannot be combined with --status-fd\n");
}

Test(config_check, without_keep_going_only_the_first_problem_is_reported)
{
	struct brig_reporter rep = collector(false);
	apply("rootfs", "/");
	apply("workspace", "/");
	apply("tmpfs", "/");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_eq(rep.problems, 1);
}

Test(config_check, keep_going_reports_every_problem)
{
	struct brig_reporter rep = collector(true);
	apply("rootfs", "/");
	apply("workspace", "/");
	apply("tmpfs", "/");
	apply("status-fd", "1");
	apply("status-file", "out.jsonl");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_eq(rep.problems, 4, "%s", reported);
}

Test(config_check, rootfs_mode_defaults_to_overlay_for_a_tree_and_ro_for_the_host)
{
	cr_assert_eq(config_rootfs_mode(&cfg), ROOTFS_RO);
	apply("rootfs", "/srv/tree");
	cr_assert_eq(config_rootfs_mode(&cfg), ROOTFS_OVERLAY);
	apply("rootfs", "host");
	cr_assert_null(cfg.rootfs);
	cr_assert_eq(config_rootfs_mode(&cfg), ROOTFS_RO);
	apply("rootfs-mode", "overlay");
	cr_assert_eq(config_rootfs_mode(&cfg), ROOTFS_OVERLAY);
	cr_assert_eq(config_check(&cfg, NULL), 0);
}

Test(config_check, rw_on_the_host_is_named)
{
	struct brig_reporter rep = collector(false);
	apply("rootfs-mode", "rw");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported,
			 "--rootfs-mode rw: needs a rootfs DIR (the host's /usr is never writable; say overlay)\n");
}

Test(config_check, overlay_settings_without_an_overlay_are_named)
{
	struct brig_reporter rep = collector(true);
	apply("rootfs", "/srv/tree");
	apply("rootfs-mode", "ro");
	apply("overlay-size", "16M");
	apply("overlay-dir", "/var/tmp");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported,
			 "--overlay-size: only applies with rootfs-mode overlay (the mode is ro)\n"
			 "--overlay-dir: only applies with rootfs-mode overlay (the mode is ro)\n"
			 "--overlay-size: cannot be combined with --overlay-dir (a directory has no size limit)\n");
}

Test(config_check, overlay_upper_needs_an_overlay_and_excludes_the_other_places)
{
	struct brig_reporter rep = collector(true);
	apply("overlay-upper", "/srv/upper");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported, "--overlay-upper: only applies with rootfs-mode overlay (the mode is ro)\n");
	reported[0] = '\0';
	rep = collector(true);
	apply("rootfs-mode", "overlay");
	cr_assert_eq(config_check(&cfg, &rep), 0, "%s", reported);
	apply("overlay-size", "16M");
	apply("overlay-dir", "/var/tmp");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported,
			 "--overlay-size: cannot be combined with --overlay-dir (a directory has no size limit)\n"
			 "--overlay-upper: cannot be combined with --overlay-size (the writes go to DIR, kept)\n"
			 "--overlay-upper: cannot be combined with --overlay-dir (the writes go to DIR, kept)\n");
}

Test(config_check, overlay_upper_with_a_tree_is_valid)
{
	struct brig_reporter rep = collector(true);
	apply("rootfs", "/srv/tree");
	apply("overlay-upper", "/srv/upper");
	cr_assert_eq(config_check(&cfg, &rep), 0, "%s", reported);
	apply("rootfs-mode", "rw");
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported, "--overlay-upper: only applies with rootfs-mode overlay (the mode is rw)\n");
}

Test(config_check, the_same_cache_destination_twice_in_one_profile_is_named)
{
	struct brig_reporter rep = collector(false);
	const char *why;
	cr_assert_eq(cli_apply(cli_find("cache"), &cfg, "a /c", "p", 1, 1, &why), 0);
	cr_assert_eq(cli_apply(cli_find("cache"), &cfg, "b /c", "p", 2, 1, &why), 0);
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported, "p:2: cache: /c is already a cache by p:1\n");
}

Test(config_check, repeats_on_the_command_line_are_overrides)
{
	apply("env", "A=1");
	apply("env", "A=2");
	apply("bind", "/a:/x");
	apply("ro-bind", "/b:/x");
	cr_assert_eq(config_check(&cfg, NULL), 0);
}

Test(config_check, the_same_mount_point_twice_in_one_profile_is_an_error)
{
	struct brig_reporter rep = collector(false);
	const char *why;
	cr_assert_eq(cli_apply(cli_find("bind"), &cfg, "/a", "ci.profile", 3, 1, &why), 0);
	cr_assert_eq(cli_apply(cli_find("tmpfs"), &cfg, "/a", "inc/x.inc", 9, 1, &why), 0);
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported, "inc/x.inc:9: tmpfs: /a is already mounted by ci.profile:3\n");
}

Test(config_check, the_same_variable_twice_in_one_profile_is_an_error)
{
	struct brig_reporter rep = collector(false);
	const char *why;
	cr_assert_eq(cli_apply(cli_find("env"), &cfg, "A=1", "p", 1, 1, &why), 0);
	cr_assert_eq(cli_apply(cli_find("env"), &cfg, "A=2", "p", 2, 1, &why), 0);
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL);
	cr_assert_str_eq(reported, "p:2: env: A is already set by p:1\n");
}

Test(config_check, a_profile_value_replaced_on_the_command_line_is_fine)
{
	const char *why;
	cr_assert_eq(cli_apply(cli_find("env"), &cfg, "A=1", "p", 1, 1, &why), 0);
	cr_assert_eq(cli_apply(cli_find("env"), &cfg, "A=2", NULL, 0, 0, &why), 0);
	cr_assert_eq(cli_apply(cli_find("cap-add"), &cfg, "chown", "p", 2, 1, &why), 0);
	cr_assert_eq(cli_apply(cli_find("cap-add"), &cfg, "CAP_CHOWN", NULL, 0, 0, &why), 0);
	cr_assert_eq(config_check(&cfg, NULL), 0);
}

Test(config, finish_names_a_profile_line)
{
	const char *why;
	cr_assert_eq(cli_apply(cli_find("workspace"), &cfg, missing, "ci.profile", 4, 1, &why), 0);
	cr_assert_eq(unit_config_finish(&cfg), -ENOENT);
	char want[512];
	snprintf(want, sizeof want, "brig: ci.profile:4: workspace %s: No such file or directory\n", missing);
	cr_assert_str_eq(stderr_text(), want);
}

/* Origins */

Test(config_origin, where_names_the_option_or_the_profile_line)
{
	char buf[128];
	struct brig_origin o = { .directive = "bind", .file = "ci.profile", .line = 12 };
	config_where(NULL, "bind", buf, sizeof buf);
	cr_assert_str_eq(buf, "--bind");
	config_where(&o, "bind", buf, sizeof buf);
	cr_assert_str_eq(buf, "ci.profile:12: bind");
	o.file = NULL;
	config_where(&o, "bind", buf, sizeof buf);
	cr_assert_str_eq(buf, "--bind");
}

Test(config_origin, last_origin_of_a_directive)
{
	const char *why;
	cr_assert_eq(cli_apply(cli_find("hostname"), &cfg, "a", "p", 1, 1, &why), 0);
	cr_assert_eq(cli_apply(cli_find("env"), &cfg, "A=1", "p", 2, 1, &why), 0);
	cr_assert_eq(cli_apply(cli_find("hostname"), &cfg, "b", NULL, 0, 0, &why), 0);
	const struct brig_origin *o = config_last_origin(&cfg, "hostname");
	cr_assert_not_null(o);
	cr_assert_null(o->file);
	cr_assert_eq(config_last_origin(&cfg, "env")->line, 2);
	cr_assert_null(config_last_origin(&cfg, "timeout"));
}

Test(config_origin, origin_of_each_list_element)
{
	const char *why;
	cr_assert_eq(cli_apply(cli_find("bind"), &cfg, "/a", "p", 1, 1, &why), 0);
	cr_assert_eq(cli_apply(cli_find("env"), &cfg, "A=1", "p", 2, 1, &why), 0);
	cr_assert_eq(cli_apply(cli_find("tmpfs"), &cfg, "/t", "p", 3, 1, &why), 0);
	cr_assert_eq(config_origin_of(&cfg, CONFIG_MOUNTS, 0)->line, 1);
	cr_assert_eq(config_origin_of(&cfg, CONFIG_MOUNTS, 1)->line, 3);
	cr_assert_str_eq(config_origin_of(&cfg, CONFIG_MOUNTS, 1)->directive, "tmpfs");
	cr_assert_eq(config_origin_of(&cfg, CONFIG_ENV_SET, 0)->line, 2);
	cr_assert_null(config_origin_of(&cfg, CONFIG_MOUNTS, 2));
	cr_assert_null(config_origin_of(&cfg, CONFIG_SCALAR, 0));
}

Test(config_origin, many_origins_are_kept_in_order)
{
	for (unsigned i = 0; i < 100; i++) {
		struct brig_origin o = { .directive = "env", .list = CONFIG_ENV_SET, .file = "p", .line = i + 1 };
		cr_assert_eq(config_add_origin(&cfg, &o), 0);
	}
	cr_assert_eq(cfg.n_origins, 100);
	for (unsigned i = 0; i < 100; i++)
		cr_assert_eq(cfg.origins[i].line, i + 1);
}

Test(config_origin, list_sizes)
{
	apply("bind", "/a");
	apply("tmpfs", "/b");
	apply("env", "A=1");
	apply("pass-fd", "5");
	cr_assert_eq(config_list_size(&cfg, CONFIG_MOUNTS), 2);
	cr_assert_eq(config_list_size(&cfg, CONFIG_ENV_SET), 1);
	cr_assert_eq(config_list_size(&cfg, CONFIG_PASS_FDS), 1);
	cr_assert_eq(config_list_size(&cfg, CONFIG_CAPS), 0);
	cr_assert_eq(config_list_size(&cfg, CONFIG_ENV_PASS), 0);
	cr_assert_eq(config_list_size(&cfg, CONFIG_SCALAR), 0);
}

Test(config_origin, a_later_mount_on_the_same_point_replaces_an_earlier_one)
{
	apply("bind", "/a:/x");
	apply("tmpfs", "/y");
	apply("ro-bind", "/b:/x");
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_MOUNTS, 0), 2);
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_MOUNTS, 1), -1);
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_MOUNTS, 2), -1);
}

Test(config_origin, a_later_variable_of_the_same_name_replaces_an_earlier_one)
{
	apply("env", "AB=1");
	apply("env", "A=2");
	apply("env", "AB=3");
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_ENV_SET, 0), 2);
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_ENV_SET, 1), -1);
}

Test(config_origin, same_capability_fd_and_pattern_are_replaced)
{
	apply("cap-add", "net_raw");
	apply("cap-add", "CAP_NET_RAW");
	apply("pass-fd", "5");
	apply("pass-fd", "6");
	apply("pass-fd", "5");
	apply("env-pass", "CI_*");
	apply("env-pass", "CI_*");
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_CAPS, 0), 1);
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_PASS_FDS, 0), 2);
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_PASS_FDS, 1), -1);
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_ENV_PASS, 0), 1);
}

/* Job ids */

Test(config_job_id, is_twelve_lower_case_hex_digits)
{
	cr_assert_eq(config_new_job_id(&cfg), 0);
	cr_assert_eq(strlen(cfg.job_id), BRIG_JOB_ID_LEN);
	cr_assert_eq(strspn(cfg.job_id, "0123456789abcdef"), BRIG_JOB_ID_LEN, "%s", cfg.job_id);
}

Test(config_job_id, two_ids_differ)
{
	struct brig_config other;
	config_init(&other);
	cr_assert_eq(config_new_job_id(&cfg), 0);
	cr_assert_eq(config_new_job_id(&other), 0);
	cr_assert_str_neq(cfg.job_id, other.job_id);
	config_free(&other);
}

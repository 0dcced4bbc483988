#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

#include "brig/cli/cli.h"
#include "brig/cli/cli_rootfs.h"
#include "brig/config/config.h"
#include "helpers/unit.h"

static struct brig_config cfg;

static void setup(void)
{
	cr_redirect_stderr();
	config_init(&cfg);
}

static void teardown(void)
{
	config_free(&cfg);
}

TestSuite(cli, .init = setup, .fini = teardown);



static void assert_rejected(char **argv)
{
	int r = unit_parse_run(&cfg, argv);
	cr_assert_lt(r, 0, "%s %s was accepted", argv[1], argv[2] ? argv[2] : "");
}

/* The command and the end of options */

Test(cli, command_alone_leaves_the_defaults)
{
	char **argv = UNIT_ARGV("true");
	cr_assert_eq(unit_parse_run(&cfg, argv), 0);
	cr_assert_eq(cfg.argv, argv + 1);
	cr_assert_null(cfg.workspace);
	cr_assert_null(cfg.hostname);
	cr_assert_eq(cfg.n_mounts, 0);
	cr_assert_eq(cfg.status_fd, -1);
	cr_assert_eq(cfg.uid_base, BRIG_DEFAULT_UID_BASE);
	cr_assert_eq(cfg.uid_count, BRIG_DEFAULT_UID_COUNT);
	cr_assert_not(cfg.uid_range_set);
	cr_assert_not(cfg.user_set);
	cr_assert_not(cfg.quiet);
	cr_assert_eq(cfg.timeout_ms, 0);
}

Test(cli, command_arguments_are_kept_in_order)
{
	char **argv = UNIT_ARGV("sh", "-c", "exit 3");
	cr_assert_eq(unit_parse_run(&cfg, argv), 0);
	cr_assert_str_eq(cfg.argv[0], "sh");
	cr_assert_str_eq(cfg.argv[1], "-c");
	cr_assert_str_eq(cfg.argv[2], "exit 3");
	cr_assert_null(cfg.argv[3]);
}

Test(cli, no_command_leaves_an_empty_argv)
{
	char **argv = UNIT_ARGV("-q");
	cr_assert_eq(unit_parse_run(&cfg, argv), 0);
	cr_assert_not_null(cfg.argv);
	cr_assert_null(cfg.argv[0]);
}

Test(cli, double_dash_ends_the_options)
{
	char **argv = UNIT_ARGV("-q", "--", "true");
	cr_assert_eq(unit_parse_run(&cfg, argv), 0);
	cr_assert(cfg.quiet);
	cr_assert_str_eq(cfg.argv[0], "true");
	cr_assert_null(cfg.argv[1]);
}

Test(cli, option_after_double_dash_is_the_command)
{
	char **argv = UNIT_ARGV("--", "-q", "--workspace", "/tmp");
	cr_assert_eq(unit_parse_run(&cfg, argv), 0);
	cr_assert_not(cfg.quiet);
	cr_assert_null(cfg.workspace);
	cr_assert_str_eq(cfg.argv[0], "-q");
	cr_assert_str_eq(cfg.argv[1], "--workspace");
}

Test(cli, second_double_dash_is_passed_to_the_command)
{
	char **argv = UNIT_ARGV("--", "--", "x");
	cr_assert_eq(unit_parse_run(&cfg, argv), 0);
	cr_assert_str_eq(cfg.argv[0], "--");
	cr_assert_str_eq(cfg.argv[1], "x");
}

Test(cli, options_after_the_command_belong_to_the_command)
{
	char **argv = UNIT_ARGV("-q", "ls", "-l", "--workspace", "/tmp", "--", "-w");
	cr_assert_eq(unit_parse_run(&cfg, argv), 0);
	cr_assert(cfg.quiet);
	cr_assert_null(cfg.workspace);
	cr_assert_eq(cfg.argv, argv + 2);
	cr_assert_str_eq(cfg.argv[0], "ls");
	cr_assert_str_eq(cfg.argv[1], "-l");
	cr_assert_str_eq(cfg.argv[2], "--workspace");
	cr_assert_str_eq(cfg.argv[3], "/tmp");
	cr_assert_str_eq(cfg.argv[4], "--");
	cr_assert_str_eq(cfg.argv[5], "-w");
	cr_assert_null(cfg.argv[6]);
}

/* getopt keeps its state in globals: whatever parsed before (a top-level
 * option parser, a failed parse) must not change how `run` is parsed. */
Test(cli, options_after_the_command_stay_with_it_after_an_earlier_getopt_use)
{
	static struct option top[] = { { "version", no_argument, NULL, 'V' }, { 0 } };
	char *outer[] = { "brig", "--version", NULL };
	opterr = 0;
	while (getopt_long(2, outer, "hV", top, NULL) != -1)
		;
	char **argv = UNIT_ARGV("ls", "-q");
	cr_assert_eq(unit_parse_run(&cfg, argv), 0);
	cr_assert_not(cfg.quiet);
	cr_assert_str_eq(cfg.argv[0], "ls");
	cr_assert_str_eq(cfg.argv[1], "-q");
}

Test(cli, a_failed_parse_does_not_leak_into_the_next)
{
	char **first = UNIT_ARGV("-xq", "true");
	char **second = UNIT_ARGV("true");
	cr_assert_lt(unit_parse_run(&cfg, first), 0);
	config_free(&cfg);
	config_init(&cfg);
	cr_assert_eq(unit_parse_run(&cfg, second), 0);
	cr_assert_not(cfg.quiet);
	cr_assert_str_eq(cfg.argv[0], "true");
}

/* Errors */

Test(cli, unknown_long_option_is_rejected_with_one_line)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--nope", "true")), -EINVAL);
	fflush(stderr);
	cr_assert_stderr_eq_str("brig: run: unknown option --nope (see brig run --help)\n");
}

Test(cli, unknown_short_option_is_rejected_with_one_line)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-x", "true")), -EINVAL);
	fflush(stderr);
	cr_assert_stderr_eq_str("brig: run: option -x is unknown (see brig run --help)\n");
}

Test(cli, missing_argument_is_rejected)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--workspace")), -EINVAL);
	cr_assert_null(cfg.workspace);
}

Test(cli, missing_argument_of_a_long_only_option_names_it)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--hostname")), -EINVAL);
	fflush(stderr);
	cr_assert_stderr_eq_str("brig: run: option --hostname needs an argument (see brig run --help)\n");
}

Test(cli, flag_given_a_value_is_rejected)
{
	cr_assert_lt(unit_parse_run(&cfg, UNIT_ARGV("--sys=yes", "true")), 0);
	cr_assert_not(cfg.sys);
}

Test(cli, bad_value_is_reported_with_the_option_and_the_value)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--hostname", "bad_name", "true")), -EINVAL);
	fflush(stderr);
	cr_assert_stderr_eq_str("brig: --hostname bad_name: expected letters, digits, '-' and '.', at most 64 characters\n");
}

Test(cli, parsing_stops_at_the_first_bad_value)
{
	cr_assert_lt(unit_parse_run(&cfg, UNIT_ARGV("--timeout", "soon", "--hostname", "box", "true")), 0);
	cr_assert_null(cfg.hostname);
}

/* --help */

Test(cli, long_help_returns_one, .init = cr_redirect_stdout)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--help")), 1);
}

Test(cli, short_help_returns_one, .init = cr_redirect_stdout)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-h", "true")), 1);
}

Test(cli, help_lists_every_option, .init = cr_redirect_stdout)
{
	cli_print_run_help();
	fflush(stdout);
	FILE *f = cr_get_redirected_stdout();
	static char text[16384];
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	cr_assert(strstr(text, "Usage: brig run"));
	for (size_t i = 0; i < cli_run_options_count; i++) {
		char name[64];
		snprintf(name, sizeof name, "--%s", cli_run_options[i].name);
		cr_assert(strstr(text, name), "--help does not mention %s", name);
	}
}

/* The option table */

Test(cli_table, names_are_unique)
{
	for (size_t i = 0; i < cli_run_options_count; i++)
		for (size_t j = i + 1; j < cli_run_options_count; j++)
			cr_assert_str_neq(cli_run_options[i].name, cli_run_options[j].name);
}

Test(cli_table, short_names_are_unique_and_not_h)
{
	for (size_t i = 0; i < cli_run_options_count; i++) {
		int s = cli_run_options[i].short_name;
		if (!s)
			continue;
		cr_assert_neq(s, 'h', "-h is --help");
		for (size_t j = i + 1; j < cli_run_options_count; j++)
			cr_assert_neq(s, cli_run_options[j].short_name, "-%c twice", s);
	}
}

Test(cli_table, every_option_has_help_and_a_setter)
{
	for (size_t i = 0; i < cli_run_options_count; i++) {
		cr_assert_not_null(cli_run_options[i].set, "--%s", cli_run_options[i].name);
		cr_assert_not_null(cli_run_options[i].help, "--%s", cli_run_options[i].name);
		cr_assert_neq(cli_run_options[i].help[0], '\0', "--%s", cli_run_options[i].name);
	}
}

/* --workspace, --chdir, --rootfs */

Test(cli, workspace_is_stored_normalised)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--workspace", "/srv//build/./src/", "true")), 0);
	cr_assert_str_eq(cfg.workspace, "/srv/build/src");
}

Test(cli, workspace_short_option)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-w", "/srv", "true")), 0);
	cr_assert_str_eq(cfg.workspace, "/srv");
}

Test(cli, workspace_equals_form)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--workspace=/srv", "true")), 0);
	cr_assert_str_eq(cfg.workspace, "/srv");
}

Test(cli, workspace_last_one_wins)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--workspace", "/a", "-w", "/b", "true")), 0);
	cr_assert_str_eq(cfg.workspace, "/b");
}

Test(cli, relative_workspace_is_rejected)
{
	assert_rejected(UNIT_ARGV("--workspace", "src", "true"));
	cr_assert_null(cfg.workspace);
}

Test(cli, chdir_is_stored_normalised)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--chdir", "/srv/a/../b", "true")), 0);
	cr_assert_str_eq(cfg.chdir, "/srv/b");
}

Test(cli, chdir_short_option)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-C", "/srv", "true")), 0);
	cr_assert_str_eq(cfg.chdir, "/srv");
}

Test(cli, chdir_last_one_wins)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-C", "/a", "--chdir", "/b", "true")), 0);
	cr_assert_str_eq(cfg.chdir, "/b");
}

Test(cli, relative_chdir_is_rejected)
{
	assert_rejected(UNIT_ARGV("--chdir", "sub", "true"));
}

Test(cli, rootfs_is_stored_normalised)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--rootfs", "/var/lib/roots/bookworm/", "true")), 0);
	cr_assert_str_eq(cfg.rootfs, "/var/lib/roots/bookworm");
}

Test(cli, relative_rootfs_is_rejected)
{
	assert_rejected(UNIT_ARGV("--rootfs", "roots/bookworm", "true"));
	cr_assert_null(cfg.rootfs);
}

Test(cli, rootfs_host_is_the_default)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--rootfs", "/srv/t", "--rootfs", "host", "true")), 0);
	cr_assert_null(cfg.rootfs);
}

/* --rootfs-mode, --overlay-size, --overlay-dir, --cache, --cache-dir */

Test(cli, rootfs_modes_are_parsed)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--rootfs-mode", "rw", "true")), 0);
	cr_assert_eq(cfg.rootfs_mode, ROOTFS_RW);
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--rootfs-mode", "ro", "true")), 0);
	cr_assert_eq(cfg.rootfs_mode, ROOTFS_RO);
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--rootfs-mode", "overlay", "true")), 0);
	cr_assert_eq(cfg.rootfs_mode, ROOTFS_OVERLAY);
	assert_rejected(UNIT_ARGV("--rootfs-mode", "RW", "true"));
	assert_rejected(UNIT_ARGV("--rootfs-mode", "", "true"));
}

Test(cli, overlay_size_and_dir_are_parsed)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--overlay-size", "16M", "--overlay-dir", "/var/tmp/", "true")), 0);
	cr_assert_eq(cfg.overlay_size, 16u << 20);
	cr_assert_str_eq(cfg.overlay_dir, "/var/tmp");
	assert_rejected(UNIT_ARGV("--overlay-size", "512K", "true"));
	assert_rejected(UNIT_ARGV("--overlay-dir", "var/tmp", "true"));
}

Test(cli, overlay_upper_takes_an_absolute_directory)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--overlay-upper", "/var/lib/brig/upper/", "true")), 0);
	cr_assert_str_eq(cfg.overlay_upper, "/var/lib/brig/upper");
	assert_rejected(UNIT_ARGV("--overlay-upper", "upper", "true"));
	assert_rejected(UNIT_ARGV("--overlay-upper", "", "true"));
}

Test(cli, cache_takes_a_key_and_a_destination)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--cache", "ccache:/root/.ccache", "--cache", "group/project /cache/", "true")), 0);
	cr_assert_eq(cfg.n_caches, 2);
	cr_assert_str_eq(cfg.caches[0].key, "ccache");
	cr_assert_str_eq(cfg.caches[0].dir, "ccache");
	cr_assert_str_eq(cfg.caches[0].dst, "/root/.ccache");
	cr_assert_str_eq(cfg.caches[1].key, "group/project");
	cr_assert_str_eq(cfg.caches[1].dir, "group%2Fproject");
	cr_assert_str_eq(cfg.caches[1].dst, "/cache");
	assert_rejected(UNIT_ARGV("--cache", "nodst", "true"));
	assert_rejected(UNIT_ARGV("--cache", "k relative", "true"));
	assert_rejected(UNIT_ARGV("--cache", ":/x", "true"));
}

Test(cli, cache_keys_become_safe_distinct_names)
{
	static const char *const cases[][2] = {
		{ "..", "%2E." }, { ".hidden", "%2Ehidden" }, { "a/../b", "a%2F..%2Fb" },
		{ "a%2Fb", "a%252Fb" }, { "main-1.2_x", "main-1.2_x" }, { "\xc3\xa9", "%C3%A9" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *name = NULL;
		cr_assert_eq(cli_cache_dir_name(cases[i][0], &name), 0);
		cr_assert_str_eq(name, cases[i][1], "key %s", cases[i][0]);
		free(name);
	}
	char *name = NULL;
	cr_assert_eq(cli_cache_dir_name("", &name), -EINVAL);
	char long_key[200];
	memset(long_key, 'k', sizeof long_key - 1);
	long_key[sizeof long_key - 1] = '\0';
	cr_assert_eq(cli_cache_dir_name(long_key, &name), -EINVAL);
}

/* --bind, --ro-bind, --tmpfs */

Test(cli, bind_with_a_destination)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--bind", "/srv/cache:/cache", "true")), 0);
	cr_assert_eq(cfg.n_mounts, 1);
	cr_assert_eq(cfg.mounts[0].kind, MNT_BIND);
	cr_assert_str_eq(cfg.mounts[0].src, "/srv/cache");
	cr_assert_str_eq(cfg.mounts[0].dst, "/cache");
}

Test(cli, bind_without_a_destination_uses_the_source)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--bind", "/srv/cache", "true")), 0);
	cr_assert_eq(cfg.n_mounts, 1);
	cr_assert_str_eq(cfg.mounts[0].src, "/srv/cache");
	cr_assert_str_eq(cfg.mounts[0].dst, "/srv/cache");
}

Test(cli, bind_paths_are_normalised)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--bind", "/srv//cache/:/a/../cache/", "true")), 0);
	cr_assert_str_eq(cfg.mounts[0].src, "/srv/cache");
	cr_assert_str_eq(cfg.mounts[0].dst, "/cache");
}

Test(cli, ro_bind_has_its_own_kind)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--ro-bind", "/opt/sdk:/sdk", "true")), 0);
	cr_assert_eq(cfg.n_mounts, 1);
	cr_assert_eq(cfg.mounts[0].kind, MNT_RO_BIND);
	cr_assert_str_eq(cfg.mounts[0].src, "/opt/sdk");
	cr_assert_str_eq(cfg.mounts[0].dst, "/sdk");
}

Test(cli, bind_with_relative_source_is_rejected)
{
	assert_rejected(UNIT_ARGV("--bind", "cache:/cache", "true"));
	cr_assert_eq(cfg.n_mounts, 0);
}

Test(cli, bind_with_relative_destination_is_rejected)
{
	assert_rejected(UNIT_ARGV("--ro-bind", "/cache:cache", "true"));
	cr_assert_eq(cfg.n_mounts, 0);
}

Test(cli, bind_with_empty_destination_is_rejected)
{
	assert_rejected(UNIT_ARGV("--bind", "/cache:", "true"));
	cr_assert_eq(cfg.n_mounts, 0);
}

Test(cli, tmpfs_without_size)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--tmpfs", "/scratch", "true")), 0);
	cr_assert_eq(cfg.n_mounts, 1);
	cr_assert_eq(cfg.mounts[0].kind, MNT_TMPFS);
	cr_assert_null(cfg.mounts[0].src);
	cr_assert_str_eq(cfg.mounts[0].dst, "/scratch");
	cr_assert_eq(cfg.mounts[0].size, 0);
}

Test(cli, tmpfs_with_size)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--tmpfs", "/scratch/:64M", "true")), 0);
	cr_assert_eq(cfg.n_mounts, 1);
	cr_assert_str_eq(cfg.mounts[0].dst, "/scratch");
	cr_assert_eq(cfg.mounts[0].size, 64ULL << 20);
}

Test(cli, tmpfs_with_zero_size_is_rejected)
{
	assert_rejected(UNIT_ARGV("--tmpfs", "/scratch:0", "true"));
	cr_assert_eq(cfg.n_mounts, 0);
}

Test(cli, tmpfs_with_bad_size_is_rejected)
{
	assert_rejected(UNIT_ARGV("--tmpfs", "/scratch:lots", "true"));
	assert_rejected(UNIT_ARGV("--tmpfs", "/scratch:", "true"));
	cr_assert_eq(cfg.n_mounts, 0);
}

Test(cli, tmpfs_with_relative_path_is_rejected)
{
	assert_rejected(UNIT_ARGV("--tmpfs", "scratch:64M", "true"));
	cr_assert_eq(cfg.n_mounts, 0);
}

Test(cli, mounts_accumulate_in_command_line_order)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--bind", "/a", "--tmpfs", "/b:1G", "--ro-bind", "/c:/d", "--bind", "/e:/f", "true")), 0);
	cr_assert_eq(cfg.n_mounts, 4);
	cr_assert_eq(cfg.mounts[0].kind, MNT_BIND);
	cr_assert_str_eq(cfg.mounts[0].dst, "/a");
	cr_assert_eq(cfg.mounts[1].kind, MNT_TMPFS);
	cr_assert_str_eq(cfg.mounts[1].dst, "/b");
	cr_assert_eq(cfg.mounts[1].size, 1ULL << 30);
	cr_assert_eq(cfg.mounts[2].kind, MNT_RO_BIND);
	cr_assert_str_eq(cfg.mounts[2].src, "/c");
	cr_assert_str_eq(cfg.mounts[2].dst, "/d");
	cr_assert_eq(cfg.mounts[3].kind, MNT_BIND);
	cr_assert_str_eq(cfg.mounts[3].dst, "/f");
}

/* --hostname */

Test(cli, hostname_is_stored)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--hostname", "build-42.ci", "true")), 0);
	cr_assert_str_eq(cfg.hostname, "build-42.ci");
}

Test(cli, hostname_last_one_wins)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--hostname", "a", "--hostname=b", "true")), 0);
	cr_assert_str_eq(cfg.hostname, "b");
}

Test(cli, hostname_of_64_characters_is_accepted)
{
	char name[65];
	memset(name, 'a', 64);
	name[64] = '\0';
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--hostname", name, "true")), 0);
	cr_assert_str_eq(cfg.hostname, name);
}

Test(cli, hostname_of_65_characters_is_rejected)
{
	char name[66];
	memset(name, 'a', 65);
	name[65] = '\0';
	assert_rejected(UNIT_ARGV("--hostname", name, "true"));
	cr_assert_null(cfg.hostname);
}

Test(cli, empty_hostname_is_rejected)
{
	assert_rejected(UNIT_ARGV("--hostname", "", "true"));
}

Test(cli, hostname_starting_with_a_hyphen_or_dot_is_rejected)
{
	assert_rejected(UNIT_ARGV("--hostname=-box", "true"));
	assert_rejected(UNIT_ARGV("--hostname", ".box", "true"));
}

Test(cli, hostname_with_other_characters_is_rejected)
{
	assert_rejected(UNIT_ARGV("--hostname", "my_box", "true"));
	assert_rejected(UNIT_ARGV("--hostname", "my box", "true"));
	assert_rejected(UNIT_ARGV("--hostname", "box/1", "true"));
	assert_rejected(UNIT_ARGV("--hostname", "b\xc3\xb6x", "true"));
	assert_rejected(UNIT_ARGV("--hostname", "box\n", "true"));
}

Test(cli, rejected_hostname_keeps_the_previous_one)
{
	cr_assert_lt(unit_parse_run(&cfg, UNIT_ARGV("--hostname", "good", "--hostname", "b@d", "true")), 0);
	cr_assert_str_eq(cfg.hostname, "good");
}

/* --sys, --quiet */

Test(cli, sys_flag)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--sys", "true")), 0);
	cr_assert(cfg.sys);
}

Test(cli, quiet_flag)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--quiet", "true")), 0);
	cr_assert(cfg.quiet);
}

Test(cli, quiet_short_option)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-q", "true")), 0);
	cr_assert(cfg.quiet);
}

Test(cli, allow_flags)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--allow-userns", "--allow-ptrace", "--allow-io-uring", "true")), 0);
	cr_assert(cfg.allow_userns);
	cr_assert(cfg.allow_ptrace);
	cr_assert(cfg.allow_io_uring);
}

Test(cli, allow_flags_are_off_by_default)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("true")), 0);
	cr_assert_not(cfg.allow_userns);
	cr_assert_not(cfg.allow_ptrace);
	cr_assert_not(cfg.allow_io_uring);
	cr_assert_null(cfg.seccomp);
}

/* --seccomp */

Test(cli, seccomp_policy_is_stored_verbatim)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--seccomp", "strict", "true")), 0);
	cr_assert_str_eq(cfg.seccomp, "strict");
}

Test(cli, seccomp_last_one_wins)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--seccomp", "./policy", "--seccomp=none", "true")), 0);
	cr_assert_str_eq(cfg.seccomp, "none");
}

Test(cli, empty_seccomp_is_rejected)
{
	assert_rejected(UNIT_ARGV("--seccomp", "", "true"));
	cr_assert_null(cfg.seccomp);
}

/* --uid-range */

Test(cli, uid_range_is_stored)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--uid-range", "100000:65536", "true")), 0);
	cr_assert_eq(cfg.uid_base, 100000);
	cr_assert_eq(cfg.uid_count, 65536);
	cr_assert(cfg.uid_range_set);
}

Test(cli, uid_range_last_one_wins)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--uid-range", "100000:65536", "--uid-range", "200000:1000", "true")), 0);
	cr_assert_eq(cfg.uid_base, 200000);
	cr_assert_eq(cfg.uid_count, 1000);
}

Test(cli, uid_range_ending_at_the_last_valid_id_is_accepted)
{
	/* ids up to 4294967294; 4294967295 is (uid_t)-1 */
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--uid-range", "4294901760:65535", "true")), 0);
	cr_assert_eq(cfg.uid_base, 4294901760u);
	cr_assert_eq(cfg.uid_count, 65535);
}

Test(cli, uid_range_reaching_id_minus_one_is_rejected)
{
	assert_rejected(UNIT_ARGV("--uid-range", "4294901760:65536", "true"));
	assert_rejected(UNIT_ARGV("--uid-range", "4294967295:1", "true"));
	cr_assert_not(cfg.uid_range_set);
}

Test(cli, uid_range_starting_at_host_root_is_rejected)
{
	assert_rejected(UNIT_ARGV("--uid-range", "0:65536", "true"));
	cr_assert_not(cfg.uid_range_set);
	cr_assert_eq(cfg.uid_base, BRIG_DEFAULT_UID_BASE);
}

Test(cli, empty_uid_range_is_rejected)
{
	assert_rejected(UNIT_ARGV("--uid-range", "100000:0", "true"));
	cr_assert_eq(cfg.uid_count, BRIG_DEFAULT_UID_COUNT);
}

Test(cli, uid_range_without_count_is_rejected)
{
	assert_rejected(UNIT_ARGV("--uid-range", "100000", "true"));
	cr_assert_not(cfg.uid_range_set);
}

Test(cli, malformed_uid_range_is_rejected)
{
	assert_rejected(UNIT_ARGV("--uid-range", "a:b", "true"));
	assert_rejected(UNIT_ARGV("--uid-range", "100000:-1", "true"));
	assert_rejected(UNIT_ARGV("--uid-range", "100000:65536:1", "true"));
	assert_rejected(UNIT_ARGV("--uid-range", "4294967296:1", "true"));
	cr_assert_not(cfg.uid_range_set);
}

/* --user */

Test(cli, user_alone_sets_the_group_too)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--user", "1000", "true")), 0);
	cr_assert(cfg.user_set);
	cr_assert_eq(cfg.user, 1000);
	cr_assert_eq(cfg.group, 1000);
}

Test(cli, user_and_group)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--user", "1000:100", "true")), 0);
	cr_assert_eq(cfg.user, 1000);
	cr_assert_eq(cfg.group, 100);
}

Test(cli, user_short_option)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-u", "5:6", "true")), 0);
	cr_assert(cfg.user_set);
	cr_assert_eq(cfg.user, 5);
	cr_assert_eq(cfg.group, 6);
}

Test(cli, user_root_is_accepted)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--user", "0", "true")), 0);
	cr_assert(cfg.user_set);
	cr_assert_eq(cfg.user, 0);
	cr_assert_eq(cfg.group, 0);
}

Test(cli, user_last_one_wins)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--user", "1:2", "-u", "3", "true")), 0);
	cr_assert_eq(cfg.user, 3);
	cr_assert_eq(cfg.group, 3);
}

Test(cli, user_names_are_rejected)
{
	assert_rejected(UNIT_ARGV("--user", "nobody", "true"));
	cr_assert_not(cfg.user_set);
}

Test(cli, malformed_user_is_rejected)
{
	assert_rejected(UNIT_ARGV("--user", "1000:", "true"));
	assert_rejected(UNIT_ARGV("--user", ":1000", "true"));
	assert_rejected(UNIT_ARGV("--user", "-1", "true"));
	assert_rejected(UNIT_ARGV("--user", "4294967296", "true"));
	cr_assert_not(cfg.user_set);
}

/* --pass-fd, --status-fd, --status-file */

Test(cli, pass_fd_is_stored)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--pass-fd", "3", "true")), 0);
	cr_assert_eq(cfg.n_pass_fds, 1);
	cr_assert_eq(cfg.pass_fds[0], 3);
}

Test(cli, pass_fds_accumulate)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--pass-fd", "5", "--pass-fd", "9", "true")), 0);
	cr_assert_eq(cfg.n_pass_fds, 2);
	cr_assert_eq(cfg.pass_fds[0], 5);
	cr_assert_eq(cfg.pass_fds[1], 9);
}

Test(cli, pass_fd_of_stdio_is_rejected)
{
	assert_rejected(UNIT_ARGV("--pass-fd", "0", "true"));
	assert_rejected(UNIT_ARGV("--pass-fd", "1", "true"));
	assert_rejected(UNIT_ARGV("--pass-fd", "2", "true"));
	cr_assert_eq(cfg.n_pass_fds, 0);
}

Test(cli, pass_fd_that_is_not_a_number_is_rejected)
{
	assert_rejected(UNIT_ARGV("--pass-fd", "-3", "true"));
	assert_rejected(UNIT_ARGV("--pass-fd", "3x", "true"));
	assert_rejected(UNIT_ARGV("--pass-fd", "", "true"));
	cr_assert_eq(cfg.n_pass_fds, 0);
}

Test(cli, pass_fd_above_the_limit_is_rejected)
{
	assert_rejected(UNIT_ARGV("--pass-fd", "1048577", "true"));
	assert_rejected(UNIT_ARGV("--pass-fd", "4294967299", "true"));
	cr_assert_eq(cfg.n_pass_fds, 0);
}

Test(cli, status_fd_is_stored)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--status-fd", "7", "true")), 0);
	cr_assert_eq(cfg.status_fd, 7);
}

Test(cli, status_fd_may_be_stdout)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--status-fd", "1", "true")), 0);
	cr_assert_eq(cfg.status_fd, 1);
}

Test(cli, status_fd_last_one_wins)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--status-fd", "7", "--status-fd", "8", "true")), 0);
	cr_assert_eq(cfg.status_fd, 8);
}

Test(cli, bad_status_fd_is_rejected)
{
	assert_rejected(UNIT_ARGV("--status-fd", "-1", "true"));
	assert_rejected(UNIT_ARGV("--status-fd", "seven", "true"));
	assert_rejected(UNIT_ARGV("--status-fd", "1048577", "true"));
	cr_assert_eq(cfg.status_fd, -1);
}

Test(cli, status_file_is_stored_verbatim)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--status-file", "out/status.jsonl", "true")), 0);
	cr_assert_str_eq(cfg.status_file, "out/status.jsonl");
}

Test(cli, status_file_last_one_wins)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--status-file", "/a", "--status-file", "/b", "true")), 0);
	cr_assert_str_eq(cfg.status_file, "/b");
}

/* --cap-add */

static void assert_cap(const char *name, int want)
{
	config_free(&cfg);
	config_init(&cfg);
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--cap-add", (char *)name, "true")), 0, "--cap-add %s", name);
	cr_assert_eq(cfg.n_caps, 1, "--cap-add %s", name);
	cr_assert_eq(cfg.caps[0], want, "--cap-add %s", name);
}

Test(cli, cap_add_accepts_the_upper_case_name)
{
	assert_cap("CAP_NET_RAW", CAP_NET_RAW);
}

Test(cli, cap_add_accepts_the_lower_case_name)
{
	assert_cap("cap_net_raw", CAP_NET_RAW);
}

Test(cli, cap_add_accepts_the_name_without_prefix)
{
	assert_cap("net_raw", CAP_NET_RAW);
	assert_cap("NET_BIND_SERVICE", CAP_NET_BIND_SERVICE);
}

Test(cli, cap_add_accepts_mixed_case)
{
	assert_cap("Cap_Sys_Ptrace", CAP_SYS_PTRACE);
}

Test(cli, cap_adds_accumulate)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--cap-add", "net_raw", "--cap-add", "CAP_CHOWN", "true")), 0);
	cr_assert_eq(cfg.n_caps, 2);
	cr_assert_eq(cfg.caps[0], CAP_NET_RAW);
	cr_assert_eq(cfg.caps[1], CAP_CHOWN);
}

Test(cli, cap_add_rejects_unknown_names)
{
	assert_rejected(UNIT_ARGV("--cap-add", "nonsense", "true"));
	assert_rejected(UNIT_ARGV("--cap-add", "CAP_NONSENSE", "true"));
	assert_rejected(UNIT_ARGV("--cap-add", "net_rawx", "true"));
	cr_assert_eq(cfg.n_caps, 0);
}

Test(cli, cap_add_rejects_empty_and_bare_prefix)
{
	assert_rejected(UNIT_ARGV("--cap-add", "", "true"));
	assert_rejected(UNIT_ARGV("--cap-add", "cap_", "true"));
	cr_assert_eq(cfg.n_caps, 0);
}

Test(cli, cap_add_rejects_numbers)
{
	assert_rejected(UNIT_ARGV("--cap-add", "13", "true"));
	assert_rejected(UNIT_ARGV("--cap-add", "cap_13", "true"));
	cr_assert_eq(cfg.n_caps, 0);
}

Test(cli, cap_add_rejects_all)
{
	assert_rejected(UNIT_ARGV("--cap-add", "all", "true"));
	cr_assert_eq(cfg.n_caps, 0);
}

Test(cli, cap_add_rejects_overlong_names)
{
	char name[200];
	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	assert_rejected(UNIT_ARGV("--cap-add", name, "true"));
	cr_assert_eq(cfg.n_caps, 0);
}

/* A valid name followed by anything is not that capability: a list must not
 * silently shrink to its first element. */
Test(cli, cap_add_rejects_a_valid_name_with_trailing_characters)
{
	assert_rejected(UNIT_ARGV("--cap-add", "net_raw,sys_admin", "true"));
	assert_rejected(UNIT_ARGV("--cap-add", "net_raw ", "true"));
	assert_rejected(UNIT_ARGV("--cap-add", "net_raw1", "true"));
	cr_assert_eq(cfg.n_caps, 0);
}

/* --env, --env-pass */

Test(cli, env_is_stored_verbatim)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--env", "CI=true", "true")), 0);
	cr_assert_eq(cfg.n_env_set, 1);
	cr_assert_str_eq(cfg.env_set[0], "CI=true");
}

Test(cli, env_short_option)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-e", "A=1", "true")), 0);
	cr_assert_eq(cfg.n_env_set, 1);
	cr_assert_str_eq(cfg.env_set[0], "A=1");
}

Test(cli, env_value_may_be_empty_or_contain_equals)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--env", "EMPTY=", "--env", "OPTS=a=b c", "true")), 0);
	cr_assert_eq(cfg.n_env_set, 2);
	cr_assert_str_eq(cfg.env_set[0], "EMPTY=");
	cr_assert_str_eq(cfg.env_set[1], "OPTS=a=b c");
}

Test(cli, envs_accumulate_in_order)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-e", "A=1", "--env", "B=2", "-e", "A=3", "true")), 0);
	cr_assert_eq(cfg.n_env_set, 3);
	cr_assert_str_eq(cfg.env_set[0], "A=1");
	cr_assert_str_eq(cfg.env_set[1], "B=2");
	cr_assert_str_eq(cfg.env_set[2], "A=3");
}

Test(cli, env_names_may_use_underscores_and_digits)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--env", "_X9_a=1", "true")), 0);
	cr_assert_str_eq(cfg.env_set[0], "_X9_a=1");
}

Test(cli, env_without_equals_is_rejected)
{
	assert_rejected(UNIT_ARGV("--env", "CI", "true"));
	cr_assert_eq(cfg.n_env_set, 0);
}

Test(cli, env_with_empty_name_is_rejected)
{
	assert_rejected(UNIT_ARGV("--env", "=x", "true"));
	cr_assert_eq(cfg.n_env_set, 0);
}

Test(cli, env_with_invalid_name_is_rejected)
{
	assert_rejected(UNIT_ARGV("--env", "1A=x", "true"));
	assert_rejected(UNIT_ARGV("--env", "A-B=x", "true"));
	assert_rejected(UNIT_ARGV("--env", "A B=x", "true"));
	assert_rejected(UNIT_ARGV("--env", "A*=x", "true"));
	cr_assert_eq(cfg.n_env_set, 0);
}

Test(cli, env_pass_name_is_stored)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--env-pass", "HOME", "true")), 0);
	cr_assert_eq(cfg.n_env_pass, 1);
	cr_assert_str_eq(cfg.env_pass[0], "HOME");
}

Test(cli, env_pass_prefix_pattern_is_stored)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--env-pass", "CI_*", "--env-pass", "GITLAB_*", "true")), 0);
	cr_assert_eq(cfg.n_env_pass, 2);
	cr_assert_str_eq(cfg.env_pass[0], "CI_*");
	cr_assert_str_eq(cfg.env_pass[1], "GITLAB_*");
}

Test(cli, env_pass_with_star_inside_is_rejected)
{
	assert_rejected(UNIT_ARGV("--env-pass", "C*I", "true"));
	assert_rejected(UNIT_ARGV("--env-pass", "CI_**", "true"));
	cr_assert_eq(cfg.n_env_pass, 0);
}

Test(cli, env_pass_with_invalid_name_is_rejected)
{
	assert_rejected(UNIT_ARGV("--env-pass", "", "true"));
	assert_rejected(UNIT_ARGV("--env-pass", "1A", "true"));
	assert_rejected(UNIT_ARGV("--env-pass", "A=B", "true"));
	assert_rejected(UNIT_ARGV("--env-pass", "A-B", "true"));
	cr_assert_eq(cfg.n_env_pass, 0);
}

/* --timeout */

Test(cli, timeout_in_seconds)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--timeout", "90s", "true")), 0);
	cr_assert_eq(cfg.timeout_ms, 90000);
}

Test(cli, timeout_units)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--timeout", "500ms", "true")), 0);
	cr_assert_eq(cfg.timeout_ms, 500);
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-t", "10m", "true")), 0);
	cr_assert_eq(cfg.timeout_ms, 600000);
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--timeout=2h", "true")), 0);
	cr_assert_eq(cfg.timeout_ms, 7200000);
}

Test(cli, timeout_bare_number_is_seconds)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-t", "5", "true")), 0);
	cr_assert_eq(cfg.timeout_ms, 5000);
}

Test(cli, timeout_last_one_wins)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-t", "1s", "--timeout", "2s", "true")), 0);
	cr_assert_eq(cfg.timeout_ms, 2000);
}

Test(cli, zero_timeout_is_rejected)
{
	assert_rejected(UNIT_ARGV("--timeout", "0", "true"));
	assert_rejected(UNIT_ARGV("--timeout", "0ms", "true"));
}

Test(cli, bad_timeout_is_rejected)
{
	assert_rejected(UNIT_ARGV("--timeout", "soon", "true"));
	assert_rejected(UNIT_ARGV("--timeout", "1d", "true"));
	assert_rejected(UNIT_ARGV("--timeout", "-1s", "true"));
	assert_rejected(UNIT_ARGV("--timeout", "99999999999999999999s", "true"));
}

/* Looking options up */

Test(cli_table, find_returns_the_named_option)
{
	const struct cli_option *o = cli_find("hostname");
	cr_assert_not_null(o);
	cr_assert_str_eq(o->name, "hostname");
}

Test(cli_table, find_does_not_abbreviate)
{
	cr_assert_null(cli_find("host"));
	cr_assert_null(cli_find("hostnames"));
	cr_assert_null(cli_find("--hostname"));
	cr_assert_null(cli_find(""));
}

Test(cli_table, planned_options_are_found_and_name_their_feature)
{
	for (size_t i = 0; i < cli_planned_count; i++) {
		const struct cli_planned *p = &cli_planned_options[i];
		cr_assert_eq(cli_find_planned(p->name), p, "%s", p->name);
		cr_assert_not_null(p->feature);
		cr_assert_neq(p->feature[0], '\0', "%s", p->name);
	}
	cr_assert_null(cli_find_planned("nope"));
}

Test(cli_table, existing_options_are_not_planned)
{
	for (size_t i = 0; i < cli_run_options_count; i++)
		cr_assert_null(cli_find_planned(cli_run_options[i].name), "--%s", cli_run_options[i].name);
}

Test(cli_table, lists_and_scalars_are_declared)
{
	cr_assert_eq(cli_find("bind")->list, CONFIG_MOUNTS);
	cr_assert_eq(cli_find("ro-bind")->list, CONFIG_MOUNTS);
	cr_assert_eq(cli_find("tmpfs")->list, CONFIG_MOUNTS);
	cr_assert_eq(cli_find("pass-fd")->list, CONFIG_PASS_FDS);
	cr_assert_eq(cli_find("cap-add")->list, CONFIG_CAPS);
	cr_assert_eq(cli_find("env")->list, CONFIG_ENV_SET);
	cr_assert_eq(cli_find("env-pass")->list, CONFIG_ENV_PASS);
	cr_assert_eq(cli_find("hostname")->list, CONFIG_SCALAR);
	cr_assert_eq(cli_find("timeout")->list, CONFIG_SCALAR);
}

Test(cli_table, only_profile_is_early)
{
	for (size_t i = 0; i < cli_run_options_count; i++)
		cr_assert_eq(cli_run_options[i].early, strcmp(cli_run_options[i].name, "profile") == 0, "--%s",
			     cli_run_options[i].name);
}

/* Suggestions */

Test(cli_suggest, nothing_close_gives_null)
{
	cr_assert_null(cli_suggest("xyzzy"));
	cr_assert_null(cli_suggest(""));
	cr_assert_null(cli_suggest("--"));
}

Test(cli_suggest, profile_is_never_suggested)
{
	const char *s = cli_suggest("profile");
	cr_assert(!s || strcmp(s, "profile") != 0);
}

/* cli_apply: values and where they came from */

Test(cli, command_line_settings_record_their_origin)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--hostname", "box", "--env", "A=1", "true")), 0);
	cr_assert_eq(cfg.n_origins, 2);
	cr_assert_str_eq(cfg.origins[0].directive, "hostname");
	cr_assert_eq(cfg.origins[0].list, CONFIG_SCALAR);
	cr_assert_null(cfg.origins[0].file);
	cr_assert_eq(cfg.origins[0].load, 0);
	cr_assert_str_eq(cfg.origins[1].directive, "env");
	cr_assert_eq(cfg.origins[1].list, CONFIG_ENV_SET);
}

Test(cli, apply_records_a_copy_of_the_file_and_the_line)
{
	char file[] = "profiles/ci";
	const char *why;
	cr_assert_eq(cli_apply(cli_find("timeout"), &cfg, "5m", file, 7, 1, &why), 0);
	cr_assert_eq(cfg.timeout_ms, 300000);
	cr_assert_eq(cfg.n_origins, 1);
	cr_assert_str_eq(cfg.origins[0].file, "profiles/ci");
	cr_assert_neq(cfg.origins[0].file, file);
	cr_assert_eq(cfg.origins[0].line, 7);
	cr_assert_eq(cfg.origins[0].load, 1);
}

Test(cli, apply_of_a_bad_value_records_nothing)
{
	const char *why = NULL;
	cr_assert_eq(cli_apply(cli_find("timeout"), &cfg, "soon", NULL, 0, 0, &why), -EINVAL);
	cr_assert_str_eq(why, "expected a duration such as 90s, 500ms, 10m or 2h");
	cr_assert_eq(cfg.n_origins, 0);
}

Test(cli, apply_of_an_early_option_records_no_origin)
{
	const char *why;
	cr_assert_eq(cli_apply(cli_find("profile"), &cfg, "ci", NULL, 0, 0, &why), 0);
	cr_assert_str_eq(cfg.profile, "ci");
	cr_assert_eq(cfg.n_origins, 0);
}

Test(cli, last_profile_option_wins)
{
	cr_assert_lt(unit_parse_run(&cfg, UNIT_ARGV("--profile", "no-such-profile-a", "-p", "no-such-profile-b", "true")), 0);
	cr_assert_str_eq(cfg.profile, "no-such-profile-b");
}

Test(cli, lists_are_bounded)
{
	const struct cli_option *env = cli_find("env");
	const char *why;
	for (int i = 0; i < CONFIG_LIST_MAX; i++)
		cr_assert_eq(cli_apply(env, &cfg, "A=1", NULL, 0, 0, &why), 0, "element %d", i);
	cr_assert_eq(cli_apply(env, &cfg, "A=1", NULL, 0, 0, &why), -E2BIG);
	cr_assert_str_eq(why, "given too many times (at most 4096)");
	cr_assert_eq(cfg.n_env_set, CONFIG_LIST_MAX);
}

/* --pty */

Test(cli, pty_defaults_to_auto)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("true")), 0);
	cr_assert_eq(cfg.pty, PTY_AUTO);
	cr_assert_not(cfg.pty_set);
}

Test(cli, pty_modes_are_stored)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--pty", "never", "true")), 0);
	cr_assert_eq(cfg.pty, PTY_NEVER);
	cr_assert(cfg.pty_set);
}

Test(cli, pty_always_is_stored)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--pty", "always", "true")), 0);
	cr_assert_eq(cfg.pty, PTY_ALWAYS);
}

Test(cli, pty_rejects_other_words)
{
	cr_assert_lt(unit_parse_run(&cfg, UNIT_ARGV("--pty", "yes", "true")), 0);
}

Test(cli, env_pass_negation_is_stored)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--env-pass", "!BUILDKITE_AGENT_TOKEN", "true")), 0);
	cr_assert_str_eq(cfg.env_pass[0], "!BUILDKITE_AGENT_TOKEN");
	cr_assert_lt(unit_parse_run(&cfg, UNIT_ARGV("--env-pass", "!", "true")), 0);
}

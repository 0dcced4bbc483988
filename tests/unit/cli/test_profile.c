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
#include "brig/cli/profile.h"
#include "helpers/unit.h"

UNIT_FILES_SUITE(profile);

static void make_dir(const char *rel)
{
	cr_assert_eq(mkdir(path_of(rel), 0700), 0);
}

static const char *put_bytes(const char *rel, const char *text, size_t len)
{
	const char *p = path_of(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return p;
}

static const char *put_file(const char *rel, const char *text)
{
	return put_bytes(rel, text, strlen(text));
}

static void assert_stderr_is(const char *fmt, const char *path)
{
	char want[1024];
	snprintf(want, sizeof want, fmt, path);
	cr_assert_str_eq(stderr_text(), want);
}

/* Directives */

Test(profile, directives_set_options)
{
	const char *p = put_file("p", "hostname box\nenv A=1\ntimeout 90s\n");
	cr_assert_eq(profile_load(p, &cfg), 0);
	cr_assert_str_eq(cfg.hostname, "box");
	cr_assert_eq(cfg.n_env_set, 1);
	cr_assert_str_eq(cfg.env_set[0], "A=1");
	cr_assert_eq(cfg.timeout_ms, 90000);
}

Test(profile, flags_take_no_argument)
{
	const char *p = put_file("p", "sys\nquiet\n");
	cr_assert_eq(profile_load(p, &cfg), 0);
	cr_assert(cfg.sys);
	cr_assert(cfg.quiet);
}

Test(profile, repeated_directives_accumulate)
{
	const char *p = put_file("p", "ro-bind /a\ntmpfs /b:1M\nenv-pass CI_*\nenv-pass HOME\n");
	cr_assert_eq(profile_load(p, &cfg), 0);
	cr_assert_eq(cfg.n_mounts, 2);
	cr_assert_eq(cfg.mounts[0].kind, MNT_RO_BIND);
	cr_assert_eq(cfg.mounts[1].kind, MNT_TMPFS);
	cr_assert_eq(cfg.mounts[1].size, 1ULL << 20);
	cr_assert_eq(cfg.n_env_pass, 2);
	cr_assert_str_eq(cfg.env_pass[1], "HOME");
}

Test(profile, comments_and_blank_lines_are_ignored)
{
	const char *p = put_file("p", "# a profile\n\n   \n\t# indented comment\nhostname box\n");
	cr_assert_eq(profile_load(p, &cfg), 0);
	cr_assert_str_eq(cfg.hostname, "box");
}

Test(profile, value_keeps_inner_spaces)
{
	const char *p = put_file("p", "env GREETING=hello  world\n");
	cr_assert_eq(profile_load(p, &cfg), 0);
	cr_assert_str_eq(cfg.env_set[0], "GREETING=hello  world");
}

Test(profile, empty_file_changes_nothing)
{
	const char *p = put_file("p", "");
	cr_assert_eq(profile_load(p, &cfg), 0);
	cr_assert_null(cfg.hostname);
	cr_assert_eq(cfg.n_mounts, 0);
}

/* Errors */

Test(profile, directive_names_are_not_abbreviated)
{
	const char *p = put_file("p", "host box\n");
	cr_assert_eq(profile_load(p, &cfg), -EINVAL);
	cr_assert_null(cfg.hostname);
}

Test(profile, reading_stops_at_the_first_error)
{
	const char *p = put_file("p", "nope\nhostname box\n");
	cr_assert_lt(profile_load(p, &cfg), 0);
	cr_assert_null(cfg.hostname);
}

Test(profile, missing_profile_path_is_enoent)
{
	const char *p = path_of("missing");
	cr_assert_eq(profile_load(p, &cfg), -ENOENT);
	assert_stderr_is("brig: --profile %s: no such profile\n", p);
}

/* include */

Test(profile, include_reads_a_fragment_from_inc)
{
	make_dir("inc");
	put_file("inc/base.inc", "env A=1\n");
	const char *p = put_file("p", "include base\nhostname box\n");
	cr_assert_eq(profile_load(p, &cfg), 0);
	cr_assert_eq(cfg.n_env_set, 1);
	cr_assert_str_eq(cfg.env_set[0], "A=1");
	cr_assert_str_eq(cfg.hostname, "box");
}

Test(profile, error_in_a_fragment_names_the_fragment)
{
	make_dir("inc");
	const char *inc = put_file("inc/bad.inc", "\n\nnope\n");
	const char *p = put_file("p", "include bad\n");
	cr_assert_eq(profile_load(p, &cfg), -EINVAL);
	assert_stderr_is("brig: %s:3: nope: unknown directive\n", inc);
}

/* profile_find */

Test(profile, find_returns_an_existing_path_as_given)
{
	const char *p = put_file("p", "");
	char *found = NULL;
	cr_assert_eq(profile_find(p, &found), 0);
	cr_assert_not_null(found);
	cr_assert_str_eq(found, p);
	free(found);
}

Test(profile, find_of_a_missing_path_is_enoent)
{
	char *found = NULL;
	cr_assert_eq(profile_find(path_of("missing"), &found), -ENOENT);
	cr_assert_null(found);
}

Test(profile, find_searches_the_profile_path_in_order)
{
	make_dir("one");
	make_dir("two");
	put_file("two/ci", "");
	put_file("one/ci", "");
	char list[1200], want[600];
	snprintf(list, sizeof list, "%s/none:%s/one:%s/two", dir, dir, dir);
	snprintf(want, sizeof want, "%s/one/ci", dir);
	cr_assert_eq(setenv("BRIG_PROFILE_PATH", list, 1), 0);
	char *found = NULL;
	cr_assert_eq(profile_find("ci", &found), 0);
	cr_assert_not_null(found);
	cr_assert_str_eq(found, want);
	free(found);
}

Test(profile, find_of_an_unknown_name_is_enoent)
{
	cr_assert_eq(setenv("BRIG_PROFILE_PATH", dir, 1), 0);
	char *found = NULL;
	cr_assert_eq(profile_find("no-such-profile-name-4d1f", &found), -ENOENT);
	cr_assert_null(found);
}

Test(profile, load_by_name_uses_the_profile_path)
{
	put_file("ci", "hostname from-path\n");
	cr_assert_eq(setenv("BRIG_PROFILE_PATH", dir, 1), 0);
	cr_assert_eq(profile_load("ci", &cfg), 0);
	cr_assert_str_eq(cfg.hostname, "from-path");
}

/* --profile on the command line */

Test(profile, command_line_overrides_a_later_profile)
{
	const char *p = put_file("p", "hostname from-profile\ntimeout 1h\n");
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--hostname", "from-cli", "--profile", (char *)p, "true")), 0);
	cr_assert_str_eq(cfg.hostname, "from-cli");
	cr_assert_eq(cfg.timeout_ms, 3600000);
}

Test(profile, command_line_overrides_an_earlier_profile)
{
	const char *p = put_file("p", "hostname from-profile\n");
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-p", (char *)p, "--hostname", "from-cli", "true")), 0);
	cr_assert_str_eq(cfg.hostname, "from-cli");
}

Test(profile, profile_mounts_come_before_command_line_mounts)
{
	const char *p = put_file("p", "bind /from-profile\n");
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--bind", "/from-cli", "--profile", (char *)p, "true")), 0);
	cr_assert_eq(cfg.n_mounts, 2);
	cr_assert_str_eq(cfg.mounts[0].dst, "/from-profile");
	cr_assert_str_eq(cfg.mounts[1].dst, "/from-cli");
}

Test(profile, missing_profile_fails_the_parse)
{
	cr_assert_lt(unit_parse_run(&cfg, UNIT_ARGV("--profile", (char *)path_of("missing"), "true")), 0);
}

/* profile_text_problem */

static const char *text_problem(const char *s, size_t *at)
{
	*at = 999;
	return profile_text_problem(s, strlen(s), at);
}

Test(profile_text, plain_text_and_tabs_are_fine)
{
	size_t at;
	cr_assert_null(text_problem("hostname\tbox # fine", &at));
	cr_assert_null(text_problem("", &at));
}

Test(profile_text, utf8_is_fine)
{
	size_t at;
	cr_assert_null(text_problem("# caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \xc2\xa0", &at));
}

Test(profile_text, ascii_controls_are_named_with_their_offset)
{
	size_t at;
	cr_assert_str_eq(text_problem("abc\x01", &at), "control character");
	cr_assert_eq(at, 3);
	cr_assert_str_eq(text_problem("a\x7f", &at), "control character");
	cr_assert_eq(at, 1);
	cr_assert_str_eq(text_problem("a\rb", &at), "control character");
}

Test(profile_text, c1_controls_are_control_characters)
{
	size_t at;
	cr_assert_str_eq(text_problem("ab\xc2\x85", &at), "control character");
	cr_assert_eq(at, 2);
}

Test(profile_text, bidi_controls_are_named)
{
	size_t at;
	static const char *const bidi[] = { "x\xe2\x80\xae", "x\xe2\x80\xaa", "x\xe2\x81\xa6", "x\xe2\x81\xa9",
					    "x\xe2\x80\x8f", "x\xd8\x9c", NULL };
	for (const char *const *s = bidi; *s; s++) {
		cr_assert_str_eq(text_problem(*s, &at), "bidirectional control character", "%s", *s + 1);
		cr_assert_eq(at, 1);
	}
}

Test(profile_text, invalid_utf8_is_named)
{
	size_t at;
	static const char *const bad[] = {
		"\x80",             /* a lone continuation byte */
		"\xc0\xaf",         /* overlong */
		"\xe0\x80\xaf",     /* overlong */
		"\xed\xa0\x80",     /* a surrogate */
		"\xf4\x90\x80\x80", /* above U+10FFFF */
		"\xf5\x80\x80\x80", /* no such lead byte */
		"\xc3",             /* cut short */
		"\xe2\x82",         /* cut short */
		"\xc3\x28",         /* a bad continuation */
		"\xff",
		NULL,
	};
	for (const char *const *s = bad; *s; s++)
		cr_assert_str_eq(text_problem(*s, &at), "not valid UTF-8", "byte %02x", (unsigned char)**s);
}

Test(profile_text, only_the_first_n_bytes_are_checked)
{
	size_t at;
	cr_assert_null(profile_text_problem("ok\x01", 2, &at));
	cr_assert_str_eq(profile_text_problem("ok\xc3\xa9", 3, &at), "not valid UTF-8");
}

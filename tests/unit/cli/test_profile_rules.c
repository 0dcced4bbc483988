/* The profile reader's rules: every class of error with its exact message
 * and line, every value type at its edges, variables, includes, precedence
 * and the checks that need no host. "@" in an expected message stands for
 * the test's directory. */
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

UNIT_FILES_SUITE(profile_reader);

/* Creates rel (and the directories it needs) holding len bytes of text. */
static const char *put_bytes(const char *rel, const char *text, size_t len)
{
	char sub[1024];
	snprintf(sub, sizeof sub, "%s", rel);
	for (char *s = strchr(sub, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path_of(sub), 0700);
		*s = '/';
	}
	const char *p = path_of(rel);
	FILE *f = fopen(p, "we");
	cr_assert_not_null(f, "%s: %s", p, strerror(errno));
	cr_assert_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	return p;
}

static const char *put(const char *rel, const char *text)
{
	return put_bytes(rel, text, strlen(text));
}

static int load(const char *rel)
{
	return profile_load(path_of(rel), &cfg);
}

/* The expected text with every "@" replaced by the test's directory. */
static char *expand_at(const char *want)
{
	static char buf[16384];
	size_t n = 0;
	for (const char *w = want; *w && n + strlen(dir) + 2 < sizeof buf; w++)
		if (*w == '@')
			n += (size_t)sprintf(buf + n, "%s", dir);
		else
			buf[n++] = *w;
	buf[n] = '\0';
	return buf;
}

static void assert_stderr(const char *want)
{
	cr_assert_str_eq(stderr_text(), expand_at(want));
}

/* Loads text as profile "p" and expects exactly one line on stderr. */
static void assert_fails(const char *text, int err, const char *want)
{
	put("p", text);
	cr_assert_eq(load("p"), err, "for %s", text);
	assert_stderr(want);
}

static void assert_loads(const char *text)
{
	put("p", text);
	cr_assert_eq(load("p"), 0, "for %s: %s", text, stderr_text());
}

/* A check collects every problem, one line each. */
struct lines {
	char text[16384];
	size_t n;
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;
	l->n += (size_t)snprintf(l->text + l->n, sizeof l->text - l->n, "%s\n", line);
}

static unsigned check_text(const char *text, struct lines *out)
{
	struct brig_reporter rep = { .fn = collect, .ctx = out, .keep_going = true };
	struct profile_opts o = { .report = &rep, .check = true };
	put("p", text);
	profile_load_with(path_of("p"), &cfg, &o);
	config_check(&cfg, &rep);
	return rep.problems;
}

/* Unknown and unimplemented directives */

Test(profile_reader, unknown_directive_suggests_the_closest_name)
{
	assert_fails("# x\nhostnme box\n", -EINVAL, "brig: @/p:2: hostnme: unknown directive (did you mean hostname?)\n");
}

Test(profile_reader, swapped_letters_are_one_edit)
{
	assert_fails("tiemout 1h\n", -EINVAL, "brig: @/p:1: tiemout: unknown directive (did you mean timeout?)\n");
}

Test(profile_reader, a_pasted_flag_suggests_the_directive)
{
	assert_fails("--timeout 3h\n", -EINVAL, "brig: @/p:1: --timeout: unknown directive (did you mean timeout?)\n");
}

Test(profile_reader, directive_names_are_case_sensitive_but_suggested)
{
	assert_fails("Hostname box\n", -EINVAL, "brig: @/p:1: Hostname: unknown directive (did you mean hostname?)\n");
}

Test(profile_reader, include_is_suggested_too)
{
	assert_fails("inclde base\n", -EINVAL, "brig: @/p:1: inclde: unknown directive (did you mean include?)\n");
}

Test(profile_reader, nothing_close_means_no_suggestion)
{
	assert_fails("frobnicate yes\n", -EINVAL, "brig: @/p:1: frobnicate: unknown directive\n");
}

Test(profile_reader, an_overlong_unknown_name_is_cut_in_the_message)
{
	char text[300];
	memset(text, 'x', 200);
	strcpy(text + 200, " 1\n");
	put("p", text);
	cr_assert_eq(load("p"), -EINVAL);
	char want[600];
	snprintf(want, sizeof want, "brig: %s/p:1: %.64s: unknown directive\n", dir, text);
	cr_assert_str_eq(stderr_text(), want);
}

Test(profile_reader, every_planned_directive_is_rejected_as_not_implemented)
{
	for (size_t i = 0; i < cli_planned_count; i++) {
		char text[128], want[1024];
		snprintf(text, sizeof text, "%s x\n", cli_planned_options[i].name);
		snprintf(want, sizeof want, "brig: %s/p%zu:1: %s: not implemented by this version of brig (planned: %s)\n",
			 dir, i, cli_planned_options[i].name, cli_planned_options[i].feature);
		char rel[32];
		snprintf(rel, sizeof rel, "p%zu", i);
		put(rel, text);
		cr_assert_eq(load(rel), -EINVAL);
		cr_assert_str_eq(stderr_text(), want);
	}
}

Test(profile_reader, planned_directives_are_not_options_yet)
{
	for (size_t i = 0; i < cli_planned_count; i++) {
		cr_assert_null(cli_find(cli_planned_options[i].name), "%s is both", cli_planned_options[i].name);
		for (size_t j = i + 1; j < cli_planned_count; j++)
			cr_assert_str_neq(cli_planned_options[i].name, cli_planned_options[j].name);
	}
	cr_assert_null(cli_find("include"));
}

Test(profile_reader, planned_option_on_the_command_line_says_so)
{
	if (cli_planned_count == 0)
		cr_skip_test("every planned directive is implemented");
	char opt[64], want[160];
	snprintf(opt, sizeof opt, "--%s", cli_planned_options[0].name);
	snprintf(want, sizeof want, "brig: run: option %s is not implemented by this version of brig\n", opt);
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV(opt, "x", "true")), -EINVAL);
	assert_stderr(want);
}

Test(profile_reader, unknown_option_on_the_command_line_gets_a_suggestion)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--hostnme=x", "true")), -EINVAL);
	assert_stderr("brig: run: unknown option --hostnme=x (did you mean --hostname?)\n");
}

Test(profile_reader, flag_given_a_value_on_the_command_line_names_the_flag)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--quiet=yes", "true")), -EINVAL);
	assert_stderr("brig: run: option --quiet takes no argument (see brig run --help)\n");
}

Test(profile_reader, suggestions_need_to_be_close)
{
	cr_assert_str_eq(cli_suggest("hostnam"), "hostname");
	cr_assert_str_eq(cli_suggest("memroy"), "memory");
	cr_assert_str_eq(cli_suggest("env_pass"), "env-pass");
	cr_assert_null(cli_suggest("network"));
	cr_assert_null(cli_suggest("x"));
	cr_assert_null(cli_suggest(""));
	cr_assert_null(cli_suggest("profile")); /* not a directive */
	char big[200];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	cr_assert_null(cli_suggest(big));
}

/* Arguments */

Test(profile_reader, flag_with_an_argument_names_line_and_directive)
{
	assert_fails("\n\nallow-ptrace yes\n", -EINVAL, "brig: @/p:3: allow-ptrace: takes no argument\n");
}

Test(profile_reader, missing_argument_names_the_metavar)
{
	assert_fails("timeout 1h\ntmpfs\n", -EINVAL, "brig: @/p:2: tmpfs: needs an argument (DST[:SIZE])\n");
}

Test(profile_reader, bad_value_repeats_the_line_as_written)
{
	assert_fails("bind relative/path\n", -EINVAL,
		     "brig: @/p:1: bind relative/path: expected SRC[:DST] with absolute paths\n");
}

Test(profile_reader, profile_is_not_a_directive)
{
	assert_fails("profile other\n", -EINVAL, "brig: @/p:1: profile: not a profile directive (use include)\n");
}

Test(profile_reader, tab_separates_directive_and_value)
{
	assert_loads("hostname\tbox\n");
	cr_assert_str_eq(cfg.hostname, "box");
}

/* Scalars once per profile */

Test(profile_reader, scalar_twice_names_both_lines_and_keeps_the_first)
{
	assert_fails("hostname a\n# note\nhostname b\n", -EINVAL,
		     "brig: @/p:3: hostname: already set at @/p:1 (a profile sets each value once)\n");
	cr_assert_str_eq(cfg.hostname, "a");
}

Test(profile_reader, scalar_twice_across_an_include_names_the_fragment)
{
	put("inc/limits.inc", "# limits\ntimeout 1h\n");
	assert_fails("include limits\ntimeout 2h\n", -EINVAL,
		     "brig: @/p:2: timeout: already set at @/inc/limits.inc:2 (a profile sets each value once)\n");
}

Test(profile_reader, flag_twice_is_an_error_too)
{
	assert_fails("sys\nsys\n", -EINVAL, "brig: @/p:2: sys: already set at @/p:1 (a profile sets each value once)\n");
}

Test(profile_reader, a_failed_scalar_does_not_count_as_set)
{
	struct lines l = { 0 };
	cr_assert_eq(check_text("timeout soon\ntimeout 1h\n", &l), 1, "%s", l.text);
	cr_assert_eq(cfg.timeout_ms, 3600000);
}

Test(profile_reader, repeatable_directives_may_repeat)
{
	assert_loads("env A=1\nenv B=2\ntmpfs /a\ntmpfs /b\ncap-add chown\ncap-add kill\n");
	cr_assert_eq(cfg.n_env_set, 2);
	cr_assert_eq(cfg.n_mounts, 2);
	cr_assert_eq(cfg.n_caps, 2);
}

/* Precedence: built-in defaults < profile < command line */

Test(profile_reader, command_line_overrides_a_profile_scalar)
{
	put("p", "timeout 1h\nhostname prof\n");
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-t", "5m", "--profile", (char *)path_of("p"), "true")), 0);
	cr_assert_eq(cfg.timeout_ms, 300000);
	cr_assert_str_eq(cfg.hostname, "prof");
	cr_assert_eq(config_check(&cfg, NULL), 0);
}

Test(profile_reader, the_last_profile_on_the_command_line_wins)
{
	put("one", "hostname one\ntimeout 1h\n");
	put("two", "hostname two\n");
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-p", (char *)path_of("one"), "-p", (char *)path_of("two"), "true")), 0);
	cr_assert_str_eq(cfg.hostname, "two");
	cr_assert_eq(cfg.timeout_ms, 0, "the first profile was applied too");
}

Test(profile_reader, command_line_list_element_overrides_a_profile_one)
{
	put("p", "env A=1\ntmpfs /x\n");
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--env", "A=2", "--bind", "/srv:/x", "-p", (char *)path_of("p"), "true")), 0);
	cr_assert_eq(cfg.n_env_set, 2);
	cr_assert_str_eq(cfg.env_set[1], "A=2");
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_ENV_SET, 0), 1);
	cr_assert_eq(config_replaced_by(&cfg, CONFIG_MOUNTS, 0), 1);
	cr_assert_eq(config_check(&cfg, NULL), 0);
}

Test(profile_reader, command_line_scalar_twice_last_wins_without_error)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--hostname", "a", "--hostname", "b", "true")), 0);
	cr_assert_str_eq(cfg.hostname, "b");
	cr_assert_eq(config_check(&cfg, NULL), 0);
}

Test(profile_reader, origins_record_file_line_and_command_line)
{
	put("p", "# c\nhostname box\n");
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-p", (char *)path_of("p"), "-t", "1m", "true")), 0);
	const struct brig_origin *o = config_last_origin(&cfg, "hostname");
	cr_assert_not_null(o);
	cr_assert_str_eq(o->file, path_of("p"));
	cr_assert_eq(o->line, 2);
	cr_assert_neq(o->load, 0);
	o = config_last_origin(&cfg, "timeout");
	cr_assert_not_null(o);
	cr_assert_null(o->file);
	cr_assert_eq(o->load, 0);
	cr_assert_null(config_last_origin(&cfg, "workspace"));
}

/* Variables */

Test(profile_reader, workspace_variable_from_an_earlier_line)
{
	assert_loads("workspace /w\nchdir ${WORKSPACE}/src\n");
	cr_assert_str_eq(cfg.chdir, "/w/src");
}

Test(profile_reader, workspace_variable_prefers_the_command_line)
{
	put("p", "workspace /from-profile\nbind ${WORKSPACE}/cache:/cache\n");
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("-p", (char *)path_of("p"), "-w", "/from//cli/", "true")), 0);
	cr_assert_str_eq(cfg.mounts[0].src, "/from/cli/cache");
	cr_assert_str_eq(cfg.workspace, "/from/cli");
}

Test(profile_reader, workspace_variable_without_a_workspace_is_an_error)
{
	assert_fails("chdir ${WORKSPACE}\n", -EINVAL,
		     "brig: @/p:1: chdir: ${WORKSPACE} is not set (give --workspace DIR, or a workspace line before "
		     "this one)\n");
}

Test(profile_reader, workspace_variable_is_a_placeholder_in_a_check)
{
	struct lines l = { 0 };
	cr_assert_eq(check_text("chdir ${WORKSPACE}/x\n", &l), 0, "%s", l.text);
	cr_assert_str_eq(cfg.chdir, "/brig-check-placeholder/workspace/x");
}

Test(profile_reader, home_variable_is_the_callers_home)
{
	setenv("HOME", "/home/op", 1);
	assert_loads("ro-bind ${HOME}/.cache/tool:/opt/tool\n");
	cr_assert_str_eq(cfg.mounts[0].src, "/home/op/.cache/tool");
}

Test(profile_reader, unset_or_relative_home_is_an_error)
{
	unsetenv("HOME");
	assert_fails("ro-bind ${HOME}\n", -EINVAL, "brig: @/p:1: ro-bind: ${HOME} is not set: HOME is not an absolute path\n");
	config_free(&cfg);
	unlink(path_of("p"));
	setenv("HOME", "relative", 1);
	assert_fails("ro-bind ${HOME}\n", -EINVAL, "brig: @/p:1: ro-bind: ${HOME} is not set: HOME is not an absolute path\n");
}

Test(profile_reader, job_id_variable)
{
	strcpy(cfg.job_id, "0123456789ab");
	assert_loads("hostname ci-${JOB_ID}\n");
	cr_assert_str_eq(cfg.hostname, "ci-0123456789ab");
}

Test(profile_reader, job_id_unknown_is_an_error)
{
	assert_fails("hostname ci-${JOB_ID}\n", -EINVAL, "brig: @/p:1: hostname: ${JOB_ID} is not set: no job id yet\n");
}

Test(profile_reader, profile_dir_variable_is_absolute)
{
	put("inc/x.inc", "ro-bind ${BRIG_PROFILE_DIR}/scripts:/opt/scripts\n");
	put("p", "include x\n");
	char cwd[1024];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	cr_assert_eq(chdir(dir), 0);
	int r = profile_load("./p", &cfg);
	cr_assert_eq(chdir(cwd), 0);
	cr_assert_eq(r, 0, "%s", stderr_text());
	char real[1024], want[1100];
	cr_assert_not_null(realpath(dir, real));
	snprintf(want, sizeof want, "%s/scripts", real);
	cr_assert_str_eq(cfg.mounts[0].src, want);
}

Test(profile_reader, unknown_variable_lists_the_known_ones)
{
	assert_fails("env P=${PATH}\n", -EINVAL,
		     "brig: @/p:1: env: unknown variable ${PATH} (known: WORKSPACE, HOME, JOB_ID, BRIG_PROFILE_DIR, env:NAME)\n");
}

Test(profile_reader, empty_variable_name_is_unknown)
{
	assert_fails("env P=${}\n", -EINVAL,
		     "brig: @/p:1: env: unknown variable ${} (known: WORKSPACE, HOME, JOB_ID, BRIG_PROFILE_DIR, env:NAME)\n");
}

Test(profile_reader, lone_dollar_is_an_error)
{
	assert_fails("env P=$HOME\n", -EINVAL,
		     "brig: @/p:1: env: a lone $: write $$ for a dollar sign, ${NAME} for a variable\n");
}

Test(profile_reader, trailing_dollar_is_an_error)
{
	assert_fails("env PRICE=5$\n", -EINVAL,
		     "brig: @/p:1: env: a lone $: write $$ for a dollar sign, ${NAME} for a variable\n");
}

Test(profile_reader, unterminated_variable_is_an_error)
{
	assert_fails("env P=${HOME\n", -EINVAL, "brig: @/p:1: env: ${ without a closing }\n");
}

Test(profile_reader, double_dollar_is_a_dollar)
{
	assert_loads("env PS=$$ $${HOME} $$$$\n");
	cr_assert_str_eq(cfg.env_set[0], "PS=$ ${HOME} $$");
}

Test(profile_reader, expansion_is_not_repeated)
{
	setenv("HOME", "/h/${JOB_ID}/$x", 1);
	assert_loads("env H=${HOME}\n");
	cr_assert_str_eq(cfg.env_set[0], "H=/h/${JOB_ID}/$x");
}

Test(profile_reader, variables_expand_only_in_values)
{
	assert_fails("${HOME} x\n", -EINVAL, "brig: @/p:1: ${HOME}: unknown directive\n");
}

/* Includes */

Test(profile_reader, include_chain_of_the_maximum_depth_is_read)
{
	/* p is the first of PROFILE_MAX_DEPTH files being read. */
	for (int i = 1; i < PROFILE_MAX_DEPTH; i++) {
		char rel[32], text[64];
		snprintf(rel, sizeof rel, "inc/f%d.inc", i);
		if (i + 1 < PROFILE_MAX_DEPTH)
			snprintf(text, sizeof text, "include f%d\n", i + 1);
		else
			snprintf(text, sizeof text, "hostname deep\n");
		put(rel, text);
	}
	assert_loads("include f1\n");
	cr_assert_str_eq(cfg.hostname, "deep");
}

Test(profile_reader, include_chain_one_deeper_is_refused)
{
	for (int i = 1; i <= PROFILE_MAX_DEPTH; i++) {
		char rel[32], text[64];
		snprintf(rel, sizeof rel, "inc/f%d.inc", i);
		snprintf(text, sizeof text, "include f%d\n", i + 1);
		put(rel, text);
	}
	assert_fails("include f1\n", -ELOOP, "brig: @/inc/f7.inc:1: include f8: @/inc/f8.inc: includes nested deeper than 8\n");
}

Test(profile_reader, fragment_including_itself_is_a_cycle)
{
	put("inc/self.inc", "env-pass CI\ninclude self\n");
	assert_fails("include self\n", -ELOOP,
		     "brig: @/inc/self.inc:2: include self: @/inc/self.inc: include cycle (the file is already being read)\n");
}

Test(profile_reader, cycle_between_fragments_names_the_closing_include)
{
	put("inc/a.inc", "include b\n");
	put("inc/b.inc", "\ninclude a\n");
	assert_fails("include a\n", -ELOOP,
		     "brig: @/inc/b.inc:2: include a: @/inc/a.inc: include cycle (the file is already being read)\n");
}

Test(profile_reader, the_same_fragment_twice_in_a_row_is_not_a_cycle)
{
	put("inc/notes.inc", "# only comments\n");
	assert_loads("include notes\ninclude notes\n");
}

Test(profile_reader, diamond_includes_are_not_a_cycle)
{
	put("inc/a.inc", "include common\nenv A=1\n");
	put("inc/b.inc", "include common\nenv B=1\n");
	put("inc/common.inc", "# shared\n");
	assert_loads("include a\ninclude b\n");
	cr_assert_eq(cfg.n_env_set, 2);
}

Test(profile_reader, fragments_are_found_beside_the_top_profile)
{
	put("inc/outer.inc", "include inner\n");
	put("inc/inner.inc", "sys\n");
	assert_loads("include outer\n");
	cr_assert(cfg.sys);
}

Test(profile_reader, missing_fragment_names_the_path)
{
	assert_fails("\ninclude nothere\n", -ENOENT, "brig: @/p:2: include nothere: @/inc/nothere.inc: no such file\n");
}

Test(profile_reader, directory_as_fragment_is_refused)
{
	mkdir(path_of("inc"), 0700);
	mkdir(path_of("inc/d.inc"), 0700);
	assert_fails("include d\n", -EISDIR, "brig: @/p:1: include d: @/inc/d.inc: is a directory, not a profile\n");
}

Test(profile_reader, include_needs_a_name)
{
	assert_fails("include\n", -EINVAL, "brig: @/p:1: include: needs an argument (NAME)\n");
}

Test(profile_reader, include_names_are_plain)
{
	static const char *const bad[] = { "../x", ".hidden", "a b", "${HOME}", "x/y", "a:b" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char text[64], want[1024];
		snprintf(text, sizeof text, "include %s\n", bad[i]);
		snprintf(want, sizeof want,
			 "brig: %s/p:1: include %s: expected a fragment name from inc/, or site/NAME (letters, digits, "
			 "'.', '_', '-')\n",
			 dir, bad[i]);
		unlink(path_of("p"));
		put("p", text);
		cr_assert_eq(load("p"), -EINVAL, "%s", bad[i]);
		cr_assert_str_eq(stderr_text(), want);
	}
}

/* Robustness: one clear line, whatever the file holds */

Test(profile_reader, line_of_the_maximum_length_is_read)
{
	static char text[PROFILE_MAX_LINE + 2];
	memset(text, '#', PROFILE_MAX_LINE);
	text[PROFILE_MAX_LINE] = '\n';
	assert_loads(text);
}

Test(profile_reader, line_one_byte_longer_is_refused)
{
	static char text[PROFILE_MAX_LINE + 20];
	strcpy(text, "sys\n");
	memset(text + 4, '#', PROFILE_MAX_LINE + 1);
	strcpy(text + 4 + PROFILE_MAX_LINE + 1, "\n");
	assert_fails(text, -E2BIG, "brig: @/p:2: line longer than 4096 bytes\n");
}

Test(profile_reader, huge_line_without_newline_is_refused)
{
	static char text[PROFILE_MAX_FILE - 10];
	memset(text, 'a', sizeof text);
	put_bytes("p", text, sizeof text);
	cr_assert_eq(load("p"), -E2BIG);
	assert_stderr("brig: @/p:1: line longer than 4096 bytes\n");
}

Test(profile_reader, file_larger_than_the_limit_is_refused)
{
	static char text[PROFILE_MAX_FILE + 1];
	memset(text, '\n', sizeof text);
	put_bytes("p", text, sizeof text);
	cr_assert_eq(load("p"), -E2BIG);
	assert_stderr("brig: --profile @/p: larger than 1048576 bytes\n");
}

Test(profile_reader, file_of_the_limit_is_read)
{
	static char text[PROFILE_MAX_FILE];
	memset(text, '\n', sizeof text);
	put_bytes("p", text, sizeof text);
	cr_assert_eq(load("p"), 0);
}

Test(profile_reader, nul_byte_names_the_line)
{
	put_bytes("p", "sys\n\nenv A=1\0x\n", 15);
	cr_assert_eq(load("p"), -EINVAL);
	assert_stderr("brig: @/p:3: NUL byte: a profile is text\n");
}

Test(profile_reader, invalid_utf8_is_refused_even_in_comments)
{
	assert_fails("sys\n# caf\xe9\n", -EINVAL, "brig: @/p:2: not valid UTF-8 at byte 6: a profile is plain UTF-8 text\n");
}

Test(profile_reader, overlong_and_surrogate_encodings_are_invalid)
{
	static const char *const bad[] = { "env A=\xc0\xaf\n", "env A=\xed\xa0\x80\n", "env A=\xe2\x82\n",
					   "env A=\xf4\x90\x80\x80\n", "env A=\x80\n", "env A=\xf8\x88\x80\x80\x80\n" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		unlink(path_of("p"));
		put("p", bad[i]);
		cr_assert_eq(load("p"), -EINVAL, "case %zu", i);
		cr_assert_str_eq(stderr_text(), expand_at("brig: @/p:1: not valid UTF-8 at byte 7: a profile is plain UTF-8 text\n"),
				 "case %zu", i);
	}
}

Test(profile_reader, valid_utf8_is_kept)
{
	assert_loads("# \xc3\xa9t\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x90\xa7\nenv GREETING=h\xc3\xa9llo \xe2\x9c\x93\n");
	cr_assert_str_eq(cfg.env_set[0], "GREETING=h\xc3\xa9llo \xe2\x9c\x93");
}

Test(profile_reader, control_characters_are_refused)
{
	assert_fails("env A=\x1b[2Jx\n", -EINVAL, "brig: @/p:1: control character at byte 7: a profile is plain UTF-8 text\n");
}

Test(profile_reader, carriage_return_inside_a_line_is_refused)
{
	assert_fails("env A=1\rhostname evil\n", -EINVAL,
		     "brig: @/p:1: control character at byte 8: a profile is plain UTF-8 text\n");
}

Test(profile_reader, c1_controls_are_refused)
{
	assert_fails("env A=\xc2\x9b\n", -EINVAL, "brig: @/p:1: control character at byte 7: a profile is plain UTF-8 text\n");
}

Test(profile_reader, bidirectional_overrides_are_refused)
{
	assert_fails("# harmless \xe2\x80\xae\nsys\n", -EINVAL,
		     "brig: @/p:1: bidirectional control character at byte 12: a profile is plain UTF-8 text\n");
}

Test(profile_reader, directory_as_profile_is_one_line)
{
	mkdir(path_of("d"), 0700);
	cr_assert_eq(load("d"), -ENOENT);
	assert_stderr("brig: --profile @/d: is a directory, not a profile\n");
}

Test(profile_reader, fifo_as_profile_does_not_hang)
{
	cr_assert_eq(mkfifo(path_of("fifo"), 0600), 0);
	cr_assert_eq(load("fifo"), -ENOENT);
	assert_stderr("brig: --profile @/fifo: not a regular file\n");
}

Test(profile_reader, fifo_as_fragment_does_not_hang)
{
	mkdir(path_of("inc"), 0700);
	cr_assert_eq(mkfifo(path_of("inc/f.inc"), 0600), 0);
	assert_fails("include f\n", -EINVAL, "brig: @/p:1: include f: @/inc/f.inc: not a regular file\n");
}

Test(profile_reader, a_name_in_the_current_directory_gets_a_hint)
{
	put("local", "sys\n");
	char cwd[1024];
	cr_assert_not_null(getcwd(cwd, sizeof cwd));
	cr_assert_eq(setenv("BRIG_PROFILE_PATH", "", 1), 0);
	cr_assert_eq(chdir(dir), 0);
	int r = profile_load("local", &cfg);
	cr_assert_eq(chdir(cwd), 0);
	cr_assert_eq(r, -ENOENT);
	assert_stderr("brig: --profile local: no such profile; for the file here, write ./local\n");
}

Test(profile_reader, list_length_is_bounded)
{
	size_t cap = 20 * (CONFIG_LIST_MAX + 1);
	char *text = malloc(cap), *p = text;
	for (int i = 0; i <= CONFIG_LIST_MAX; i++)
		p += sprintf(p, "env V%d=1\n", i);
	put("p", text);
	free(text);
	cr_assert_eq(load("p"), -E2BIG);
	assert_stderr("brig: @/p:4097: env V4096=1: given too many times (at most 4096)\n");
}

Test(profile_reader, crlf_and_no_final_newline)
{
	assert_loads("sys\r\n\r\nhostname box");
	cr_assert(cfg.sys);
	cr_assert_str_eq(cfg.hostname, "box");
}

/* A check reports every problem */

Test(profile_reader, check_lists_every_problem_in_line_order)
{
	struct lines l = { 0 };
	unsigned n = check_text("hostnme a\nsys yes\ntimeout never\nhostname ok\nhostname again\nenv X=$\n", &l);
	cr_assert_eq(n, 5);
	cr_assert_str_eq(l.text, expand_at("@/p:1: hostnme: unknown directive (did you mean hostname?)\n"
					   "@/p:2: sys: takes no argument\n"
					   "@/p:3: timeout never: expected a duration such as 90s, 500ms, 10m or 2h\n"
					   "@/p:5: hostname: already set at @/p:4 (a profile sets each value once)\n"
					   "@/p:6: env: a lone $: write $$ for a dollar sign, ${NAME} for a variable\n"));
}

Test(profile_reader, check_gives_up_after_too_many_problems)
{
	char text[4096] = "";
	for (int i = 0; i < 80; i++)
		strcat(text, "nope\n");
	struct lines l = { 0 };
	unsigned n = check_text(text, &l);
	cr_assert_eq(n, PROFILE_MAX_PROBLEMS + 1);
	cr_assert(strstr(l.text, "p: too many problems, stopping here\n"), "%s", l.text);
}

Test(profile_reader, check_reports_contradictions_after_line_problems)
{
	struct lines l = { 0 };
	cr_assert_eq(check_text("status-fd 1\nnope\nstatus-file /s\n", &l), 2);
	cr_assert_str_eq(l.text, expand_at("@/p:2: nope: unknown directive\n"
					   "@/p:3: status-file: cannot be combined with status-fd (@/p:1)\n"));
}

Test(profile_reader, check_names_a_missing_file_without_option_syntax)
{
	struct lines l = { 0 };
	struct brig_reporter rep = { .fn = collect, .ctx = &l, .keep_going = true };
	struct profile_opts o = { .report = &rep, .check = true };
	cr_assert_eq(profile_load_with(path_of("missing"), &cfg, &o), -ENOENT);
	cr_assert_str_eq(l.text, expand_at("@/missing: no such profile\n"));
}

/* Contradictions, found without the host */

static void assert_contradiction(const char *text, const char *want)
{
	assert_loads(text);
	struct lines l = { 0 };
	struct brig_reporter rep = { .fn = collect, .ctx = &l };
	cr_assert_eq(config_check(&cfg, &rep), -EINVAL, "for %s", text);
	cr_assert_str_eq(l.text, expand_at(want));
}

Test(profile_reader, status_fd_with_status_file)
{
	assert_contradiction("status-fd 1\n\nstatus-file /s\n",
			     "@/p:3: status-file: cannot be combined with status-fd (@/p:1)\n");
}

Test(profile_reader, host_root_as_rootfs)
{
	assert_contradiction("rootfs /usr/..\n", "@/p:1: rootfs /: the host's root cannot be a job's root\n");
}

Test(profile_reader, host_root_as_workspace)
{
	assert_contradiction("workspace //\n", "@/p:1: workspace /: the host's root cannot be a job's workspace\n");
}

Test(profile_reader, mounts_over_the_job_root)
{
	assert_contradiction("tmpfs /\n", "@/p:1: tmpfs /: cannot be mounted over the job's root\n");
	config_free(&cfg);
	unlink(path_of("p"));
	assert_contradiction("sys\nbind /srv:/\n", "@/p:2: bind /srv:/: cannot be mounted over the job's root\n");
}

Test(profile_reader, pass_fd_that_is_the_status_fd)
{
	assert_contradiction("status-fd 7\npass-fd 7\n", "@/p:2: pass-fd 7: is also the status-fd (@/p:1)\n");
}

Test(profile_reader, same_mount_point_twice_in_one_profile)
{
	put("inc/t.inc", "tmpfs /var/tmp\n");
	assert_contradiction("include t\nro-bind /srv:/var/tmp\n", "@/p:2: ro-bind: /var/tmp is already mounted by @/inc/t.inc:1\n");
}

Test(profile_reader, same_variable_twice_in_one_profile)
{
	assert_contradiction("env A=1\nenv B=2\nenv A=3\n", "@/p:3: env: A is already set by @/p:1\n");
}

Test(profile_reader, same_capability_pattern_or_fd_twice)
{
	assert_contradiction("cap-add net_raw\ncap-add CAP_NET_RAW\n", "@/p:2: cap-add: cap_net_raw is already kept by @/p:1\n");
	config_free(&cfg);
	unlink(path_of("p"));
	assert_contradiction("env-pass CI_*\nenv-pass CI_*\n", "@/p:2: env-pass: CI_* is already passed by @/p:1\n");
	config_free(&cfg);
	unlink(path_of("p"));
	assert_contradiction("pass-fd 5\npass-fd 5\n", "@/p:2: pass-fd: 5 is already passed by @/p:1\n");
}

Test(profile_reader, contradictions_on_the_command_line_keep_their_flag_names)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--status-file", "/s", "--status-fd", "1", "true")), 0);
	cr_assert_eq(config_check(&cfg, NULL), -EINVAL);
	assert_stderr("brig: --status-file: cannot be combined with --status-fd\n");
}

Test(profile_reader, check_needs_no_host_path)
{
	assert_loads("workspace /nonexistent/w\nbind /nonexistent/a:/a\nrootfs /nonexistent/r\n");
	cr_assert_eq(config_check(&cfg, NULL), 0);
}

Test(profile_reader, host_problems_name_the_profile_line)
{
	static char *command[] = { "true", NULL };
	assert_loads("# c\nro-bind /nonexistent/src:/a\n");
	cfg.argv = command;
	cr_assert_eq(unit_config_finish(&cfg), -ENOENT);
	assert_stderr("brig: @/p:2: ro-bind /nonexistent/src: No such file or directory\n");
}

/* Values at their edges */

static void assert_value_ok(const char *line)
{
	config_free(&cfg);
	unlink(path_of("p"));
	assert_loads(line);
}

static void assert_value_bad(const char *line)
{
	config_free(&cfg);
	unlink(path_of("p"));
	put("p", line);
	cr_assert_eq(load("p"), -EINVAL, "accepted: %s", line);
}

Test(profile_reader, paths_are_absolute_and_normalised)
{
	assert_value_ok("workspace /a//b/./c/../d/\n");
	cr_assert_str_eq(cfg.workspace, "/a/b/d");
	assert_value_ok("chdir /..\n");
	cr_assert_str_eq(cfg.chdir, "/");
	assert_value_ok("bind /a/../b/:/c//d\n");
	cr_assert_str_eq(cfg.mounts[0].src, "/b");
	cr_assert_str_eq(cfg.mounts[0].dst, "/c/d");
	assert_value_bad("workspace w\n");
	assert_value_bad("chdir ./x\n");
	assert_value_bad("bind /a:\n");
	assert_value_bad("bind :/a\n");
	assert_value_bad("ro-bind /a:b\n");
	assert_value_bad("rootfs ~/root\n");
}

Test(profile_reader, sizes)
{
	assert_value_ok("tmpfs /x:1\n");
	cr_assert_eq(cfg.mounts[0].size, 1);
	assert_value_ok("tmpfs /x:64K\n");
	cr_assert_eq(cfg.mounts[0].size, 64 << 10);
	assert_value_ok("tmpfs /x:2GiB\n");
	cr_assert_eq(cfg.mounts[0].size, 2ULL << 30);
	assert_value_ok("tmpfs /x:16777215T\n");
	cr_assert_eq(cfg.mounts[0].size, 16777215ULL << 40);
	assert_value_bad("tmpfs /x:0\n");
	assert_value_bad("tmpfs /x:0M\n");
	assert_value_bad("tmpfs /x:16777216T\n");
	assert_value_bad("tmpfs /x:1.5G\n");
	assert_value_bad("tmpfs /x:1k\n");
	assert_value_bad("tmpfs /x:-1M\n");
	assert_value_bad("tmpfs /x:\n");
	assert_value_bad("tmpfs /x:1M:2\n");
	assert_value_bad("tmpfs /x:1 M\n");
	assert_value_bad("tmpfs /x:99999999999999999999\n");
}

Test(profile_reader, durations)
{
	assert_value_ok("timeout 1ms\n");
	cr_assert_eq(cfg.timeout_ms, 1);
	assert_value_ok("timeout 90\n");
	cr_assert_eq(cfg.timeout_ms, 90000);
	assert_value_ok("timeout 9223372036854775807ms\n");
	cr_assert_eq(cfg.timeout_ms, 9223372036854775807ULL);
	assert_value_bad("timeout 9223372036854775808ms\n");
	assert_value_bad("timeout 5124095576030432h\n");
	assert_value_bad("timeout 0\n");
	assert_value_bad("timeout 0h\n");
	assert_value_bad("timeout 1.5h\n");
	assert_value_bad("timeout 1d\n");
	assert_value_bad("timeout 10 m\n");
	assert_value_bad("timeout 2h30m\n");
	assert_value_bad("timeout -1s\n");
	assert_value_bad("timeout 1H\n");
}

Test(profile_reader, ids)
{
	assert_value_ok("uid-range 100000:65536\n");
	cr_assert_eq(cfg.uid_base, 100000);
	cr_assert_eq(cfg.uid_count, 65536);
	assert_value_ok("user 1000:100\n");
	cr_assert_eq(cfg.user, 1000);
	cr_assert_eq(cfg.group, 100);
	assert_value_ok("user 0\n");
	cr_assert(cfg.user_set);
	assert_value_bad("uid-range 0:1\n");
	assert_value_bad("uid-range 1:0\n");
	assert_value_bad("uid-range 4294967295:1\n");
	assert_value_bad("uid-range 1000\n");
	assert_value_bad("user -1\n");
	assert_value_bad("user 4294967296\n");
	assert_value_bad("user root\n");
	assert_value_bad("user 1:2:3\n");
}

Test(profile_reader, descriptors)
{
	assert_value_ok("pass-fd 3\n");
	assert_value_ok("pass-fd 1048576\n");
	assert_value_ok("status-fd 0\n");
	cr_assert_eq(cfg.status_fd, 0);
	assert_value_bad("pass-fd 2\n");
	assert_value_bad("pass-fd 1048577\n");
	assert_value_bad("pass-fd 0x3\n");
	assert_value_bad("status-fd -1\n");
}

Test(profile_reader, capabilities)
{
	assert_value_ok("cap-add net_raw\n");
	assert_value_ok("cap-add CAP_SYS_ADMIN\n");
	assert_value_bad("cap-add CAP_NET_RAW,CAP_SYS_ADMIN\n");
	assert_value_bad("cap-add cap_13\n");
	assert_value_bad("cap-add all\n");
	assert_value_bad("cap-add cap_\n");
}

Test(profile_reader, host_names)
{
	assert_value_ok("hostname a-b.c\n");
	assert_value_ok("hostname aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	assert_value_bad("hostname aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	assert_value_bad("hostname a_b\n");
	assert_value_bad("hostname -a\n");
	assert_value_bad("hostname h\xc3\xa9\n");
}

Test(profile_reader, environment)
{
	assert_value_ok("env A=\n");
	cr_assert_str_eq(cfg.env_set[0], "A=");
	assert_value_ok("env OPTS=a=b  c\n");
	cr_assert_str_eq(cfg.env_set[0], "OPTS=a=b  c");
	assert_value_ok("env-pass CI_*\n");
	assert_value_bad("env =x\n");
	assert_value_bad("env A\n");
	assert_value_bad("env 1A=x\n");
	assert_value_bad("env-pass A=B\n");
	assert_value_bad("env-pass C*I\n");
}

Test(profile_reader, seccomp_and_status_file)
{
	assert_value_ok("seccomp none\n");
	cr_assert_str_eq(cfg.seccomp, "none");
	assert_value_ok("status-file /run/brig/status.jsonl\n");
	cr_assert_str_eq(cfg.status_file, "/run/brig/status.jsonl");
}

Test(profile_reader, empty_status_file_on_the_command_line_is_refused)
{
	cr_assert_eq(unit_parse_run(&cfg, UNIT_ARGV("--status-file", "", "true")), -EINVAL);
	cr_assert_null(cfg.status_file);
}

/* ${env:NAME} */

Test(profile_reader, env_variable_expands_when_passed)
{
	setenv("BRIG_TEST_BUILD_PATH", "/var/lib/builds", 1);
	assert_loads("env-pass BRIG_TEST_*\nworkspace ${env:BRIG_TEST_BUILD_PATH}\n");
	cr_assert_str_eq(cfg.workspace, "/var/lib/builds");
	unsetenv("BRIG_TEST_BUILD_PATH");
}

Test(profile_reader, env_variable_must_be_passed_first)
{
	setenv("BRIG_TEST_SECRET", "/x", 1);
	assert_fails("env-pass BRIG_TEST_*\nenv-pass !BRIG_TEST_SECRET\nro-bind ${env:BRIG_TEST_SECRET}\n", -EINVAL,
		     "brig: @/p:3: ro-bind: ${env:BRIG_TEST_SECRET}: the profile does not pass BRIG_TEST_SECRET "
		     "(add env-pass BRIG_TEST_SECRET before this line)\n");
	unsetenv("BRIG_TEST_SECRET");
}

Test(profile_reader, unset_env_variable_is_an_error)
{
	unsetenv("BRIG_TEST_NOPE");
	assert_fails("env-pass BRIG_TEST_NOPE\nro-bind ${env:BRIG_TEST_NOPE}\n", -EINVAL,
		     "brig: @/p:2: ro-bind: ${env:BRIG_TEST_NOPE} is not set (write ${env:BRIG_TEST_NOPE?} to skip "
		     "the line then)\n");
}

Test(profile_reader, optional_env_variable_skips_the_line)
{
	unsetenv("BRIG_TEST_NOPE");
	setenv("BRIG_TEST_EMPTY", "", 1);
	assert_loads("env-pass BRIG_TEST_*\nro-bind ${env:BRIG_TEST_NOPE?}\nbind ${env:BRIG_TEST_EMPTY?}:/x\n"
		     "tmpfs /t\n");
	cr_assert_eq(cfg.n_mounts, 1);
	cr_assert_str_eq(cfg.mounts[0].dst, "/t");
	unsetenv("BRIG_TEST_EMPTY");
}

/* `brig profile show` and `brig profile check`: the formatters are the
 * setters' inverses, the output says where each line came from, and it
 * reads back to the same policy. Run from the top of the checkout (the
 * shipped profiles are checked here). */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/cli/cli.h"
#include "brig/config/config.h"
#include "brig/cli/profile.h"
#include "helpers/unit.h"

UNIT_FILES_SUITE(profile_render);

static const char *put(const char *rel, const char *text)
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
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

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

#define ARGV(...) ((char *[]){ "show", __VA_ARGS__, NULL })

/* The show output of c, malloc'ed. */
static char *show(const struct brig_config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert_not_null(f);
	struct brig_err e = BRIG_ERR_INIT;
	int r = profile_show(c, f, &e);
	fclose(f);
	cr_assert_eq(r, 0, "show failed: %s", err_message(&e));
	return text;
}

/* Only the directives: what a re-read must reproduce exactly. */
static char *live_lines(const char *text)
{
	char *out = calloc(1, strlen(text) + 1), *o = out;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (*p != '#' && n) {
			memcpy(o, p, n);
			o += n;
			*o++ = '\n';
		}
		p += n + (p[n] == '\n');
	}
	return out;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* Shows c, checks the output as a profile, reads it back, shows that:
 * the directives must come out the same. */
static void assert_round_trip(const struct brig_config *c)
{
	char *first = show(c);
	put("shown", first);

	struct brig_reporter rep = { .keep_going = true };
	struct profile_opts o = { .report = &rep, .check = true };
	struct brig_config again;
	config_init(&again);
	strcpy(again.job_id, c->job_id);
	cr_assert_eq(profile_load_with(path_of("shown"), &again, &o), 0, "show output does not load: %s\n%s",
		     stderr_text(), first);
	cr_assert_eq(config_check(&again, &rep), 0, "show output does not check: %s\n%s", stderr_text(), first);
	cr_assert_eq(rep.problems, 0);
	char *second = show(&again);
	char *a = live_lines(first), *b = live_lines(second);
	cr_assert_str_eq(a, b, "first:\n%s\nsecond:\n%s", first, second);
	/* And a third time is a fixed point, comments included but the origins. */
	config_free(&again);
	free(first);
	free(second);
	free(a);
	free(b);
}

/* The table */

Test(profile_render, every_directive_has_a_formatter_and_a_default)
{
	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		cr_assert_not_null(o->dflt, "--%s", o->name);
		if (!o->early)
			cr_assert_not_null(o->show, "--%s has no formatter", o->name);
		cr_assert(o->list == CONFIG_SCALAR || o->metavar, "--%s: a repeatable flag", o->name);
	}
}

Test(profile_render, repeatable_options_say_so_in_their_help)
{
	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		cr_assert_eq(o->list != CONFIG_SCALAR, strstr(o->help, "(repeatable)") != NULL, "--%s", o->name);
	}
}

/* Formatters */

static char *shown_value(const char *directive, size_t i)
{
	const struct cli_option *o = cli_find(directive);
	cr_assert_not_null(o);
	char *v = NULL;
	cr_assert_eq(o->show(&cfg, i, &v), 0);
	return v;
}

static void assert_shows(char **argv, const char *directive, const char *want)
{
	config_free(&cfg);
	config_init(&cfg);
	cr_assert_eq(unit_parse_run(&cfg, argv), 0, "%s", stderr_text());
	char *v = shown_value(directive, 0);
	cr_assert_not_null(v, "%s shows nothing", directive);
	cr_assert_str_eq(v, want);
	free(v);
}

Test(profile_render, formatters_invert_the_setters)
{
	assert_shows(ARGV("--tmpfs", "/x:1536K"), "tmpfs", "/x:1536K");
	assert_shows(ARGV("--tmpfs", "/x:1048576"), "tmpfs", "/x:1M");
	assert_shows(ARGV("--tmpfs", "/x:1025"), "tmpfs", "/x:1025");
	assert_shows(ARGV("--tmpfs", "/x/"), "tmpfs", "/x");
	assert_shows(ARGV("--timeout", "90"), "timeout", "90s");
	assert_shows(ARGV("--timeout", "5400s"), "timeout", "90m");
	assert_shows(ARGV("--timeout", "120m"), "timeout", "2h");
	assert_shows(ARGV("--timeout", "1500ms"), "timeout", "1500ms");
	assert_shows(ARGV("--user", "5:5"), "user", "5");
	assert_shows(ARGV("--user", "5:6"), "user", "5:6");
	assert_shows(ARGV("--uid-range", "100000:65536"), "uid-range", "100000:65536");
	assert_shows(ARGV("--cap-add", "net_raw"), "cap-add", "CAP_NET_RAW");
	assert_shows(ARGV("--bind", "/a//b"), "bind", "/a/b");
	assert_shows(ARGV("--ro-bind", "/a:/b/"), "ro-bind", "/a:/b");
	assert_shows(ARGV("--bind", "/a:/b:c"), "bind", "/a:/b:c");
	assert_shows(ARGV("--sys"), "sys", "");
	assert_shows(ARGV("--status-fd", "0"), "status-fd", "0");
	assert_shows(ARGV("--env", "A=b=c"), "env", "A=b=c");
	assert_shows(ARGV("--net", "veth"), "net", "veth");
	assert_shows(ARGV("--net", "veth", "--net-pool", "10.1.0.0/16"), "net-pool", "10.1.0.0/16");
	assert_shows(ARGV("--net", "veth", "--net-pool6", "fd00:1::/48"), "net-pool6", "fd00:1::/48");
	assert_shows(ARGV("--net", "veth", "--egress-allow", "10.0.0.1:443/tcp"), "egress-allow", "10.0.0.1/32:443/tcp");
	assert_shows(ARGV("--net", "veth", "--egress-deny", "[2001:db8::/32]:1-9"), "egress-deny",
		     "[2001:db8::/32]:1-9");
	assert_shows(ARGV("--egress-default", "deny"), "egress-default", "deny");
}

Test(profile_render, round_trip_of_the_network_options)
{
	config_free(&cfg);
	config_init(&cfg);
	cr_assert_eq(unit_parse_run(&cfg, ARGV("--net", "veth", "--net-pool", "10.9.0.0/20", "--net-pool6", "fd00:9::/56",
					   "--egress-allow", "10.1.0.0/16:80-88/tcp", "--egress-deny", "0.0.0.0/0/udp",
					   "--egress-allow", "[fc00::/7]:53", "--egress-default", "deny")),
		     0, "%s", stderr_text());
	assert_round_trip(&cfg);
}

Test(profile_render, formatters_show_nothing_at_the_default)
{
	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		if (o->early)
			continue;
		char *v = (char *)"unset";
		cr_assert_eq(o->show(&cfg, 0, &v), 0);
		cr_assert_null(v, "--%s shows %s by default", o->name, v);
	}
}

Test(profile_render, list_formatters_show_only_their_own_elements)
{
	cr_assert_eq(unit_parse_run(&cfg, ARGV("--tmpfs", "/t", "--bind", "/b")), 0);
	char *v = shown_value("bind", 0);
	cr_assert_null(v);
	v = shown_value("tmpfs", 1);
	cr_assert_null(v);
	v = shown_value("bind", 1);
	cr_assert_str_eq(v, "/b");
	free(v);
}

/* The output */

Test(profile_render, lines_name_their_origin)
{
	put("inc/base.inc", "# base\ntmpfs /var/tmp\n");
	put("p", "include base\n\ntimeout 1h\nenv A=1\n");
	strcpy(cfg.job_id, "0123456789ab");
	cr_assert_eq(unit_parse_run(&cfg, ARGV("-p", (char *)path_of("p"), "-t", "5m", "--env", "A=2", "--sys")), 0);
	char *text = show(&cfg);
	cr_assert(strstr(text, expand_at("# @/inc/base.inc:2\ntmpfs /var/tmp\n")), "%s", text);
	cr_assert(strstr(text, expand_at("# @/p:4 (replaced by command line)\n# env A=1\n")), "%s", text);
	cr_assert(strstr(text, expand_at("# command line (overrides @/p:3)\ntimeout 5m\n")), "%s", text);
	cr_assert(strstr(text, "# command line\nenv A=2\n"), "%s", text);
	cr_assert(strstr(text, "# command line\nsys\n"), "%s", text);
	cr_assert(strstr(text, "# default: hostname = brig-JOBID\n"), "%s", text);
	cr_assert(strstr(text, "this rendering used 0123456789ab"), "%s", text);
	cr_assert_null(strstr(text, "timeout 1h"), "an overridden scalar is gone: %s", text);
	free(text);
}

Test(profile_render, every_directive_appears_once)
{
	cr_assert_eq(unit_parse_run(&cfg, ARGV("--hostname", "h", "--env", "A=1")), 0);
	char *text = show(&cfg);
	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		if (o->early)
			continue;
		char live[64], dflt[64];
		snprintf(live, sizeof live, "\n%s", o->name);
		snprintf(dflt, sizeof dflt, "# default: %s = ", o->name);
		const char *l = strstr(text, live), *d = strstr(text, dflt);
		cr_assert((l != NULL) != (d != NULL), "%s: live %p, default %p\n%s", o->name, (void *)l, (void *)d, text);
	}
	free(text);
}

Test(profile_render, dollar_signs_are_doubled)
{
	put("p", "env PS=$$ and $${HOME}\n");
	cr_assert_eq(profile_load(path_of("p"), &cfg), 0);
	cr_assert_str_eq(cfg.env_set[0], "PS=$ and ${HOME}");
	char *text = show(&cfg);
	cr_assert(has_line(text, "env PS=$$ and $${HOME}"), "%s", text);
	free(text);
	assert_round_trip(&cfg);
}

Test(profile_render, mount_order_survives)
{
	put("p", "tmpfs /a\nro-bind /srv:/a/b\nbind /data:/c\ntmpfs /c/d:4M\n");
	cr_assert_eq(profile_load(path_of("p"), &cfg), 0);
	char *text = show(&cfg);
	char *live = live_lines(text);
	free(text);
	cr_assert_str_eq(live, "tmpfs /a\nro-bind /srv:/a/b\nbind /data:/c\ntmpfs /c/d:4M\n");
	free(live);
}

static void assert_unwritable(char **argv, const char *want)
{
	cr_assert_eq(unit_parse_run(&cfg, argv), 0);
	FILE *f = fopen("/dev/null", "we");
	struct brig_err e = BRIG_ERR_INIT;
	cr_assert_eq(profile_show(&cfg, f, &e), -EINVAL);
	fclose(f);
	/* As the command prints it, once: a callee's own line would show. */
	err_log(&e);
	cr_assert_str_eq(stderr_text(), want);
}

Test(profile_render, values_that_a_profile_cannot_hold_are_refused)
{
	assert_unwritable(ARGV("--env", "A=1\nhostname evil"),
			  "brig: --env: cannot be written as a profile line: it holds a control character or is not UTF-8 text\n");
}

Test(profile_render, blank_edged_values_are_refused)
{
	assert_unwritable(ARGV("--env", "A=x "), "brig: --env: cannot be written as a profile line: it starts or ends with a blank\n");
}

Test(profile_render, origin_paths_cannot_break_out_of_their_comment)
{
	cr_assert_eq(mkdir(path_of("a\nsys"), 0700), 0);
	put("a\nsys/p", "hostname box\n");
	cr_assert_eq(profile_load(path_of("a\nsys/p"), &cfg), 0);
	char *text = show(&cfg);
	cr_assert(strstr(text, "/a?sys/p:1\nhostname box\n"), "%s", text);
	cr_assert_null(strstr(text, "\nsys\n"), "%s", text);
	free(text);
}

/* Round trips */

Test(profile_render, round_trip_of_every_kind_of_value)
{
	put("inc/frag.inc", "env-pass CI_*\ncap-add net_raw\n");
	put("p", "include frag\n"
		 "workspace /w\n"
		 "chdir ${WORKSPACE}/src\n"
		 "bind /data\n"
		 "ro-bind /opt/tools:/tools\n"
		 "tmpfs /var/tmp:512M\n"
		 "hostname ci-${JOB_ID}\n"
		 "rootfs /srv/rootfs\n"
		 "sys\n"
		 "uid-range 200000:65536\n"
		 "user 1000:100\n"
		 "pass-fd 5\n"
		 "env GREETING=h\xc3\xa9llo  w\xc3\xb6rld\n"
		 "env-pass HOME\n"
		 "seccomp strict\n"
		 "allow-userns\n"
		 "allow-ptrace\n"
		 "allow-io-uring\n"
		 "timeout 1500ms\n"
		 "status-file /run/s.jsonl\n"
		 "quiet\n");
	strcpy(cfg.job_id, "abcdef012345");
	cr_assert_eq(profile_load(path_of("p"), &cfg), 0, "%s", stderr_text());
	assert_round_trip(&cfg);
}

Test(profile_render, round_trip_with_command_line_overrides)
{
	put("p", "env A=1\ntmpfs /x\ntimeout 1h\nstatus-fd 1\n");
	cr_assert_eq(unit_parse_run(&cfg, ARGV("-p", (char *)path_of("p"), "-e", "A=2", "--bind", "/srv:/x", "-t", "2m",
					   "--env", "B=$")),
		     0);
	assert_round_trip(&cfg);
}

Test(profile_render, round_trip_of_the_defaults)
{
	assert_round_trip(&cfg);
}

static const char *const shipped[] = { "default",   "strict",           "permissive", "network",        "registries",
				       "buildkite", "buildkite-rootless", "gitlab",     "gitlab-rootless" };

Test(profile_render, round_trip_of_every_shipped_profile)
{
	/* A copy of the shipped directory with the site's forge beside it,
	 * as an operator's directory would have. */
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "cp -R profiles '%s/profiles' && mkdir '%s/profiles/site' && "
		 "echo 'egress-allow-host forge.example.com:443/tcp' > '%s/profiles/site/forge.inc'", dir, dir, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	/* What the Buildkite agent sets and the buildkite profile reads. */
	setenv("BUILDKITE_BUILD_PATH", "/var/lib/buildkite-agent/builds", 1);
	setenv("BUILDKITE_HOOKS_PATH", "/etc/buildkite-agent/hooks", 1);
	setenv("BUILDKITE_BIN_PATH", "/usr/bin", 1);
	for (size_t i = 0; i < sizeof shipped / sizeof *shipped; i++) {
		char path[600];
		snprintf(path, sizeof path, "%s/profiles/%s", dir, shipped[i]);
		config_free(&cfg);
		config_init(&cfg);
		cr_assert_eq(profile_load(path, &cfg), 0, "%s: %s", path, stderr_text());
		assert_round_trip(&cfg);
	}
	unsetenv("BUILDKITE_BUILD_PATH");
	unsetenv("BUILDKITE_HOOKS_PATH");
	unsetenv("BUILDKITE_BIN_PATH");
}

/* The commands */

Test(profile_render, check_passes_every_shipped_profile, .init = cr_redirect_stdout)
{
	for (size_t i = 0; i < sizeof shipped / sizeof *shipped; i++) {
		char path[64];
		snprintf(path, sizeof path, "profiles/%s", shipped[i]);
		char *argv[] = { "check", path, NULL };
		cr_assert_eq(profile_cmd_check(2, argv), 0, "%s", path);
	}
	fflush(stdout);
	cr_assert_stdout_eq_str("");
}

Test(profile_render, check_prints_problems_and_fails)
{
	cr_redirect_stdout();
	put("good", "sys\n");
	put("bad", "sys\nhostname bad_name\n");
	char *argv[] = { "check", (char *)path_of("good"), (char *)path_of("bad"), (char *)path_of("none"), NULL };
	cr_assert_eq(profile_cmd_check(4, argv), 1);
	fflush(stdout);
	char *want = expand_at("@/bad:2: hostname bad_name: expected letters, digits, '-' and '.', at most 64 characters\n"
			       "@/none: no such profile\n");
	cr_assert_stdout_eq_str(want);
}

Test(profile_render, check_finds_names_on_the_profile_path)
{
	cr_redirect_stdout();
	put("ci", "timeout 1h\n");
	setenv("BRIG_PROFILE_PATH", dir, 1);
	char *argv[] = { "check", "ci", NULL };
	cr_assert_eq(profile_cmd_check(2, argv), 0);
}

Test(profile_render, check_without_a_profile_is_a_usage_error)
{
	char *argv[] = { "check", NULL };
	cr_assert_eq(profile_cmd_check(1, argv), 1);
	cr_assert_str_eq(stderr_text(), "brig: profile check: no profile given (usage: brig profile check FILE|NAME...)\n");
}

Test(profile_render, show_command_applies_profile_then_options)
{
	cr_redirect_stdout();
	put("p", "timeout 1h\n");
	char *argv[] = { "show", (char *)path_of("p"), "--timeout", "2m", NULL };
	cr_assert_eq(profile_cmd_show(4, argv), 0, "%s", stderr_text());
	fflush(stdout);
	static char out[16384];
	size_t n = fread(out, 1, sizeof out - 1, cr_get_redirected_stdout());
	out[n] = '\0';
	cr_assert(strstr(out, "# command line (overrides "), "%s", out);
	cr_assert(has_line(out, "timeout 2m"), "%s", out);
}

Test(profile_render, show_command_refuses_a_command)
{
	char *argv[] = { "show", "--sys", "true", NULL };
	cr_assert_eq(profile_cmd_show(3, argv), 1);
	cr_assert_str_eq(stderr_text(),
			 "brig: profile show: unexpected argument true (usage: brig profile show [NAME|PATH] [OPTION...])\n");
}

Test(profile_render, show_command_reports_contradictions)
{
	char *argv[] = { "show", "--rootfs", "/", NULL };
	cr_assert_eq(profile_cmd_show(3, argv), 1);
	cr_assert_str_eq(stderr_text(), "brig: --rootfs /: the host's root cannot be a job's root\n");
}

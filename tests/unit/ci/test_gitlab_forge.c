/* The site's forge from the runner's config.toml: only [[runners]] urls,
 * host names only, written once and never over the operator's file. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/ci/gitlab_forge.h"
#include "helpers/unit.h"

static char dir[256];

static void setup(void)
{
	cr_redirect_stderr();
	unit_tmpdir(dir, sizeof dir);
}


static void teardown(void)
{
	unit_rmtree(dir);
}

TestSuite(gitlab_forge, .init = setup, .fini = teardown);

static const char *const runner_toml =
	"concurrent = 4\n"
	"url = \"https://top-level.example.com\"\n"
	"[session_server]\n"
	"  url = \"https://session.example.com\"\n"
	"\n"
	"[[runners]]\n"
	"  name = \"brig\"\n"
	"  url = \"https://GitLab.Example.com/\"   # the instance\n"
	"  token = \"glrt-secret\"\n"
	"  executor = \"custom\"\n"
	"  [runners.custom]\n"
	"    config_exec = \"/usr/local/bin/brig\"\n"
	"    url = \"https://custom-table.example.com\"\n"
	"[[runners]]\n"
	"  url = 'http://ci.example.org:8080/gitlab'\n"
	"  clone_url = \"https://user@clone.example.org\"\n"
	"[[runners]]\n"
	"  url = \"https://gitlab.example.com\"\n"
	"[[runners]]\n"
	"  url = \"https://192.0.2.7\"\n"
	"  clone_url = \"unix:///run/gitlab.sock\"\n";

Test(gitlab_forge, rules_come_from_runners_urls_only_each_once)
{
	char rules[GITLAB_FORGE_MAX][300];
	size_t n = 0;
	cr_assert_eq(gitlab_forge_rules(runner_toml, rules, GITLAB_FORGE_MAX, &n), 0);
	cr_assert_eq(n, 3, "%zu rules", n);
	cr_expect_str_eq(rules[0], "gitlab.example.com:443/tcp");
	cr_expect_str_eq(rules[1], "ci.example.org:8080/tcp");
	cr_expect_str_eq(rules[2], "clone.example.org:443/tcp");
	/* An address and a socket are named, not guessed at. */
	char *err = stderr_text();
	cr_expect(strstr(err, "https://192.0.2.7") && strstr(err, "unix:///run/gitlab.sock"), "%s", err);
}

Test(gitlab_forge, a_config_without_runners_gives_nothing)
{
	char rules[GITLAB_FORGE_MAX][300];
	size_t n = 9;
	cr_assert_eq(gitlab_forge_rules("url = \"https://x.example.com\"\n[runners.custom]\nurl = \"https://y.example.com\"\n",
					rules, GITLAB_FORGE_MAX, &n),
		     0);
	cr_assert_eq(n, 0);
}

Test(gitlab_forge, more_forges_than_room_is_an_error)
{
	char rules[2][300];
	size_t n = 0;
	cr_assert_eq(gitlab_forge_rules(runner_toml, rules, 2, &n), -E2BIG);
}

static char *put(const char *name, const char *text)
{
	char *p = NULL;
	cr_assert_geq(asprintf(&p, "%s/%s", dir, name), 0);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(gitlab_forge, the_file_is_written_once_and_never_over_the_operators)
{
	char *config = put("config.toml", runner_toml), site[600], forge[700];
	snprintf(site, sizeof site, "%s/site", dir);
	snprintf(forge, sizeof forge, "%s/forge.inc", site);
	struct brig_err e = BRIG_ERR_INIT;
	cr_assert_eq(gitlab_forge_write(site, config, &e), 1, "%s", err_message(&e));
	char *text = slurp(forge);
	cr_assert_not_null(text);
	cr_expect(strstr(text, "\negress-allow-host gitlab.example.com:443/tcp\n") &&
			  strstr(text, "\negress-allow-host ci.example.org:8080/tcp\n"),
		  "%s", text);
	cr_expect_null(strstr(text, "glrt-secret"), "the token was copied: %s", text);
	struct stat st;
	cr_assert_eq(stat(forge, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0644);
	/* The operator's edit stays. */
	FILE *f = fopen(forge, "w");
	fputs("egress-allow-host mine.example.com\n", f);
	fclose(f);
	cr_assert_eq(gitlab_forge_write(site, config, &e), 0);
	cr_expect_str_eq(slurp(forge), "egress-allow-host mine.example.com\n");
	free(config);
}

Test(gitlab_forge, no_url_or_no_config_says_what_to_write_and_writes_nothing)
{
	char *config = put("config.toml", "concurrent = 1\n"), site[600], forge[700];
	snprintf(site, sizeof site, "%s/site", dir);
	snprintf(forge, sizeof forge, "%s/forge.inc", site);
	struct brig_err e = BRIG_ERR_INIT;
	cr_assert_eq(gitlab_forge_write(site, config, &e), -ENOENT);
	cr_expect(strstr(err_message(&e), "no [[runners]] url") && strstr(err_message(&e), forge), "%s",
		  err_message(&e));
	cr_expect_neq(access(forge, F_OK), 0);
	char missing[700];
	snprintf(missing, sizeof missing, "%s/none.toml", dir);
	e = (struct brig_err)BRIG_ERR_INIT;
	cr_assert_eq(gitlab_forge_write(site, missing, &e), -ENOENT);
	cr_expect(strstr(err_message(&e), missing), "%s", err_message(&e));
	cr_expect_neq(access(forge, F_OK), 0);
	free(config);
}

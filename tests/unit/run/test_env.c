#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "brig/config/config.h"
#include "brig/run/env.h"

static struct brig_config cfg;
static char **env;

static void setup(void)
{
	config_init(&cfg);
	env = NULL;
}

static void teardown(void)
{
	env_free(env);
	/* The vectors point at static strings: only the arrays were allocated. */
	free(cfg.env_set);
	free(cfg.env_pass);
	cfg.env_set = cfg.env_pass = NULL;
	cfg.n_env_set = cfg.n_env_pass = 0;
	config_free(&cfg);
}

TestSuite(env, .init = setup, .fini = teardown);

#define HOST(...) ((char *[]){ __VA_ARGS__, NULL })

static void set_vector(char ***v, size_t *n, char **items)
{
	size_t k = 0;
	while (items[k])
		k++;
	*v = calloc(k + 1, sizeof **v);
	cr_assert_not_null(*v);
	memcpy(*v, items, k * sizeof *items);
	*n = k;
}

#define ENV_SET(...) set_vector(&cfg.env_set, &cfg.n_env_set, (char *[]){ __VA_ARGS__, NULL })
#define ENV_PASS(...) set_vector(&cfg.env_pass, &cfg.n_env_pass, (char *[]){ __VA_ARGS__, NULL })

static size_t count(char **v)
{
	size_t n = 0;
	while (v[n])
		n++;
	return n;
}

static void build(char **host)
{
	cr_assert_eq(env_build(&cfg, host, "/root", &env), 0);
	cr_assert_not_null(env);
}

/* env_build: the defaults */

Test(env, empty_host_gives_path_home_and_lang)
{
	build(HOST(NULL));
	cr_assert_eq(count(env), 3);
	cr_assert_str_eq(env[0], "PATH=" ENV_DEFAULT_PATH);
	cr_assert_str_eq(env[1], "HOME=/root");
	cr_assert_str_eq(env[2], "LANG=C.UTF-8");
}

Test(env, null_host_is_an_empty_host)
{
	build(NULL);
	cr_assert_eq(count(env), 3);
	cr_assert_str_eq(env_get(env, "HOME"), "/root");
}

Test(env, home_is_the_one_given)
{
	cr_assert_eq(env_build(&cfg, HOST("HOME=/host/home"), "/home/job", &env), 0);
	cr_assert_str_eq(env_get(env, "HOME"), "/home/job");
}

Test(env, term_and_lang_come_from_the_host)
{
	build(HOST("TERM=xterm-256color", "LANG=de_DE.UTF-8"));
	cr_assert_eq(count(env), 4);
	cr_assert_str_eq(env_get(env, "TERM"), "xterm-256color");
	cr_assert_str_eq(env_get(env, "LANG"), "de_DE.UTF-8");
}

Test(env, nothing_else_comes_from_the_host)
{
	build(HOST("PATH=/evil/bin", "HOME=/host", "CI_JOB_TOKEN=secret", "AWS_SECRET_ACCESS_KEY=x",
		   "LD_PRELOAD=/evil.so", "SSH_AUTH_SOCK=/run/agent"));
	cr_assert_eq(count(env), 3);
	cr_assert_str_eq(env_get(env, "PATH"), ENV_DEFAULT_PATH);
	cr_assert_str_eq(env_get(env, "HOME"), "/root");
	cr_assert_null(env_get(env, "CI_JOB_TOKEN"));
	cr_assert_null(env_get(env, "LD_PRELOAD"));
	cr_assert_null(env_get(env, "SSH_AUTH_SOCK"));
}

/* --env-pass */

Test(env, env_pass_copies_a_named_variable)
{
	ENV_PASS("CI_COMMIT_SHA");
	build(HOST("CI_COMMIT_SHA=abc123", "CI_JOB_TOKEN=secret"));
	cr_assert_str_eq(env_get(env, "CI_COMMIT_SHA"), "abc123");
	cr_assert_null(env_get(env, "CI_JOB_TOKEN"));
	cr_assert_eq(count(env), 4);
}

Test(env, env_pass_name_is_not_a_prefix)
{
	ENV_PASS("CI");
	build(HOST("CI_JOB_TOKEN=secret", "CI=true"));
	cr_assert_str_eq(env_get(env, "CI"), "true");
	cr_assert_null(env_get(env, "CI_JOB_TOKEN"));
}

Test(env, env_pass_pattern_copies_every_match)
{
	ENV_PASS("BUILD_*");
	build(HOST("BUILD_ID=7", "OTHER=1", "BUILD_URL=http://ci/7", "XBUILD_Y=2"));
	cr_assert_eq(count(env), 5);
	cr_assert_str_eq(env_get(env, "BUILD_ID"), "7");
	cr_assert_str_eq(env_get(env, "BUILD_URL"), "http://ci/7");
	cr_assert_null(env_get(env, "OTHER"));
	cr_assert_null(env_get(env, "XBUILD_Y"));
}

Test(env, env_pass_of_an_unset_variable_adds_nothing)
{
	ENV_PASS("NOT_SET", "NONE_*");
	build(HOST("TERM=dumb"));
	cr_assert_eq(count(env), 4);
	cr_assert_null(env_get(env, "NOT_SET"));
}

Test(env, env_pass_keeps_an_empty_value)
{
	ENV_PASS("EMPTY");
	build(HOST("EMPTY="));
	cr_assert_str_eq(env_get(env, "EMPTY"), "");
}

Test(env, env_pass_keeps_equals_signs_in_the_value)
{
	ENV_PASS("OPTS");
	build(HOST("OPTS=a=b=c"));
	cr_assert_str_eq(env_get(env, "OPTS"), "a=b=c");
}

Test(env, env_pass_skips_host_entries_without_equals)
{
	ENV_PASS("*");
	build(HOST("BROKEN", "GOOD=1"));
	cr_assert_str_eq(env_get(env, "GOOD"), "1");
	for (char **e = env; *e; e++)
		cr_assert_neq(strcmp(*e, "BROKEN"), 0);
}

Test(env, env_pass_may_replace_a_default)
{
	ENV_PASS("PATH");
	build(HOST("PATH=/opt/tools/bin:/usr/bin"));
	cr_assert_eq(count(env), 3);
	cr_assert_str_eq(env_get(env, "PATH"), "/opt/tools/bin:/usr/bin");
}

/* --env */

Test(env, env_adds_a_variable)
{
	ENV_SET("CI=true");
	build(HOST(NULL));
	cr_assert_eq(count(env), 4);
	cr_assert_str_eq(env[3], "CI=true");
}

Test(env, env_replaces_a_default_in_place)
{
	ENV_SET("PATH=/custom/bin");
	build(HOST(NULL));
	cr_assert_eq(count(env), 3);
	cr_assert_str_eq(env[0], "PATH=/custom/bin");
}

Test(env, env_overrides_a_passed_variable)
{
	ENV_PASS("MODE");
	ENV_SET("MODE=job");
	build(HOST("MODE=host"));
	cr_assert_str_eq(env_get(env, "MODE"), "job");
}

Test(env, later_env_wins)
{
	ENV_SET("A=1", "B=2", "A=3");
	build(HOST(NULL));
	cr_assert_eq(count(env), 5);
	cr_assert_str_eq(env_get(env, "A"), "3");
	cr_assert_str_eq(env_get(env, "B"), "2");
}

Test(env, names_sharing_a_prefix_are_distinct)
{
	ENV_SET("AB=1", "A=2");
	build(HOST(NULL));
	cr_assert_str_eq(env_get(env, "AB"), "1");
	cr_assert_str_eq(env_get(env, "A"), "2");
}

Test(env, result_does_not_alias_the_config)
{
	ENV_SET("A=1");
	build(HOST(NULL));
	cr_assert_neq(env[3], cfg.env_set[0]);
}

/* env_get */

Test(env_get, finds_a_value)
{
	cr_assert_str_eq(env_get(HOST("A=1", "PATH=/bin"), "PATH"), "/bin");
}

Test(env_get, missing_name_is_null)
{
	cr_assert_null(env_get(HOST("A=1"), "B"));
}

Test(env_get, prefix_of_a_name_is_not_that_name)
{
	cr_assert_null(env_get(HOST("PATHS=/x"), "PATH"));
	cr_assert_null(env_get(HOST("PATH=/x"), "PAT"));
}

Test(env_get, entry_without_equals_is_not_a_value)
{
	cr_assert_null(env_get(HOST("PATH"), "PATH"));
}

Test(env_get, first_match_wins)
{
	cr_assert_str_eq(env_get(HOST("A=1", "A=2"), "A"), "1");
}

Test(env_get, null_vector_is_empty)
{
	cr_assert_null(env_get(NULL, "A"));
}

/* --env-pass !NAME */

Test(env, negated_name_wins_over_a_pattern_in_any_order)
{
	ENV_PASS("!BUILDKITE_AGENT_TOKEN", "BUILDKITE_*");
	build(HOST("BUILDKITE_AGENT_TOKEN=registration", "BUILDKITE_AGENT_ACCESS_TOKEN=job", "BUILDKITE_X=1"));
	cr_assert_null(env_get(env, "BUILDKITE_AGENT_TOKEN"));
	cr_assert_str_eq(env_get(env, "BUILDKITE_AGENT_ACCESS_TOKEN"), "job");
	cr_assert_str_eq(env_get(env, "BUILDKITE_X"), "1");
}

Test(env, negated_pattern_refuses_a_family)
{
	ENV_PASS("CI_*", "!CI_SECRET_*");
	build(HOST("CI_SECRET_A=x", "CI_SECRET_B=y", "CI_OK=1"));
	cr_assert_null(env_get(env, "CI_SECRET_A"));
	cr_assert_null(env_get(env, "CI_SECRET_B"));
	cr_assert_str_eq(env_get(env, "CI_OK"), "1");
}

Test(env, negation_alone_passes_nothing)
{
	ENV_PASS("!HOME");
	build(HOST("FOO=1", "HOME=/home/x"));
	cr_assert_null(env_get(env, "FOO"));
	cr_assert_str_eq(env_get(env, "HOME"), "/root");
}

/* The runner's request parser against well-formed and hostile input: every
 * refusal is -EINVAL with a message, never a crash or a partial request. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brig/ci/gha_input.h"

static struct gha_request req;
static struct brig_err e;

static void teardown(void) { gha_request_free(&req); }
TestSuite(gha_input, .fini = teardown);

static int parse(const char *text)
{
	e = (struct brig_err)BRIG_ERR_INIT;
	return gha_input_parse(text, strlen(text), &req, &e);
}

#define W "/r/_work"
#define PREPARE                                                                                                        \
	"{\"command\":\"prepare_job\",\"responseFile\":\"" W "/_temp/_runner_hook_responses/g.json\",\"args\":{"        \
	"\"container\":{\"image\":\"debian:bookworm\",\"dockerfile\":null,\"entryPointArgs\":[],\"entryPoint\":null,"   \
	"\"workingDirectory\":\"/__w/r/r\",\"createOptions\":\"--cpus 1\",\"registry\":{\"username\":\"u\","            \
	"\"password\":\"p\",\"serverUrl\":\"s\"},\"environmentVariables\":{\"HOME\":\"/github/home\",\"Q\":\"a\\\"b$\\\\c\\nd\"},"  \
	"\"portMappings\":[\"8080:80\"],\"systemMountVolumes\":[{\"userProvidedValue\":null,\"sourceVolumePath\":\"" W  \
	"\",\"targetVolumePath\":\"/__w\",\"readOnly\":false}],\"userMountVolumes\":[{\"userProvidedValue\":\"/d\","    \
	"\"sourceVolumePath\":null,\"targetVolumePath\":\"/d\",\"readOnly\":true}]},\"services\":[]},\"state\":null}\n"

Test(gha_input, prepare_job_as_the_runner_sends_it)
{
	cr_assert_eq(parse(PREPARE), 0, "%s", e.msg);
	cr_expect_eq(req.command, GHA_PREPARE_JOB);
	cr_expect_str_eq(req.response_file, W "/_temp/_runner_hook_responses/g.json");
	cr_assert_not_null(req.container);
	cr_expect_str_eq(req.container->image, "debian:bookworm");
	cr_expect_null(req.container->dockerfile);
	cr_expect_str_eq(req.container->create_options, "--cpus 1");
	cr_assert_eq(req.container->n_env, 2);
	cr_expect_str_eq(req.container->env[1].value, "a\"b$\\c\nd");
	cr_assert_eq(req.container->n_system, 1);
	cr_expect_str_eq(req.container->system[0].source, W);
	cr_expect_str_eq(req.container->system[0].target, "/__w");
	cr_assert_eq(req.container->n_user, 1);
	cr_expect_null(req.container->user[0].source);
	cr_expect(req.container->user[0].read_only);
	cr_expect_eq(req.container->n_ports, 1);
	cr_expect_eq(req.n_services, 0);
	cr_expect_not(req.has_state);
	cr_expect_null(req.job);
}

Test(gha_input, the_last_line_is_the_request)
{
	cr_assert_eq(parse("garbage\n{\"command\":\"cleanup_job\",\"responseFile\":null,\"args\":{},\"state\":null}\n\n"), 0,
		     "%s", e.msg);
	cr_expect_eq(req.command, GHA_CLEANUP_JOB);
}

Test(gha_input, script_step_with_array_and_legacy_prepend_path)
{
	const char *a = "{\"command\":\"run_script_step\",\"responseFile\":\"/x\",\"args\":{\"entryPoint\":\"sh\","
			"\"entryPointArgs\":[\"-e\",\"/__w/_temp/s.sh\"],\"environmentVariables\":{\"A\":\"1\"},"
			"\"prependPath\":[\"/new\",\"/old\"],\"workingDirectory\":\"/__w/r\"},"
			"\"state\":{\"brig\":{\"job\":\"0123456789ab\"}}}";
	cr_assert_eq(parse(a), 0, "%s", e.msg);
	cr_expect_str_eq(req.script.entry_point, "sh");
	cr_assert_eq(req.script.n_entry_point_args, 2);
	cr_assert_eq(req.script.n_prepend_path, 2);
	cr_expect_str_eq(req.script.prepend_path[0], "/new");
	cr_expect_str_eq(req.job, "0123456789ab");
	gha_request_free(&req);
	const char *b = "{\"command\":\"run_script_step\",\"args\":{\"entryPoint\":\"sh\",\"entryPointArgs\":[],"
			"\"prependPath\":\"/a:/b::/c\"},\"state\":{\"brig\":{\"job\":\"0123456789ab\"}}}";
	cr_assert_eq(parse(b), 0, "%s", e.msg);
	cr_assert_eq(req.script.n_prepend_path, 3);
	cr_expect_str_eq(req.script.prepend_path[2], "/c");
	cr_expect_null(req.response_file);
}

static void refused(const char *text, const char *needle)
{
	gha_request_free(&req);
	cr_assert_eq(parse(text), -EINVAL, "accepted: %s", text);
	cr_expect(strstr(e.msg, needle), "for %s: message '%s' lacks '%s'", text, e.msg, needle);
	cr_expect_null(req.container, "a refused request keeps nothing");
}

Test(gha_input, hostile_requests_are_refused_with_a_reason)
{
	refused("", "no request");
	refused("\n\n  \n", "no request");
	refused("not json", "not JSON");
	refused("{\"command\":\"prepare_job\"", "not JSON");
	refused("{\"command\":\"cleanup_job\"} trailing", "not JSON");
	refused("[1,2]", "not a JSON object");
	refused("{\"command\":\"rm_rf\"}", "unknown command 'rm_rf'");
	refused("{\"command\":42}", "command");
	refused("{}", "no command");
	refused("{\"command\":\"prepare_job\",\"args\":[]}", "args");
	refused("{\"command\":\"prepare_job\",\"args\":{\"container\":\"x\"}}", "args.container");
	refused("{\"command\":\"prepare_job\",\"args\":{\"container\":{\"image\":7}}}", "args.container.image");
	refused("{\"command\":\"prepare_job\",\"args\":{\"container\":{\"image\":\"a\\u0000b\"}}}", "NUL");
	refused("{\"command\":\"prepare_job\",\"args\":{\"container\":{\"environmentVariables\":[]}}}", "environmentVariables");
	refused("{\"command\":\"prepare_job\",\"args\":{\"container\":{\"environmentVariables\":{\"A\":{}}}}}", "A");
	refused("{\"command\":\"prepare_job\",\"args\":{\"container\":{\"systemMountVolumes\":[{\"sourceVolumePath\":\"/a\"}]}}}",
		"targetVolumePath");
	refused("{\"command\":\"prepare_job\",\"args\":{\"container\":{\"userMountVolumes\":[{\"targetVolumePath\":\"/a\","
		"\"readOnly\":\"yes\"}]}}}", "readOnly");
	refused("{\"command\":\"prepare_job\",\"args\":{\"container\":{\"registry\":\"secret\"}}}", "registry");
	refused("{\"command\":\"prepare_job\",\"args\":{\"services\":{}}}", "services");
	refused("{\"command\":\"run_script_step\",\"args\":{\"entryPoint\":null}}", "entryPoint");
	refused("{\"command\":\"run_script_step\",\"args\":{\"entryPoint\":\"sh\",\"entryPointArgs\":[1]}}", "entryPointArgs[0]");
	refused("{\"command\":\"run_script_step\",\"args\":{\"entryPoint\":\"sh\",\"prependPath\":7}}", "prependPath");
	refused("{\"command\":\"cleanup_job\",\"state\":{\"brig\":{\"job\":\"../../etc\"}}}", "not a brig job id");
	refused("{\"command\":\"cleanup_job\",\"state\":{\"brig\":{\"job\":\"0123456789AB\"}}}", "not a brig job id");
	refused("{\"command\":\"cleanup_job\",\"state\":{\"brig\":{\"job\":\"0123456789abc\"}}}", "not a brig job id");
	refused("\xff\xfe{}", "not JSON");
	refused("{\"command\":\"cleanup_job\",\"x\":\"\xc3\x28\"}", "not JSON");
}

Test(gha_input, a_foreign_state_is_not_a_job)
{
	cr_assert_eq(parse("{\"command\":\"cleanup_job\",\"args\":{},\"state\":{\"network\":\"github_network_1\"}}"), 0, "%s", e.msg);
	cr_expect(req.has_state);
	cr_expect_null(req.job);
}

Test(gha_input, nesting_and_sizes_are_bounded)
{
	size_t depth = 100000;
	char *deep = malloc(2 * depth + 64);
	cr_assert_not_null(deep);
	char *p = deep + sprintf(deep, "{\"command\":\"cleanup_job\",\"args\":");
	for (size_t i = 0; i < depth; i++)
		*p++ = '[';
	for (size_t i = 0; i < depth; i++)
		*p++ = ']';
	strcpy(p, "}");
	refused(deep, "not JSON");
	free(deep);
	/* More list entries than any job has. */
	size_t n = GHA_LIST_MAX + 1;
	char *big = malloc(n * 4 + 256);
	cr_assert_not_null(big);
	p = big + sprintf(big, "{\"command\":\"run_script_step\",\"args\":{\"entryPoint\":\"sh\",\"entryPointArgs\":[");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s\"a\"", i ? "," : "");
	strcpy(p, "]}}");
	refused(big, "more than");
	free(big);
	cr_assert_eq(gha_input_parse("{}", GHA_INPUT_MAX + 1, &req, &e), -EINVAL);
	cr_expect(strstr(e.msg, "larger than"), "%s", e.msg);
}

/* Words */

static char **words;
static size_t n_words;

static void split_ok(const char *s, size_t n, ...)
{
	gha_words_free(words);
	words = NULL;
	cr_assert_eq(gha_split_words(s, &words, &n_words), 0, "%s", s);
	cr_assert_eq(n_words, n, "%s: %zu words", s, n_words);
	va_list ap;
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(words[i], va_arg(ap, const char *), "%s: word %zu", s, i);
	va_end(ap);
	cr_expect_null(words[n]);
}

Test(gha_input, words_split_like_a_shell_without_expansion)
{
	split_ok("", 0);
	split_ok("   ", 0);
	split_ok("-e /__w/_temp/x.sh", 2, "-e", "/__w/_temp/x.sh");
	split_ok("\"/__w/_actions/o/r/v1/dist/index.js\"", 1, "/__w/_actions/o/r/v1/dist/index.js");
	split_ok("  a  'b c'  \"d \\\" e\" f\\ g $HOME `x` ", 6, "a", "b c", "d \" e", "f g", "$HOME", "`x`");
	split_ok("'it''s' \"\" ''", 3, "its", "", "");
	split_ok("\"a\\nb\"", 1, "a\\nb");
	gha_words_free(words);
	words = NULL;
	cr_expect_eq(gha_split_words("'open", &words, &n_words), -EINVAL);
	cr_expect_eq(gha_split_words("\"open", &words, &n_words), -EINVAL);
	cr_expect_eq(gha_split_words("end\\", &words, &n_words), -EINVAL);
	cr_expect_null(words);
}

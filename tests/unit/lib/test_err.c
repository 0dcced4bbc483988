/* The error convention (brig/lib/err.h), the exit statuses
 * (brig/lib/exit.h) and the JSON writer (brig/lib/json.h). */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "brig/lib/err.h"
#include "brig/lib/exit.h"
#include "brig/lib/json.h"
#include "helpers/unit.h"

Test(err, set_returns_the_code_and_keeps_the_sentence)
{
	struct brig_err e = BRIG_ERR_INIT;
	cr_assert_eq(err_set(&e, -EPERM, "net veth: %s", "no root"), -EPERM);
	cr_assert_eq(e.code, -EPERM);
	cr_assert_str_eq(err_message(&e), "net veth: no root");
}

Test(err, at_names_what_the_detail_and_the_errno)
{
	struct brig_err e = BRIG_ERR_INIT;
	cr_assert_eq(err_at(&e, -ENOENT, "/src", "cannot open"), -ENOENT);
	cr_assert_str_eq(err_message(&e), "/src: cannot open: No such file or directory");
	err_at(&e, -EACCES, "/etc", NULL);
	cr_assert_str_eq(err_message(&e), "/etc: Permission denied");
}

Test(err, a_bare_code_prints_as_strerror)
{
	struct brig_err e = { .code = -EINVAL };
	cr_assert_str_eq(err_message(&e), strerror(EINVAL));
}

Test(err, a_null_error_only_returns_the_code)
{
	cr_assert_eq(err_set(NULL, -EIO, "x"), -EIO);
	cr_assert_eq(err_at(NULL, -EIO, "x", "y"), -EIO);
}

Test(err, log_prints_one_line, .init = cr_redirect_stderr)
{
	struct brig_err e = BRIG_ERR_INIT;
	err_at(&e, -ENOENT, "/x", "cannot open");
	err_log(&e);
	cr_assert_str_eq(stderr_text(), "brig: /x: cannot open: No such file or directory\n");
}

Test(exit, codes_follow_the_shell_rule)
{
	cr_assert_eq(exit_code_of(3 << 8), 3);     /* exited 3 */
	cr_assert_eq(exit_code_of(SIGKILL), 137);  /* killed */
	cr_assert_eq(exit_code_of(SIGTERM), 143);
	cr_assert_eq(exit_code_of_exec(ENOENT), 127);
	cr_assert_eq(exit_code_of_exec(ENOTDIR), 127);
	cr_assert_eq(exit_code_of_exec(EACCES), 126);
	cr_assert_eq(EXIT_BRIG, 125);
	cr_assert_eq(EXIT_TIMEOUT, 124);
}

Test(json, line_is_plain_and_ends_in_a_newline)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string("/a/b"));
	json_object_object_add(o, "ms", json_decimal(1.5));
	char *line = json_line(o);
	cr_assert_str_eq(line, "{\"path\":\"/a/b\",\"ms\":1.500}\n");
	free(line);
}

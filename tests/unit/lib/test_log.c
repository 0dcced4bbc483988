#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <string.h>

#include "brig/lib/log.h"
#include "helpers/unit.h"

TestSuite(log, .init = cr_redirect_stderr);

Test(log, error_is_one_prefixed_line)
{
	log_error("--bind %s: %s", "/nope", "No such file or directory");
	cr_assert_str_eq(stderr_text(), "brig: --bind /nope: No such file or directory\n");
}

Test(log, warning_is_one_prefixed_line)
{
	log_warn("cannot write the status: %s", "Broken pipe");
	cr_assert_str_eq(stderr_text(), "brig: cannot write the status: Broken pipe\n");
}

Test(log, quiet_silences_warnings)
{
	brig_log_quiet = true;
	log_warn("not shown");
	log_error("shown");
	cr_assert_str_eq(stderr_text(), "brig: shown\n");
}

Test(log, messages_are_separate_lines)
{
	log_error("one");
	log_warn("two");
	cr_assert_str_eq(stderr_text(), "brig: one\nbrig: two\n");
}

Test(log, overlong_message_is_cut_but_stays_one_line)
{
	static char msg[3000];
	memset(msg, 'x', sizeof msg - 1);
	log_error("%s", msg);
	char *text = stderr_text();
	size_t len = strlen(text);
	cr_assert_gt(len, 512);
	cr_assert_lt(len, sizeof msg);
	cr_assert_eq(strncmp(text, "brig: xxx", 9), 0);
	cr_assert_eq(text[len - 1], '\n');
	cr_assert_eq(strchr(text, '\n'), text + len - 1, "more than one line");
	cr_assert_eq(strspn(text + 6, "x"), len - 7);
}

/* The shared unit-test helpers of unit.h. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "brig/config/config.h"
#include "brig/lib/err.h"
#include "unit.h"

char *stderr_text(void)
{
	static char text[16384];
	fflush(stderr);
	size_t n = fread(text, 1, sizeof text - 1, cr_get_redirected_stderr());
	text[n] = '\0';
	return text;
}

void unit_tmpdir(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, len, "%s/brig-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
}

int unit_config_finish(struct brig_config *c)
{
	struct brig_err e = BRIG_ERR_INIT;
	int r = config_finish(c, &e);
	if (r < 0)
		err_log(&e);
	return r;
}

void unit_need_openat2(void)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC };
	long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
	if (fd < 0 && errno == ENOSYS)
		cr_skip_test("openat2(2) answers ENOSYS here (an old kernel, or a sandbox's policy)");
	if (fd >= 0)
		close((int)fd);
}

/* The shared unit-test helpers of unit.h. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>

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

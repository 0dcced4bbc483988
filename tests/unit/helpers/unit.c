/* The shared unit-test helpers of unit.h. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/cli/cli.h"
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

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

/* The directories this test process made. A skipped test (cr_skip_test)
 * never reaches its suite's .fini, so what the fixture made is removed
 * here, when the test's process exits; one already removed is gone. */
static char made[8][300];
static size_t n_made;

static void remove_made(void)
{
	for (size_t i = 0; i < n_made; i++)
		if (access(made[i], F_OK) == 0)
			nftw(made[i], remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

void unit_tmpdir(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, len, "%s/brig-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(dir));
	if (n_made == 0)
		atexit(remove_made);
	if (n_made < sizeof made / sizeof made[0])
		snprintf(made[n_made++], sizeof made[0], "%s", dir);
}

void unit_rmtree(const char *dir)
{
	if (dir[0])
		cr_expect_eq(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0, "cannot remove %s", dir);
}

void unit_files_setup(struct brig_config *c, char *dir, size_t len)
{
	cr_redirect_stderr();
	config_init(c);
	unit_tmpdir(dir, len);
}

void unit_files_teardown(struct brig_config *c, const char *dir)
{
	config_free(c);
	unit_rmtree(dir);
}

const char *unit_path(const char *dir, const char *rel)
{
	static char paths[UNIT_PATHS][1400];
	static unsigned next;
	char *p = paths[next++ % UNIT_PATHS];
	snprintf(p, sizeof paths[0], "%s/%.1000s", dir, rel);
	return p;
}

int unit_parse_run(struct brig_config *c, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return cli_parse_run(argc, argv, c);
}

int unit_config_finish(struct brig_config *c)
{
	struct brig_err e = BRIG_ERR_INIT;
	int r = config_finish(c, &e);
	if (r < 0)
		err_log(&e);
	return r;
}

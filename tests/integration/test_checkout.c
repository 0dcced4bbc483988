/* A brig in the build directory of a checkout finds the checkout's
 * profiles by name; the same binary anywhere else does not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

BRIG_SUITE(checkout);

static int run_default(const char *brig, char **out)
{
	char cmd[2048];
	int status = 0;
	snprintf(cmd, sizeof cmd, "env -u BRIG_PROFILE_PATH '%s' profile show default 2>&1", brig);
	*out = command_output(cmd, &status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(checkout, build_tree_brig_finds_the_checkouts_profiles)
{
	char *d = tmpdir_make("checkout");
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "set -e; cd '%s'; mkdir -p co/src co/build co/profiles elsewhere; : > co/src/main.c; : > co/Makefile; "
		 "printf 'timeout 42m\\n' > co/profiles/default; cp '%s' co/build/brig; cp '%s' elsewhere/brig",
		 d, getenv("BRIG"), getenv("BRIG"));
	int status = 0;
	command_output(cmd, &status);
	cr_assert_eq(status, 0, "%s", cmd);
	char *out = NULL, path[1024];
	snprintf(path, sizeof path, "%s/co/build/brig", d);
	cr_assert_eq(run_default(path, &out), 0, "%s", out);
	cr_expect(strstr(out, "timeout 42m"), "not the checkout's profile:\n%s", out);
	snprintf(path, sizeof path, "%s/elsewhere/brig", d);
	int rc = run_default(path, &out);
	/* Unless this host has brig installed with its profiles. */
	if (rc == 0)
		cr_expect_null(strstr(out, "timeout 42m"), "a copy outside the checkout used it:\n%s", out);
	else
		cr_expect(strstr(out, "default: no such profile"), "%s", out);
}

/* Which directories of the caller's PATH the job's PATH leaves out. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/run/env.h"
#include "brig/run/path_warn.h"
#include "helpers/unit.h"

static char dir[256], out[1024];

static void setup(void)
{
	unit_tmpdir(dir, sizeof dir);
}

static void teardown(void)
{
	unit_rmtree(dir);
}

TestSuite(path_warn, .init = setup, .fini = teardown);

Test(path_warn, the_default_path_is_seen)
{
	cr_assert_eq(path_unseen(ENV_DEFAULT_PATH, ENV_DEFAULT_PATH, out, sizeof out), 0);
	cr_assert_str_eq(out, "");
}

Test(path_warn, a_directory_of_the_callers_only)
{
	char caller[1024];
	snprintf(caller, sizeof caller, "%s:/usr/bin:%s", dir, dir);
	cr_assert_eq(path_unseen(caller, ENV_DEFAULT_PATH, out, sizeof out), 1, "%s", out);
	cr_assert_str_eq(out, dir);
	/* The job's PATH has it. */
	char job[1024];
	snprintf(job, sizeof job, "%s:/usr/bin", dir);
	cr_assert_eq(path_unseen(caller, job, out, sizeof out), 0, "%s", out);
}

/* The same directory under another name (a link, a trailing slash). */
Test(path_warn, resolved_names_compare_equal)
{
	char caller[1024];
	snprintf(caller, sizeof caller, "%s/", dir);
	cr_assert_eq(path_unseen(caller, dir, out, sizeof out), 0, "%s", out);
}

/* Entries that are no directory, or relative, are nobody's toolchain. */
Test(path_warn, missing_and_relative_entries_are_skipped)
{
	cr_assert_eq(path_unseen("/nonexistent/bin:bin:.::", ENV_DEFAULT_PATH, out, sizeof out), 0, "%s", out);
	cr_assert_eq(path_unseen(NULL, ENV_DEFAULT_PATH, out, sizeof out), 0);
	char caller[1024];
	snprintf(caller, sizeof caller, "%s", dir);
	cr_assert_eq(path_unseen(caller, NULL, out, sizeof out), 1);
}

/* A short buffer is cut, the count stays right. */
Test(path_warn, short_buffer)
{
	char caller[1024], small[8];
	snprintf(caller, sizeof caller, "%s", dir);
	cr_assert_eq(path_unseen(caller, "/usr/bin", small, sizeof small), 1);
	cr_assert_eq(strlen(small), sizeof small - 1);
}

Test(path_warn, an_entry_far_down_a_long_job_path_is_seen)
{
	/* 200 entries before the caller's directory: every one is looked at. */
	char job[8192] = "";
	size_t used = 0;
	for (int i = 0; i < 200; i++)
		used += (size_t)snprintf(job + used, sizeof job - used, "/nonexistent/%d:", i);
	snprintf(job + used, sizeof job - used, "%s", dir);
	cr_assert_eq(path_unseen(dir, job, out, sizeof out), 0, "%s", out);
}

/* Exit status of `brig run`: the job's own code, 128+N for a signal, and
 * signals given to brig reaching the job. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

BRIG_SUITE(exit);

static void expect_status(const char *script, int want)
{
	struct brig_result r;
	BRIG(&r, "run", "--", "/bin/sh", "-c", script);
	cr_assert_eq(r.status, want, "job `%s` should give %d" RESULT_FMT, script, want, RESULT_ARGS(r));
}

Test(exit, code_0)
{
	expect_status("exit 0", 0);
}

Test(exit, code_1)
{
	struct brig_result r;
	BRIG(&r, "run", "--", "/bin/false");
	cr_assert_eq(r.status, 1, "/bin/false should give 1" RESULT_FMT, RESULT_ARGS(r));
}

Test(exit, code_42)
{
	expect_status("exit 42", 42);
}

/* The shell is not PID 1 (brig's init is), so kill -9 of itself works and
 * brig reports it the shell's way. */
Test(exit, killed_by_sigkill_137)
{
	expect_status("kill -9 $$", 137);
}

/* Runs a job that traps sig, waits until it is ready, signals brig (not the
 * job) and checks that the trap ran and decided the exit status. */
/* Sends sig to brig once the job's trap is set; returns brig's status. */
static int signal_reaches_trap(int sig, const char *name, int code)
{
	char script[256];
	snprintf(script, sizeof script,
		 "trap 'echo trapped-%s; exit %d' %s; echo ready; while :; do sleep 0.1; done", name, code, name);
	struct brig_proc p;
	struct brig_result r;
	brig_start(&p, NULL, BRIG_ARGS("run", "--", "/bin/sh", "-c", script, harness_marker()));
	bool ready = brig_wait_stdout(&p, "ready\n", 10);
	if (ready)
		kill(p.pid, sig);
	brig_finish(&p, &r, 10);
	cr_assert(ready, "the job never printed ready" RESULT_FMT, RESULT_ARGS(r));

	char want[64];
	snprintf(want, sizeof want, "trapped-%s", name);
	cr_assert(strstr(r.out, want), "SIG%s to brig did not run the job's trap" RESULT_FMT, name, RESULT_ARGS(r));
	return r.status;
}

Test(exit, sigterm_forwarded_143, .timeout = 30)
{
	cr_assert_eq(signal_reaches_trap(SIGTERM, "TERM", 143), 143, "status should be what the trap exits with");
}

Test(exit, sigint_forwarded_130, .timeout = 30)
{
	cr_assert_eq(signal_reaches_trap(SIGINT, "INT", 130), 130, "status should be what the trap exits with");
}

Test(exit, command_not_found_127)
{
	struct brig_result r;
	char missing[128];
	snprintf(missing, sizeof missing, "/nonexistent/%s", harness_marker());
	BRIG(&r, "run", "--", missing);
	cr_assert_eq(r.status, 127, "absolute path that does not exist" RESULT_FMT, RESULT_ARGS(r));
	BRIG(&r, "run", "--", harness_marker());
	cr_assert_eq(r.status, 127, "name not found in PATH" RESULT_FMT, RESULT_ARGS(r));
}

Test(exit, not_executable_126)
{
	char *dir = tmpdir_make("noexec");
	file_write(dir, "plain", "echo should not run\n", 0644);
	char bind[4200];
	snprintf(bind, sizeof bind, "%s:/opt/noexec", dir);

	static const char *const cases[][2] = {
		{ "/opt/noexec/plain", "a file without execute permission" },
		{ "/usr", "a directory" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct brig_result r;
		BRIG(&r, "run", "--ro-bind", bind, "--", cases[i][0]);
		cr_expect_eq(r.status, 126, "%s (%s)" RESULT_FMT, cases[i][0], cases[i][1], RESULT_ARGS(r));
		cr_expect(!strstr(r.out, "should not run"), "%s ran" RESULT_FMT, cases[i][0], RESULT_ARGS(r));
	}
}

/* --pty: the job's own terminal, from the sandbox's devpts, relayed by
 * brig to the terminal it runs on. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "agent_driver.h"

BRIG_SUITE(pty);

static char *const *plain_env(void)
{
	static char *env[] = { "PATH=/usr/bin:/bin", "TERM=xterm", NULL };
	return env;
}

#define LOG_FMT "\n-- exit %d, log:\n%s"
#define LOG_ARGS(p) (p).status, (p).log.data

static char *value(struct agent_proc *p, const char *key)
{
	char *v = kv_get(p->log.data, key);
	if (v)
		v[strcspn(v, "\r")] = '\0';
	return v ? v : "(absent)";
}

Test(pty, on_a_terminal_the_job_gets_its_own, .timeout = 30)
{
	struct agent_proc p;
	char *argv[] = { getenv("BRIG"), "run", "--", "/bin/sh", "-c",
			 "echo tty=$(tty); echo size=$(stty size); echo pts=$(ls /dev/pts | tr '\\n' ' '); "
			 "echo err-line >&2; echo ready; read line; echo got=$line; sleep 0.5; echo size2=$(stty size)",
			 NULL };
	agent_start(&p, argv, plain_env(), "/", true);
	bool ready = agent_wait_log(&p, "ready", 15);
	if (ready) {
		/* Keys typed on brig's terminal, and a resize of it. */
		cr_assert_eq(write(p.out, "typed\r", 6), 6);
		struct winsize ws = { .ws_row = 50, .ws_col = 132 };
		ioctl(p.out, TIOCSWINSZ, &ws);
	}
	cr_assert_eq(agent_finish(&p, 15), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "tty"), "/dev/pts/0", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "size"), "40 120", "the window size was not copied" LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "pts"), "0 ptmx", LOG_FMT, LOG_ARGS(p));
	cr_expect_not_null(strstr(p.log.data, "err-line"), LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "got"), "typed", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "size2"), "50 132", "SIGWINCH was not passed on" LOG_FMT, LOG_ARGS(p));
}

Test(pty, never_leaves_the_job_brigs_descriptors, .timeout = 30)
{
	struct agent_proc p;
	char *argv[] = { getenv("BRIG"), "run", "--pty", "never", "--", "/bin/sh", "-c",
			 "echo pts=$(ls /dev/pts | tr '\\n' ' '); if sh -c ': </dev/tty' 2>/dev/null; then echo ctty=yes; else echo ctty=no; fi",
			 NULL };
	agent_start(&p, argv, plain_env(), "/", true);
	cr_assert_eq(agent_finish(&p, 15), 0, LOG_FMT, LOG_ARGS(p));
	/* No terminal made, and no controlling one: its own session. */
	cr_expect_str_eq(value(&p, "pts"), "ptmx", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "ctty"), "no", LOG_FMT, LOG_ARGS(p));
}

Test(pty, auto_without_a_terminal_gives_none, .timeout = 30)
{
	struct brig_result r;
	BRIG(&r, "run", "--", "/bin/sh", "-c", "tty; exit 0");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(r.out, "not a tty\n", RESULT_FMT, RESULT_ARGS(r));
}

Test(pty, always_on_pipes_passes_input_and_its_end, .timeout = 30)
{
	struct brig_result r;
	struct brig_opts o = { .stdin_data = "one\ntwo\n" };
	brig_run(&r, &o, BRIG_ARGS("run", "--pty", "always", "--", "/bin/sh", "-c", "tty; cat"));
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_not_null(strstr(r.out, "/dev/pts/0"), RESULT_FMT, RESULT_ARGS(r));
	cr_expect_not_null(strstr(r.out, "two\r\n"), RESULT_FMT, RESULT_ARGS(r));
}

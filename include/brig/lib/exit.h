/* brig's exit statuses, and how a wait status becomes one: the same rule
 * for brig run, init, gc and the probe. brig(1) documents them. */
#pragma once
#include <errno.h>
#include <sys/wait.h>

#define EXIT_TIMEOUT 124  /* the job reached its time limit */
#define EXIT_BRIG 125     /* brig itself failed; nothing of the job ran, or it was torn down */
#define EXIT_NOEXEC 126   /* the command exists but cannot run */
#define EXIT_NOTFOUND 127 /* the command does not exist */
#define EXIT_SIGNAL_BASE 128 /* 128 + N: the job died of signal N */

/* The shell's rule: the exit code, or 128 + the signal that ended it. */
static inline int exit_code_of(int wait_status)
{
	return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : EXIT_SIGNAL_BASE + WTERMSIG(wait_status);
}

/* What execve's errno means for the caller: not there, or not runnable. */
static inline int exit_code_of_exec(int err)
{
	return err == ENOENT || err == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC;
}

/* brig's one error convention.
 *
 * 1. A function that can fail returns int: >= 0 on success, -errno on
 *    failure. Never -1 with errno set, never errno and -r mixed: read
 *    errno right after the call that set it and return it negated.
 * 2. When -errno alone cannot say what failed (which path, which option,
 *    which step), the function takes a `struct brig_err *` as its last
 *    parameter and the function that fails fills it, once, with the
 *    context only it knows: err_set() for a whole sentence, err_at() for
 *    "WHAT: DETAIL: strerror". Both return the -errno, so a failure is one
 *    line: `return err_at(e, -errno, path, "cannot open");`. Callers pass
 *    the error up untouched; they do not log it and do not rewrite it.
 * 3. Exactly one place per command prints it, with err_log(): the
 *    command's top level (main's commands, sandbox_run's step list; the
 *    clone3 child sends it to the supervisor, whose report step,
 *    job_wait_and_report, prints it with the job's other ends: its time
 *    limit, its memory limit). cli_parse_run prints a bad option itself:
 *    it is the command-line step of `brig run` and `brig profile show`,
 *    which print nothing after it.
 * 4. What does not stop the command (a sink that went away, a counter that
 *    could not be read, a limit dropped under `limits best-effort`) is a
 *    warning, logged with log_warn where it is noticed. Cleanup commands
 *    (gc, gitlab cleanup) say each thing that stays, one line where it is
 *    noticed, and go on; their exit status sums them up.
 * The one exception: profile and configuration validation reports through
 * struct brig_reporter (brig/config/config.h), which can list every
 * problem of a profile at once (`brig profile check`).
 * CONTRIBUTING.md says the same, with examples. */
#pragma once
#include <stddef.h>

struct brig_err {
	int code;      /* the -errno returned with it; 0: nothing failed */
	char msg[512]; /* one line, no "brig: " prefix, no newline */
};
#define BRIG_ERR_INIT { 0, "" }

/* The message as formatted; returns code (a -errno). e may be NULL. */
__attribute__((format(printf, 3, 4))) int err_set(struct brig_err *e, int code, const char *fmt, ...);
/* "WHAT: DETAIL: strerror(-code)", DETAIL optional; returns code. */
int err_at(struct brig_err *e, int code, const char *what, const char *detail);
/* The line to print: the message, or strerror when only a code was set. */
const char *err_message(const struct brig_err *e);
/* The one print: "brig: MESSAGE" on stderr (brig/lib/log.h). */
void err_log(const struct brig_err *e);

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
 *    clone3 child sends it to the supervisor, which prints it).
 * 4. What does not stop the command (a sink that went away, a counter that
 *    could not be read) is a warning, logged with log_warn where it is
 *    noticed.
 * CONTRIBUTING.md says the same, with examples. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct brig_err {
	int code;      /* the -errno returned with it; 0: nothing failed */
	char msg[512]; /* one line, no "brig: " prefix, no newline */
	bool reported;  /* already printed by a callee of the older style */
};
#define BRIG_ERR_INIT { 0, "", false }

/* The message as formatted; returns code (a -errno). e may be NULL. */
__attribute__((format(printf, 3, 4))) int err_set(struct brig_err *e, int code, const char *fmt, ...);
/* "WHAT: DETAIL: strerror(-code)", DETAIL optional; returns code. */
int err_at(struct brig_err *e, int code, const char *what, const char *detail);
/* For a callee that still prints its own line (config validation through
 * struct brig_reporter, seccomp_policy_load, rootfs_prepare,
 * cgroup_create): records the code, and err_log prints nothing more. New
 * code fills the error instead. Returns code. */
int err_reported(struct brig_err *e, int code);
/* The line to print: the message, or strerror when only a code was set. */
const char *err_message(const struct brig_err *e);
/* The one print: "brig: MESSAGE" on stderr (brig/lib/log.h). */
void err_log(const struct brig_err *e);

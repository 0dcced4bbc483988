/* Capabilities and the other per-process privileges of the job. */
#pragma once
#include "brig/config/config.h"
#include "brig/lib/err.h"

/* Drops every capability the config does not keep, from all five sets
 * (bounding and ambient included), switches to the job's user and sets
 * no_new_privs. Kept capabilities survive the execve that follows.
 * Fills e on failure (brig/lib/err.h). */
int caps_enter_job_identity(const struct brig_config *c, struct brig_err *e);

/* For brig's init once the job runs: no capability at all, not dumpable
 * (so the job cannot ptrace it), no_new_privs. */
int caps_drop_all(void);

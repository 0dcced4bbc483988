/* Capabilities and the other per-process privileges of the job. */
#pragma once
#include "brig/config/config.h"
#include "brig/lib/err.h"

/* The capabilities of `caps container-root`: what CI images expect of root
 * in a container (chown, DAC, setuid/setgid, kill, low ports...), never
 * SYS_ADMIN, NET_ADMIN, SYS_PTRACE or SETFCAP. Valid only in the job's user
 * namespace, so only over the job's own ids. Terminated by -1. */
extern const int caps_container_root[];

/* The capabilities the job keeps: c->caps, plus the named set when the
 * job runs as root inside. Writes at most max, returns how many. */
size_t caps_effective_list(const struct brig_config *c, int *out, size_t max);

/* Drops every capability the config does not keep, from all five sets
 * (bounding and ambient included), switches to the job's user and sets
 * no_new_privs. Kept capabilities survive the execve that follows.
 * Fills e on failure (brig/lib/err.h). */
int caps_enter_job_identity(const struct brig_config *c, struct brig_err *e);

/* For brig's init once the job runs: no capability at all, not dumpable
 * (so the job cannot ptrace it), no_new_privs. */
int caps_drop_all(void);

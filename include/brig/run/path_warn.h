/* The caller's PATH against the job's: a toolchain in a directory of the
 * caller's PATH that the job's PATH leaves out (cargo under the home
 * directory, pyenv's shims) is "not found" inside, minutes into a build. */
#pragma once
#include <stddef.h>

#include "brig/config/config.h"

/* The directories of caller (a PATH value) that exist and that no
 * directory of job names, by name or once resolved on the host: written to
 * out, separated by ", "; returns how many. */
size_t path_unseen(const char *caller, const char *job, char *out, size_t len);

/* One warning at start when the job's PATH (as env_build makes it from
 * this process's environment and the config) leaves some out. */
void path_warn(const struct brig_config *c);

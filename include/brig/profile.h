/* Profiles: the option table of `brig run`, one directive per line. */
#pragma once
#include "brig/config.h"

/* Profile search path when a NAME (no '/') is given. */
#define PROFILE_SYSTEM_DIR "/etc/brig/profiles"

/* Applies the profile NAME or PATH to c. Problems are logged as
 * "FILE:LINE: message"; returns -errno. */
int profile_load(const char *name, struct brig_config *c);
/* Where NAME resolves to (malloc'ed), or NULL with errno set. */
char *profile_find(const char *name);

/* The job's environment: clean by default, built from the config. */
#pragma once
#include "brig/config/config.h"

#define ENV_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Builds a NULL-terminated "K=V" vector: PATH, HOME, TERM and LANG (the
 * last two from host when set), then the --env-pass matches from host,
 * then --env; a later entry replaces an earlier one of the same name.
 * Pure: host is an environ-style vector. Free with env_free. */
int env_build(const struct brig_config *c, char *const *host, const char *home, char ***out);
void env_free(char **env);
/* The value of name in a "K=V" vector, or NULL. */
const char *env_get(char *const *env, const char *name);

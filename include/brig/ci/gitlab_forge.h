/* The GitLab instance a runner serves, as the site fragment the gitlab
 * profile includes (site/forge.inc): read from the runner's own
 * config.toml, never from a job's variables, which a pipeline can set. */
#pragma once
#include <stddef.h>

#include "brig/lib/err.h"

#define GITLAB_RUNNER_CONFIG "/etc/gitlab-runner/config.toml"
#define GITLAB_FORGE_MAX 16 /* distinct hosts taken from one config.toml */

/* The egress-allow-host rules ("HOST:PORT/tcp") for the url and clone_url
 * of each [[runners]] table of a config.toml's text, each once, into
 * rules[0..*n). A url that is no http(s) URL of a DNS name (an address, a
 * unix socket) is skipped with a warning naming it. Returns 0 or -errno. */
int gitlab_forge_rules(const char *toml, char rules[][300], size_t max, size_t *n);

/* Writes DIR/forge.inc from the runner configuration at config unless it
 * exists already (an operator's file is never rewritten): returns 1 when
 * written, 0 when it existed, -errno with e filled on failure (no rule
 * found included). The file appears whole or not at all. */
int gitlab_forge_write(const char *dir, const char *config, struct brig_err *e);

/* What the workflow's author may ask of a "container" and what brig
 * refuses: createOptions, user volumes and ports come from whoever opened
 * the pull request and never widen the sandbox (docs/github.md). */
#pragma once
#include <stddef.h>

#include "brig/ci/gha_input.h"
#include "brig/lib/err.h"

/* NULL when the docker option (as written: "--cap-add", "-v", "--net=x")
 * is merely ignored, else why brig refuses it. */
const char *gha_option_refusal(const char *token);

/* Checks createOptions, user volumes and ports of c (named what in
 * messages): refuses (-EPERM, e saying what and why) what would widen
 * the sandbox, warns once about what is ignored. */
int gha_check_container(const struct gha_container *c, const char *what, struct brig_err *e);

/* A docker.sock mount: never bound, whatever the host has. */
int gha_is_docker_socket(const struct gha_mount *m);

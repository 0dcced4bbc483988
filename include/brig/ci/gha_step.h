/* One step of a GitHub job as one brig sandbox: a fresh sandbox per step
 * on the job's tree, with the job's directories bound in, so that what a
 * step leaves is its files, never its processes. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/ci/gha_input.h"
#include "brig/ci/gha_job.h"
#include "brig/lib/err.h"

struct gha_env {
	const struct gha_kv *kv;
	size_t n;
};

struct gha_step {
	const struct gha_job *job;
	const char *rootfs;           /* "host" or a tree */
	const struct gha_mount *mounts; /* host source, job target */
	size_t n_mounts;
	const char *const *tmpfs;
	size_t n_tmpfs;
	struct gha_env env[2]; /* applied in order: later ones win */
	const char *const *prepend_path; /* newest first */
	size_t n_prepend_path;
	const char *workdir;
	char **argv;
};

/* Builds the sandbox of s and, unless dry_run, runs it with the hook's
 * stdin, stdout and stderr. Returns the step's exit status, or -errno
 * with e saying why when nothing of the step could run (sandbox_run, the
 * run's own top level, has printed its own line then). */
int gha_step_run(const struct gha_step *s, bool dry_run, struct brig_err *e);

/* Whether path is dir or below it (both normalised, absolute). */
bool gha_path_under(const char *path, const char *dir);

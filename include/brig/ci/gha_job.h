/* A job as prepare_job left it: a record on the host, named by the id
 * that the runner carries in `state` from call to call. The state is only
 * a key: what the steps run on (tree, directories, environment) is read
 * back from the record, which only this host's brig writes. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/ci/gha_input.h"
#include "brig/config/config.h"

#define GHA_STATE_DIR "/run/brig/gha"
#define GHA_STATE_ENV "BRIG_GHA_STATE_DIR"
#define GHA_PROFILE_ENV "BRIG_GHA_PROFILE"
#define GHA_DEFAULT_PROFILE "gha"

struct gha_job {
	char id[BRIG_JOB_ID_LEN + 1];
	char *profile;
	char *image, *rootfs;
	bool alpine;
	char *work;      /* host path bound at /__w */
	char *externals; /* host path bound read-only at /__e; NULL: none */
	struct gha_mount *mounts; /* the job container's other system mounts */
	size_t n_mounts;
	char **tmpfs; /* anonymous volumes: a fresh directory per step */
	size_t n_tmpfs;
	struct gha_kv *env; /* the job container's environmentVariables */
	size_t n_env;
};

/* Where records live: $BRIG_GHA_STATE_DIR, else /run/brig/gha as root,
 * else $XDG_RUNTIME_DIR/brig/gha or $HOME/.cache/brig/gha. */
int gha_state_dir(char *buf, size_t len);

/* Writes j as a new record (j->id chosen here). -errno with e naming
 * what failed. */
int gha_job_save(struct gha_job *j, struct brig_err *e);
/* Reads the record of id; -ENOENT when this host has none, e saying so. */
int gha_job_load(const char *id, struct gha_job *j, struct brig_err *e);
/* Removes the record of id; absent is fine. */
int gha_job_remove(const char *id);
void gha_job_free(struct gha_job *j);

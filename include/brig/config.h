/* The one validated, immutable description of a job. Everything the
 * supervisor and the child do is decided from this struct. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "brig/cgroup.h"

enum mount_kind { MNT_BIND, MNT_RO_BIND, MNT_TMPFS };

struct brig_mount {
	enum mount_kind kind;
	char *src; /* NULL for tmpfs */
	char *dst; /* absolute, normalised, inside the job */
	uint64_t size; /* tmpfs only; 0 = kernel default */
};

#define BRIG_DEFAULT_UID_BASE 1879048192u /* 0x70000000: above the ranges distributions hand out */
#define BRIG_DEFAULT_UID_COUNT 65536u

struct brig_config {
	char **argv; /* the job's command, NULL-terminated (points into main's argv) */

	char *workspace;
	char *chdir;
	char *hostname;
	char *rootfs; /* NULL: the host's /usr */
	bool sys;

	uint32_t uid_base, uid_count;
	bool uid_range_set;
	uint32_t user, group;
	bool user_set;

	struct brig_mount *mounts;
	size_t n_mounts;
	int *pass_fds;
	size_t n_pass_fds;
	int *caps; /* cap_value_t, kept instead of dropped */
	size_t n_caps;
	char **env_set; /* "K=V" */
	size_t n_env_set;
	char **env_pass; /* names or "PREFIX_*" */
	size_t n_env_pass;

	char *seccomp; /* policy NAME or PATH; "none" disables the filter */
	bool allow_userns, allow_ptrace, allow_io_uring;

	struct cgroup_limits limits;

	uint64_t timeout_ms; /* 0 = none */
	int status_fd; /* -1 = none */
	char *status_file;
	bool quiet;

	bool rootless; /* brig itself runs without root: filled in by config_finish */
};

void config_init(struct brig_config *c);
void config_free(struct brig_config *c);
/* Cross-option validation and checks against the host (paths exist,
 * fds open). Logs one line naming the problem; returns -errno. */
int config_finish(struct brig_config *c);

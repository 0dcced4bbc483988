/* The one validated, immutable description of a job. Everything the
 * supervisor and the child do is decided from this struct. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "brig/config/limits.h"
#include "brig/config/net_config.h"
#include "brig/config/user_limits.h"
#include "brig/lib/err.h"

enum mount_kind { MNT_BIND, MNT_RO_BIND, MNT_TMPFS };

/* How the job sees its root tree (the prepared DIR or the host's /usr). */
enum rootfs_mode {
	ROOTFS_MODE_DEFAULT, /* overlay for a DIR, ro for the host */
	ROOTFS_RO,
	ROOTFS_OVERLAY, /* the tree as the lower layer, writes to a per-job upper */
	ROOTFS_RW,      /* writes reach the tree; one job at a time */
};

/* A persistent directory cache-dir/KEY mounted read-write at dst. */
struct brig_cache {
	char *key; /* as given */
	char *dir; /* the key escaped into one safe file name */
	char *dst; /* absolute, normalised, inside the job */
};

enum pty_mode { PTY_AUTO, PTY_ALWAYS, PTY_NEVER };

/* A named capability set for root inside (`caps NAME`); see brig/run/caps.h. */
enum caps_set { CAPS_NONE, CAPS_CONTAINER_ROOT };

struct brig_mount {
	enum mount_kind kind;
	char *src; /* NULL for tmpfs */
	char *dst; /* absolute, normalised, inside the job */
	uint64_t size; /* tmpfs only; 0 = kernel default */
};

/* Which list of the config a repeatable setting appends to; CONFIG_SCALAR
 * for every other setting. Lets a list element be traced back to the line
 * that added it. */
enum config_list {
	CONFIG_SCALAR,
	CONFIG_MOUNTS,
	CONFIG_PASS_FDS,
	CONFIG_CAPS,
	CONFIG_ENV_SET,
	CONFIG_ENV_PASS,
	CONFIG_IO, /* limits.io */
	CONFIG_EGRESS, /* net.egress */
	CONFIG_CACHES,
	CONFIG_EGRESS_HOST, /* net.hosts */
	CONFIG_USER_LIMITS,
};
#define CONFIG_N_LISTS (CONFIG_USER_LIMITS + 1) /* keep naming the last one */

/* Where one setting came from, for messages and `brig profile show`. */
struct brig_origin {
	const char *directive; /* the option table's name (static) */
	enum config_list list;
	char *file;    /* the profile or fragment as named; NULL: the command line */
	unsigned line;
	unsigned load; /* which profile load set it (1, 2...); 0: the command line */
};

#define BRIG_JOB_ID_LEN 12 /* hex digits */
/* Far above any real job's needs; bounds the work a hostile profile can cause. */
#define CONFIG_LIST_MAX 4096

#define BRIG_DEFAULT_CACHE_DIR "/var/lib/brig/cache"

#define BRIG_DEFAULT_UID_BASE 1879048192u /* 0x70000000: above the ranges distributions hand out */
#define BRIG_DEFAULT_UID_COUNT 65536u

struct brig_config {
	char **argv; /* the job's command, NULL-terminated (points into main's argv) */

	char *workspace;
	char *chdir;
	char *hostname;
	char *rootfs; /* NULL: the host's /usr */
	enum rootfs_mode rootfs_mode;
	uint64_t overlay_size; /* 0: the tmpfs default (half the RAM, charged to the job's memory) */
	char *overlay_dir;     /* NULL: the upper layer lives on a tmpfs */
	char *overlay_upper;   /* the upper layers, kept after the job; NULL: per job */
	struct brig_cache *caches;
	size_t n_caches;
	char *cache_dir; /* NULL: the default (BRIG_DEFAULT_CACHE_DIR as root) */
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
	enum caps_set caps_set; /* root inside also keeps this set */
	char **env_set; /* "K=V" */
	size_t n_env_set;
	char **env_pass; /* names or "PREFIX_*" */
	size_t n_env_pass;

	char *seccomp; /* policy NAME or PATH; "none" disables the filter */
	bool allow_userns, allow_ptrace, allow_io_uring;
	struct user_limit *user_limits; /* see brig/config/user_limits.h */
	size_t n_user_limits;

	struct cgroup_limits limits;
	struct net_config net;

	uint64_t timeout_ms; /* 0 = none */
	int status_fd; /* -1 = none */
	char *status_file;
	bool quiet;
	bool timings; /* --timings: the start path's steps on stderr */
	enum pty_mode pty; /* see brig/run/pty.h */
	bool pty_set;

	bool rootless; /* brig itself runs without root: filled in by config_finish */

	/* Filled by the caller before parsing, so profiles can use ${JOB_ID};
	 * "" when not known. */
	char job_id[BRIG_JOB_ID_LEN + 1];
	char *profile; /* --profile as given (the last one wins) */
	struct brig_origin *origins; /* every setting applied, in order */
	size_t n_origins;
};

/* Where validation problems go, one line each. */
struct brig_reporter {
	void (*fn)(void *ctx, const char *line); /* NULL: log_error */
	void *ctx;
	bool keep_going; /* report every problem, not just the first */
	unsigned problems;
};

void config_init(struct brig_config *c);
void config_free(struct brig_config *c);
/* Cross-option validation and checks against the host (paths exist,
 * fds open). Returns -errno with e naming the problem (config_check's
 * first). */
int config_finish(struct brig_config *c, struct brig_err *e);

/* The checks that need nothing from the host (contradictions, values
 * that can never work, the same thing set twice in one profile), so
 * `brig profile check` can run them anywhere. Returns -EINVAL after
 * reporting, 0 when consistent. rep NULL: log_error, first problem only. */
int config_check(const struct brig_config *c, struct brig_reporter *rep);
/* The network directives' part of config_check (config_net.c). */
int config_check_net(const struct brig_config *c, struct brig_reporter *rep);
/* The tree exists, is a directory owned by root (or by the caller when
 * unprivileged), is not writable by others, and holds /bin/sh or the
 * command: the rootfs directive's part of config_finish (config_rootfs.c).
 * -errno with e naming the problem. */
int config_check_rootfs(const struct brig_config *c, struct brig_err *e);
/* The network's part of config_finish: root for veth, the resolvers. */
int config_finish_net(struct brig_config *c, struct brig_err *e);

/* The mode that applies: ROOTFS_MODE_DEFAULT resolved. */
enum rootfs_mode config_rootfs_mode(const struct brig_config *c);

/* Whether --env-pass lets the host variable name through: it matches a
 * pattern and no negated one ("!NAME", "!PREFIX_*"), whatever their order,
 * so a profile can pass a family of variables but one secret of it. */
bool config_env_passes(const struct brig_config *c, const char *name);
/* A random job id in c->job_id. */
int config_new_job_id(struct brig_config *c);
/* Records where a setting came from (copies o->file). */
int config_add_origin(struct brig_config *c, const struct brig_origin *o);
/* The origin of element i of a list, or of the last setting of a scalar
 * directive; NULL when unknown (set by hand, not parsed). */
const struct brig_origin *config_origin_of(const struct brig_config *c, enum config_list list, size_t i);
const struct brig_origin *config_last_origin(const struct brig_config *c, const char *directive);
/* The index of the first later element of the list with the same identity
 * (mount destination, variable name, capability, descriptor) as element i,
 * which replaces it; -1 when there is none. */
ssize_t config_replaced_by(const struct brig_config *c, enum config_list list, size_t i);
/* Number of elements of a list. */
size_t config_list_size(const struct brig_config *c, enum config_list list);
/* "FILE:LINE: NAME" for a profile line, "--NAME" otherwise: how messages
 * name a setting. */
void config_where(const struct brig_origin *o, const char *directive, char *buf, size_t len);
__attribute__((format(printf, 2, 3))) void brig_report(struct brig_reporter *rep, const char *fmt, ...);
/* A reporter's fn that keeps the first problem as the command's one error
 * line: ctx is a struct brig_err (may be NULL). */
void brig_report_first(void *ctx, const char *line);

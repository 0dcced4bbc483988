/* brig probe / brig audit: try, from inside, what escapes use, and score it.
 *
 * Every check is non-destructive: it opens for writing without writing,
 * makes calls with arguments the kernel rejects before acting, connects
 * without sending, and undoes whatever it had to create. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

enum probe_severity { PROBE_LOW, PROBE_MEDIUM, PROBE_HIGH };
enum probe_result { PROBE_BLOCKED, PROBE_EXPOSED, PROBE_NA };

#define PROBE_EVIDENCE_MAX 200

/* One check as reported. */
struct probe_report {
	const char *id;       /* "syscalls.bpf" */
	const char *category; /* "syscalls" */
	enum probe_severity severity;
	enum probe_result result;
	char evidence[PROBE_EVIDENCE_MAX];
};

/* Filled in once before the checks run: what several checks share. */
struct probe_ctx {
	int fds_at_start[64]; /* descriptors open when the probe began */
	size_t n_fds_at_start;
};

/* A check fills result and evidence (evidence is one line). */
typedef void (*probe_fn)(const struct probe_ctx *ctx, struct probe_report *r);

struct probe_check {
	const char *id;
	enum probe_severity severity;
	probe_fn fn;
};

/* One table per category, each in its own src/probe_<category>.c. */
struct probe_category {
	const char *name;
	const struct probe_check *checks;
	size_t n;
	bool network; /* run only when asked for (--network) */
};

extern const struct probe_category probe_identity, probe_privileges, probe_syscalls, probe_filesystem,
	probe_secrets, probe_network, probe_resources, probe_processes;

/* Every category, in report order. */
extern const struct probe_category *const probe_categories[];
extern const size_t probe_categories_count;

/* Formats evidence (printf-style) and sets the result. */
__attribute__((format(printf, 3, 4))) void probe_set(struct probe_report *r, enum probe_result res, const char *fmt,
						     ...);

/* Name of an errno value ("EPERM"), or its number as text. */
const char *probe_errno_name(int e);

/* The usual verdict on a system call made with harmless arguments: the
 * filter or a missing capability answered (EPERM, EACCES, ENOSYS) or the
 * kernel went on to look at the arguments (any other answer, or success). */
void probe_syscall_verdict(struct probe_report *r, const char *what, long ret, int err);

/* Opens path with flags (O_CLOEXEC added) and closes it at once: 0 when it
 * opened, else -errno. Never reads or writes. */
int probe_try_open(const char *path, int flags);

/* Score over reports: high-severity checks blocked (of those that apply),
 * and an exposure figure from 0 (nothing exposed) to 10. */
struct probe_score {
	size_t blocked, exposed, na, high_blocked, high_total, high_exposed;
	double exposure;
};
void probe_score(const struct probe_report *r, size_t n, struct probe_score *s);

const char *probe_result_name(enum probe_result r);
const char *probe_severity_name(enum probe_severity s);

/* Runs the checks: all, or those of one category; network ones only when
 * network is set. Returns a malloc'ed array (count in *n) or NULL. */
struct probe_report *probe_run(const char *only, bool network, size_t *n);

/* The sub-commands. */
int probe_cmd(int argc, char **argv);
int audit_cmd(int argc, char **argv);

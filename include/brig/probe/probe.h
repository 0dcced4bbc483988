/* brig probe / brig audit: try, from inside, what escapes use, and score it.
 *
 * The probe owns: the checks (one table, include/brig/probe/checks.h), the
 * verdict rules they apply (pure, include/brig/probe/verdict.h), the score,
 * the two output formats, `--compare` and `brig audit`. It may call run/
 * and cli/ (audit runs jobs through the brig binary) and anything below.
 *
 * Every check is non-destructive: it makes the real operation with
 * arguments that pass the kernel's own permission checks and change
 * nothing (an open for writing that writes nothing, a map created and
 * closed, a NULL pointer read only after the permission checks), in a child
 * that exits at once where the call would change the caller. Where no
 * argument can be made harmless, the check tests the filter only and says
 * so (depth "filter"). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

enum probe_severity { PROBE_LOW, PROBE_MEDIUM, PROBE_HIGH };
enum probe_result { PROBE_BLOCKED, PROBE_EXPOSED, PROBE_NA };
/* How far the operation got: the kernel's own answer, or only past the
 * system call filter (the kernel's permission checks were not reached). */
enum probe_depth { PROBE_DEPTH_KERNEL, PROBE_DEPTH_FILTER };
/* Who a privilege acts on: the host, or only the job's own namespaces. */
enum probe_scope { PROBE_SCOPE_NONE, PROBE_SCOPE_HOST, PROBE_SCOPE_NAMESPACE };

#define PROBE_EVIDENCE_MAX 200

/* One check as reported. */
struct probe_report {
	const char *id;	      /* "syscalls.bpf" */
	const char *category; /* "syscalls" */
	enum probe_severity severity;
	enum probe_result result;
	enum probe_depth depth;
	enum probe_scope scope;
	char evidence[PROBE_EVIDENCE_MAX];
};

/* Formats evidence (printf-style) and sets the result; depth back to kernel. */
__attribute__((format(printf, 3, 4))) void probe_set(struct probe_report *r, enum probe_result res, const char *fmt,
						     ...);

/* Name of an errno value ("EPERM"), or its number as text. */
const char *probe_errno_name(int e);

/* Score over reports: high-severity checks blocked (of those that apply),
 * and an exposure figure from 0 (nothing exposed) to 10. An exposure seen
 * only past the filter (depth filter) weighs half and is counted apart. */
struct probe_score {
	size_t blocked, exposed, na, exposed_filter, high_blocked, high_total, high_exposed;
	double exposure;
};
void probe_score(const struct probe_report *r, size_t n, struct probe_score *s);

const char *probe_result_name(enum probe_result r);
const char *probe_severity_name(enum probe_severity s);
const char *probe_depth_name(enum probe_depth d);
const char *probe_scope_name(enum probe_scope s);
/* The inverses, for reading a probe's JSON back; -1 when unknown. */
int probe_result_of(const char *s);
int probe_severity_of(const char *s);

struct probe_egress_list;
/* Runs the checks: all, or those of one category; those that connect to
 * addresses only when network is set, and then egress's rows (may be NULL;
 * their ids point into it). Returns a malloc'ed array (count in *n) or
 * NULL. */
struct probe_report *probe_run(const char *only, bool network, const struct probe_egress_list *egress, size_t *n);

/* The sub-commands. */
int probe_cmd(int argc, char **argv);
int audit_cmd(int argc, char **argv);
/* brig probe --compare A.json B.json: two probe documents side by side. */
int probe_compare(const char *a, const char *b, bool json);

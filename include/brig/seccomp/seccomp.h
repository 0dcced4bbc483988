/* The job's syscall policy: text files compiled with libseccomp in the
 * supervisor, loaded by the job as its very last step before execve.
 *
 * Two filters are stacked. The first knows every syscall the policy names
 * and answers ENOSYS for the rest (newer calls than the policy: libc falls
 * back). The second holds the refusals; a refusal is a user notification,
 * so the supervisor sees each one, reports it by name and answers with the
 * policy's errno (or kills, or lets a `log` rule through). */
#pragma once
#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "brig/config/config.h"
#include "brig/lib/err.h"

/* SC_WATCH: never in a policy file; let through, and counted as a call
 * the kernel refuses for want of an id mapping or a capability (the hint
 * of seccomp_policy_watch below). */
enum sc_action { SC_ALLOW, SC_ERRNO, SC_KILL, SC_LOG, SC_WATCH };
/* Why the kernel refuses a watched call. */
enum sc_refusal { SC_REFUSED_ID_MAPPING, SC_REFUSED_CAPABILITY, SC_REFUSED_KINDS };
/* SC_OP_MASKED: (arg & mask) == value, on 32 bits; brig's own rules only
 * (a range of ids as aligned blocks: libseccomp takes one comparison per
 * argument in a rule). */
enum sc_op { SC_OP_NONE, SC_OP_EQ, SC_OP_NE, SC_OP_ANY_BITS, SC_OP_GE, SC_OP_MASKED };

/* One comparison of an argument. EQ, NE and GE read the low 32 bits, as
 * the kernel reads int arguments; ANY_BITS tests the bits of value. */
struct sc_cond {
	enum sc_op op;
	unsigned arg;
	uint64_t value;
	uint64_t mask; /* SC_OP_MASKED */
};

/* A rule holds when all its conditions do: `open` refuses a set-user-ID
 * mode only with O_CREAT, since without it the kernel never reads the
 * mode (a leftover register must not decide). */
#define SC_MAX_COND 3

struct sc_rule {
	int nr; /* native syscall number */
	enum sc_action action;
	int err;    /* SC_ERRNO */
	bool quiet; /* answered in the kernel, never reported (clone3's ENOSYS) */
	bool unless_dir; /* waived by the answerer when the target is a directory */
	enum sc_refusal kind; /* SC_WATCH */
	unsigned n_cond; /* 0: unconditional */
	struct sc_cond cond[SC_MAX_COND];
};

/* What brig watches for the hint at the end of a failed job: the few calls
 * that the kernel refuses inside the job whatever the policy says, and
 * that a filter can pick out by their integer arguments. */
struct seccomp_watch {
	uint32_t id_count;	   /* the job's id maps: 0..id_count-1 inside */
	uint32_t uid_base, gid_base; /* what inside 0 is outside */
	bool setgroups_denied;	   /* a one-id map: setgroups always fails */
	bool lacks_chown;	   /* the job's user starts without CAP_CHOWN */
	bool lacks_setid;	   /* ... without CAP_SETUID and CAP_SETGID */
};

/* Rules per syscall: conditional ones first, in file order; the first whose
 * condition holds decides, else the unconditional one. A later
 * unconditional rule replaces every earlier rule of its syscall, which is
 * how a fragment such as allow-ptrace overrides the default. */
struct seccomp_policy {
	struct sc_rule *v;
	size_t n;
	bool none; /* `seccomp none`: no filter at all */
	struct seccomp_watch watch; /* set by seccomp_policy_watch */
};

struct seccomp_program {
	struct sock_fprog known, refusals;
};

/* Resolves the config's policy (NAME, PATH or none) and its allow-*
 * fragments. A problem fills e: "FILE:LINE: message", or "seccomp NAME:
 * why" for a policy that cannot be read. */
int seccomp_policy_load(const struct brig_config *c, struct seccomp_policy *p, struct brig_err *e);
/* Parses one policy text; file names the source in e's message. */
int seccomp_policy_parse(struct seccomp_policy *p, const char *file, const char *text, int depth, struct brig_err *e);
void seccomp_policy_free(struct seccomp_policy *p);
/* Adds SC_WATCH rules: ids at or past id_count (the chown and set*id
 * calls; every id when the job lacks the capability the call needs),
 * device nodes (mknod: CAP_MKNOD is the host's) and setgroups when it is
 * denied. Only calls the policy allows outright are watched. */
int seccomp_policy_watch(struct seccomp_policy *p, const struct seccomp_watch *w);
/* For a watched call the filter sent (r: its rule): the kind of refusal
 * the kernel is about to give, or -1 when it will not refuse it. *id: the
 * id concerned, -1 for none. */
int seccomp_watch_classify(const struct seccomp_policy *p, const struct sc_rule *r, pid_t tid,
			   const uint64_t args[6], long *id);
/* The decision for one call, exactly as the policy says. */
const struct sc_rule *seccomp_policy_decide(const struct seccomp_policy *p, int nr, const uint64_t args[6]);

/* The named groups (@mount, @file-system, ...): space-separated names. */
const char *seccomp_group(const char *name);

/* Compiles both filters into a sealed memfd (*fd; -1 for `seccomp none`),
 * which the supervisor hands to the sandbox while it builds its root: the
 * few milliseconds libseccomp needs overlap with the mounts. */
int seccomp_compile(const struct seccomp_policy *p, int *fd);
/* Part of every cached filter's name (seccomp_compile_cached): raise it
 * whenever seccomp_compile makes other filters from the same rules, or
 * brig keeps loading what the previous code compiled. */
#define SECCOMP_COMPILER_REVISION 2
/* The same, reusing the result of an earlier compile of the very same
 * rules from brig's root-only cache (/run/brig/seccomp) when there is one. */
int seccomp_compile_cached(const struct seccomp_policy *p, int *fd);
/* Reads the programs back from such a memfd. */
int seccomp_program_read(int fd, struct seccomp_program *prog);
void seccomp_program_free(struct seccomp_program *prog);
/* Job side, last step: loads both filters; *listener is the refusal
 * filter's notification fd for the supervisor (-1 for `seccomp none`). */
int seccomp_load_job(const struct seccomp_program *prog, int *listener);

/* Builtin copies of profiles/seccomp/NAME.policy (generated at build). */
const char *seccomp_builtin_policy(const char *name);

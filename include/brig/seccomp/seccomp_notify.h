/* The listener for the job's refused system calls. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "brig/seccomp/seccomp.h"

struct seccomp_notif;
struct seccomp_notif_resp;
struct notify_counts;

/* One refused call, as the supervisor reports it. */
struct seccomp_denial {
	const char *syscall;
	int nr;
	pid_t pid; /* as the job sees it */
	const char *comm;
	const char *action; /* errno, kill, log */
	int err;            /* for errno */
};
typedef void seccomp_denial_fn(void *ctx, const struct seccomp_denial *d);

/* Watched calls (SC_WATCH) the kernel refuses: counted by kind, the first
 * few described. */
#define SECCOMP_REFUSED_FIRST 4
struct seccomp_refused_call {
	int nr;
	enum sc_refusal kind;
	pid_t pid; /* as the job sees it */
	char comm[16];
	long id; /* the id past the map; -1: none */
};
struct seccomp_refusals {
	unsigned long count[SC_REFUSED_KINDS];
	size_t n_first;
	struct seccomp_refused_call first[SECCOMP_REFUSED_FIRST];
};

struct seccomp_notifier {
	int fd; /* the listener the job sent; -1 until then, and once the handler has it */
	const struct seccomp_policy *policy;
	seccomp_denial_fn *on_denial; /* the status event; NULL: none */
	void *ctx;
	int sink_fd; /* what on_denial writes to: the handler process keeps it */
	bool quiet;
	size_t req_size, resp_size;
	struct seccomp_notif *req; /* one of each for every notification */
	struct seccomp_notif_resp *resp;
	struct notify_counts *counts; /* shared with the handler process */
	pid_t handler;
	int handler_pidfd;
};

/* An `unless-dir` rule's call (chmod, fchmod, fchmodat, fchmodat2 with
 * S_ISGID): when its target is a directory the caller may change, makes
 * the change itself (seccomp_dirmode.c says why not CONTINUE). Returns 1
 * when done (the call succeeds), 0 when the target is not a directory (the
 * refusal stands), -errno for the kernel's own answer to the caller. */
int seccomp_chmod_dir(int listener, const struct seccomp_notif *req);

int seccomp_notifier_init(struct seccomp_notifier *n, const struct seccomp_policy *p, seccomp_denial_fn *on_denial,
			  void *ctx, int sink_fd, bool quiet);
/* Reads, decides, answers and reports one notification, in this process. */
int seccomp_notifier_handle(struct seccomp_notifier *n);
/* Hands n->fd to a handler process of its own, in the cgroup cgroup_fd
 * (when >= 0), so that what refusals cost is charged to the job: it
 * answers until the last filtered process is gone. n->fd is -1 after
 * success; on failure it stays, for seccomp_notifier_handle. */
int seccomp_notifier_start(struct seccomp_notifier *n, int cgroup_fd);
/* Once the job has ended: waits for the handler (which ends with the
 * job's last process), at most timeout_ms, then kills it. */
void seccomp_notifier_finish(struct seccomp_notifier *n, int timeout_ms);
unsigned long seccomp_notifier_total(const struct seccomp_notifier *n);
/* The watched calls refused, once the handler is gone (NULL: none kept). */
const struct seccomp_refusals *seccomp_notifier_refused(const struct seccomp_notifier *n);
/* The handler's own CPU time, in ms (-1: no handler ran). */
double seccomp_notifier_cpu_ms(const struct seccomp_notifier *n);
void seccomp_notifier_free(struct seccomp_notifier *n);

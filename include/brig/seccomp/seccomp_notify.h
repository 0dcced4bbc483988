/* The supervisor's listener for the job's refused system calls. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "brig/seccomp/seccomp.h"

struct seen;

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

struct seccomp_notifier {
	int fd; /* the listener the job sent; -1 until then */
	const struct seccomp_policy *policy;
	seccomp_denial_fn *on_denial; /* the status event; NULL: none */
	void *ctx;
	bool quiet;
	size_t req_size, resp_size;
	struct seen *seen; /* per syscall: how often refused */
	size_t n_seen;
};

int seccomp_notifier_init(struct seccomp_notifier *n, const struct seccomp_policy *p, seccomp_denial_fn *on_denial,
			  void *ctx, bool quiet);
/* Reads, decides, answers and reports one notification. */
int seccomp_notifier_handle(struct seccomp_notifier *n);
unsigned long seccomp_notifier_total(const struct seccomp_notifier *n);
void seccomp_notifier_free(struct seccomp_notifier *n);

/* The supervisor's listener for the job's refused system calls. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/seccomp/seccomp.h"

struct seen;

struct seccomp_notifier {
	int fd; /* the listener the job sent; -1 until then */
	const struct seccomp_policy *policy;
	const char *job_id;
	int status_fd;
	bool quiet;
	size_t req_size, resp_size;
	struct seen *seen; /* per syscall: how often refused */
	size_t n_seen;
};

int seccomp_notifier_init(struct seccomp_notifier *n, const struct seccomp_policy *p, const char *job_id,
			  int status_fd, bool quiet);
/* Reads, decides, answers and reports one notification. */
int seccomp_notifier_handle(struct seccomp_notifier *n);
unsigned long seccomp_notifier_total(const struct seccomp_notifier *n);
void seccomp_notifier_free(struct seccomp_notifier *n);

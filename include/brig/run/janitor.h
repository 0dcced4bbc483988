/* The janitor: a small process that outlives a killed supervisor just long
 * enough to remove the host state its job owned. A supervisor that ends
 * normally tears down itself and then stops its janitor. */
#pragma once
#include <sys/types.h>

struct janitor {
	pid_t pid;    /* 0: none running */
	int fd;       /* the supervisor's end: the janitor acts on its EOF */
};

typedef void (*janitor_fn)(void *ctx);

/* Forks the janitor. It leaves the caller's session (a signal to the
 * process group must not take it down too), keeps only stderr and the
 * descriptors in keep[] (n_keep of them; -1 entries are skipped), and
 * runs fn(ctx) on its copy of the caller's memory when the supervisor
 * dies without stopping it. */
int janitor_start(struct janitor *jn, janitor_fn fn, void *ctx, const int *keep, size_t n_keep);

/* The supervisor did its own teardown: the janitor has nothing to do. */
void janitor_stop(struct janitor *jn);

/* The ceilings of the job's own user namespace on the per-user kernel
 * counts (its /proc/sys/user/max_*): the defaults, and what `user-limit
 * NAME=N` changes. Written by src/run/userns.c. */
#pragma once
#include <stddef.h>

struct brig_config;

/* One /proc/sys/user/max_NAME: its default, and the default under
 * allow-userns (0: the same). */
struct user_limit_def {
	const char *name; /* without "max_": "inotify_instances" */
	int value, with_userns;
};
extern const struct user_limit_def user_limit_defs[];
extern const size_t user_limit_count;

/* One `user-limit NAME=N`: which entry of user_limit_defs, and N. */
struct user_limit {
	unsigned which;
	int value;
};

/* Parses "NAME=N" (N from 0 to INT_MAX); -EINVAL otherwise. */
int user_limit_parse(const char *arg, struct user_limit *out);
/* The value for entry i of user_limit_defs in a job of c: the last
 * user-limit naming it, else its default (with or without allow-userns). */
int user_limit_value(const struct brig_config *c, size_t i);

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "brig/config/config.h"
#include "brig/config/user_limits.h"
#include "brig/lib/util.h"

const struct user_limit_def user_limit_defs[] = {
	/* A file watcher per tool (editors, test runners, webpack) is a
	 * handful each; the host's default is 128 for every user. */
	{ "inotify_instances", 64, 0 },
	{ "inotify_watches", 65536, 0 },
	{ "fanotify_groups", 16, 0 },
	{ "fanotify_marks", 8192, 0 },
	/* The policy refuses new namespaces; the kernel does too, unless
	 * allow-userns lets the job nest containers. Mount namespaces are
	 * the exception: every fsmount and open_tree clone makes a short-lived
	 * anonymous one, and brig's own setup makes those in the namespace. */
	{ "user_namespaces", 0, 256 },
	{ "mnt_namespaces", 256, 1024 },
	{ "pid_namespaces", 0, 1024 },
	{ "net_namespaces", 0, 1024 },
	{ "ipc_namespaces", 0, 1024 },
	{ "uts_namespaces", 0, 1024 },
	{ "cgroup_namespaces", 0, 1024 },
	{ "time_namespaces", 0, 1024 },
};
const size_t user_limit_count = ARRAY_SIZE(user_limit_defs);

int user_limit_parse(const char *arg, struct user_limit *out)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return -EINVAL;
	size_t len = (size_t)(eq - arg);
	for (size_t i = 0; i < user_limit_count; i++) {
		if (strlen(user_limit_defs[i].name) != len || strncmp(arg, user_limit_defs[i].name, len) != 0)
			continue;
		char *end;
		errno = 0;
		long v = strtol(eq + 1, &end, 10);
		if (errno || *end || eq[1] < '0' || eq[1] > '9' || v > INT_MAX)
			return -EINVAL;
		*out = (struct user_limit){ .which = (unsigned)i, .value = (int)v };
		return 0;
	}
	return -EINVAL;
}

int user_limit_value(const struct brig_config *c, size_t i)
{
	for (size_t k = c->n_user_limits; k-- > 0;)
		if (c->user_limits[k].which == i)
			return c->user_limits[k].value;
	const struct user_limit_def *d = &user_limit_defs[i];
	return c->allow_userns && d->with_userns ? d->with_userns : d->value;
}

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/lib/sys.h"
#include "brig/run/userns.h"
#include "brig/lib/util.h"

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	return sys_write_file(path, text);
}

int userns_write_maps(pid_t child, const struct brig_config *c)
{
	char umap[64], gmap[64];
	int r;

	if (c->rootless) {
		snprintf(umap, sizeof umap, "0 %u 1\n", (unsigned)geteuid());
		snprintf(gmap, sizeof gmap, "0 %u 1\n", (unsigned)getegid());
	} else {
		snprintf(umap, sizeof umap, "0 %u %u\n", c->uid_base, c->uid_count);
		snprintf(gmap, sizeof gmap, "0 %u %u\n", c->uid_base, c->uid_count);
	}
	if ((r = write_file(child, "uid_map", umap)) < 0)
		return r;
	/* Unprivileged writers must give up setgroups() before a gid map is
	 * accepted; otherwise the job could drop a group that denies it access. */
	if (c->rootless && (r = write_file(child, "setgroups", "deny")) < 0)
		return r;
	return write_file(child, "gid_map", gmap);
}

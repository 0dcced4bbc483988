/* The rootfs directive's part of config_finish: whether the tree named is
 * one a job may use. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/config/config.h"
#include "brig/lib/err.h"
#include "brig/lib/sys.h"
#include "brig/lib/util.h"

/* The job's PATH (env.c), where a bare command name is looked for. */
static const char *const job_path[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL };

/* A regular file at path inside the tree, links resolved as the job would. */
static bool tree_has_file(int tree, const char *path)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	while (*path == '/')
		path++;
	_cleanup_close_ int fd = sys_openat2(tree, path, &how);
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

static bool tree_has_command(int tree, const char *cmd)
{
	char path[4096];
	if (strchr(cmd, '/'))
		return cmd[0] == '/' && tree_has_file(tree, cmd);
	for (const char *const *d = job_path; *d; d++) {
		snprintf(path, sizeof path, "%s/%s", *d, cmd);
		if (tree_has_file(tree, path))
			return true;
	}
	return false;
}

int config_check_rootfs(const struct brig_config *c, struct brig_err *e)
{
	char where[512];
	struct stat st;
	if (!c->rootfs)
		return 0;
	config_where(config_last_origin(c, "rootfs"), "rootfs", where, sizeof where);
	_cleanup_close_ int tree = open(c->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tree < 0 || fstat(tree, &st) < 0) {
		int r = -errno;
		return err_set(e, r, "%s %s: %s", where, c->rootfs, strerror(-r));
	}
	uid_t me = geteuid();
	if (st.st_uid != 0 && !(c->rootless && st.st_uid == me))
		return err_set(e, -EPERM, "%s %s: owned by uid %u; a tree must belong to root%s", where, c->rootfs,
			       (unsigned)st.st_uid, c->rootless ? " or to you" : "");
	if (st.st_mode & S_IWOTH)
		return err_set(e, -EPERM, "%s %s: writable by others; anyone could change what the job runs (chmod o-w)",
			       where, c->rootfs);
	const char *cmd = c->argv && c->argv[0] ? c->argv[0] : "/bin/sh";
	if (!tree_has_file(tree, "/bin/sh") && !tree_has_command(tree, cmd))
		return err_set(e, -ENOEXEC, "%s %s: has neither /bin/sh nor %s; not a root file system (see rootfs/mkrootfs)",
			       where, c->rootfs, cmd);
	return 0;
}

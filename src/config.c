#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/config.h"
#include "brig/log.h"

void config_init(struct brig_config *c)
{
	*c = (struct brig_config){
		.uid_base = BRIG_DEFAULT_UID_BASE,
		.uid_count = BRIG_DEFAULT_UID_COUNT,
		.status_fd = -1,
	};
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void config_free(struct brig_config *c)
{
	free(c->workspace);
	free(c->chdir);
	free(c->hostname);
	free(c->rootfs);
	free(c->status_file);
	free(c->seccomp);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].src);
		free(c->mounts[i].dst);
	}
	free(c->mounts);
	free(c->pass_fds);
	free(c->caps);
	free_strv(c->env_set, c->n_env_set);
	free_strv(c->env_pass, c->n_env_pass);
	config_init(c);
}

static int need_dir(const char *opt, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		log_error("--%s %s: %s", opt, path, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_error("--%s %s: %s", opt, path, strerror(ENOTDIR));
		return -ENOTDIR;
	}
	return 0;
}

static int need_exists(const char *opt, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		log_error("--%s %s: %s", opt, path, strerror(e));
		return -e;
	}
	return 0;
}

/* Everything that can be checked before a namespace exists is checked here,
 * so a bad request fails with one precise line and nothing started. */
int config_finish(struct brig_config *c)
{
	int r;

	if (!c->argv || !c->argv[0]) {
		log_error("run: no command given (usage: brig run [OPTION...] [--] COMMAND [ARG...])");
		return -EINVAL;
	}
	c->rootless = geteuid() != 0;
	if (c->rootless && c->uid_range_set) {
		log_error("--uid-range: needs root (unprivileged, only the caller's own id can be mapped)");
		return -EPERM;
	}
	if (c->rootless && c->user_set && (c->user != 0 || c->group != 0)) {
		log_error("--user %u:%u: needs root (unprivileged, only root inside is mapped)", c->user, c->group);
		return -EPERM;
	}
	if (!c->rootless && c->user_set && (c->user >= c->uid_count || c->group >= c->uid_count)) {
		log_error("--user %u:%u: outside the mapped range of %u ids", c->user, c->group, c->uid_count);
		return -ERANGE;
	}
	if (c->workspace && (r = need_dir("workspace", c->workspace)) < 0)
		return r;
	if (c->rootfs) {
		if ((r = need_dir("rootfs", c->rootfs)) < 0)
			return r;
		if (strcmp(c->rootfs, "/") == 0) {
			log_error("--rootfs /: the host's root cannot be a job's root");
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct brig_mount *m = &c->mounts[i];
		if (m->kind == MNT_TMPFS)
			continue;
		r = need_exists(m->kind == MNT_BIND ? "bind" : "ro-bind", m->src);
		if (r < 0)
			return r;
		if (strcmp(m->dst, "/") == 0) {
			log_error("--%s %s: cannot be mounted over the job's root",
				  m->kind == MNT_BIND ? "bind" : "ro-bind", m->src);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < c->n_pass_fds; i++) {
		if (fcntl(c->pass_fds[i], F_GETFD) < 0) {
			int e = errno;
			log_error("--pass-fd %d: %s", c->pass_fds[i], strerror(e));
			return -e;
		}
		if (c->pass_fds[i] == c->status_fd) {
			log_error("--pass-fd %d: is also the --status-fd", c->pass_fds[i]);
			return -EINVAL;
		}
	}
	if (c->status_fd >= 0 && fcntl(c->status_fd, F_GETFD) < 0) {
		int e = errno;
		log_error("--status-fd %d: %s", c->status_fd, strerror(e));
		return -e;
	}
	if (c->status_fd >= 0 && c->status_file) {
		log_error("--status-file: cannot be combined with --status-fd");
		return -EINVAL;
	}
	return 0;
}

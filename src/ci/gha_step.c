/* A step's sandbox (see brig/ci/gha_step.h). Its host directories are
 * bound through descriptors opened here: the job can write below the
 * work directory, so a path there is resolved without following any link
 * (a step that replaced _temp/_github_home with a link to / gets a
 * refusal, not the host's root), and what is checked is what is bound. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "brig/ci/ci.h"
#include "brig/ci/gha_step.h"
#include "brig/cli/cli.h"
#include "brig/cli/profile.h"
#include "brig/config/config.h"
#include "brig/lib/log.h"
#include "brig/lib/sys.h"
#include "brig/lib/util.h"
#include "brig/run/env.h"
#include "brig/run/sandbox.h"

#define MAX_FDS 64

bool gha_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

struct build {
	struct brig_config c;
	int fds[MAX_FDS];
	size_t n_fds;
	int work_fd;
};

static int apply(struct brig_config *c, const char *name, const char *arg)
{
	const char *why = "";
	int r = cli_apply(cli_find(name), c, arg, NULL, 0, 0, &why);
	if (r < 0)
		log_error("gha: --%s %.200s: %s", name, arg, why);
	return r;
}

/* A directory of the job, opened as the bind's source. */
static int open_source(struct build *b, const struct gha_job *job, const char *src)
{
	_cleanup_free_ char *norm = NULL;
	int fd;
	if (path_normalise(src, &norm) < 0) {
		log_error("gha: volume source %.200s: expected an absolute path", src);
		return -EINVAL;
	}
	if (gha_path_under(norm, job->work)) {
		const char *rel = norm + strlen(job->work);
		rel += *rel == '/';
		struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
					.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
		fd = sys_openat2(b->work_fd, *rel ? rel : ".", &how);
	} else if (job->externals && strcmp(norm, job->externals) == 0) {
		fd = open(norm, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		log_error("gha: volume source %.200s is outside the runner's work directory %.200s: not bound", src, job->work);
		return -EPERM;
	}
	if (fd < 0) {
		int e = errno;
		log_error("gha: volume source %.200s: %s%s", src, strerror(e),
			  e == ELOOP || e == EXDEV ? " (a link: the job's directories are bound only as directories)" : "");
		return -e;
	}
	if (b->n_fds == MAX_FDS) {
		close(fd);
		log_error("gha: more than %d volumes", MAX_FDS);
		return -E2BIG;
	}
	b->fds[b->n_fds++] = fd;
	return fd;
}

/* As root, brig clones the bind's source in this process, before the
 * job's namespaces exist: it gets the very directory opened and checked
 * here. Rootless brig clones it inside the job's new mount namespace,
 * where a descriptor of this one's mounts cannot be cloned, so it gets
 * the path that was checked; no step runs meanwhile (each step's
 * processes end with it, and the runner calls the hook for one step at a
 * time), so nothing can swap a link in between. */
static int bind_fd(struct build *b, int fd, const char *src, const char *target, bool ro)
{
	char arg[2 * PATH_MAX + 64];
	_cleanup_free_ char *dst = NULL, *norm = NULL;
	if (path_normalise(target, &dst) < 0 || strcmp(dst, "/") == 0) {
		log_error("gha: volume target %.200s: expected an absolute path other than /", target);
		return -EINVAL;
	}
	if (geteuid() == 0)
		snprintf(arg, sizeof arg, "/proc/self/fd/%d:%s", fd, dst);
	else if (path_normalise(src, &norm) == 0)
		snprintf(arg, sizeof arg, "%s:%s", norm, dst);
	else
		return -EINVAL;
	return apply(&b->c, ro ? "ro-bind" : "bind", arg);
}

static int add_env(struct brig_config *c, const char *key, const char *value)
{
	_cleanup_free_ char *kv = NULL;
	const char *why = "";
	if (asprintf(&kv, "%s=%s", key, value) < 0)
		return -ENOMEM;
	int r = cli_apply(cli_find("env"), c, kv, NULL, 0, 0, &why);
	if (r == -ENOMEM || r == -E2BIG) {
		log_error("gha: the step's variables: %s", strerror(-r));
		return r;
	}
	if (r < 0) /* a name no program could read */
		log_warn("gha: variable %.64s not passed: %s", key, why);
	return 0;
}

static const char *lookup(const struct gha_step *s, const char *key)
{
	const char *v = NULL;
	for (size_t e = 0; e < ARRAY_SIZE(s->env); e++)
		for (size_t i = 0; i < s->env[e].n; i++)
			if (strcmp(s->env[e].kv[i].key, key) == 0)
				v = s->env[e].kv[i].value;
	return v;
}

/* The docker hook's environment: the job container's variables, then the
 * step's, PATH with the runner's additions in front, and GITHUB_ACTIONS
 * and CI unless the job set them. */
static int add_environment(struct build *b, const struct gha_step *s)
{
	int r;
	if (!lookup(s, "GITHUB_ACTIONS") && (r = add_env(&b->c, "GITHUB_ACTIONS", "true")) < 0)
		return r;
	if (!lookup(s, "CI") && (r = add_env(&b->c, "CI", "true")) < 0)
		return r;
	for (size_t e = 0; e < ARRAY_SIZE(s->env); e++)
		for (size_t i = 0; i < s->env[e].n; i++)
			if (strcmp(s->env[e].kv[i].key, "PATH") != 0 &&
			    (r = add_env(&b->c, s->env[e].kv[i].key, s->env[e].kv[i].value)) < 0)
				return r;
	const char *base = lookup(s, "PATH");
	size_t len = strlen(base ? base : ENV_DEFAULT_PATH) + 1;
	for (size_t i = 0; i < s->n_prepend_path; i++)
		len += strlen(s->prepend_path[i]) + 1;
	_cleanup_free_ char *path = malloc(len);
	if (!path)
		return -ENOMEM;
	path[0] = '\0';
	for (size_t i = 0; i < s->n_prepend_path; i++) {
		strcat(path, s->prepend_path[i]);
		strcat(path, ":");
	}
	strcat(path, base ? base : ENV_DEFAULT_PATH);
	return add_env(&b->c, "PATH", path);
}

static int build(struct build *b, const struct gha_step *s, int status_fd)
{
	const struct gha_job *job = s->job;
	char arg[32];
	int r;
	if ((r = config_new_job_id(&b->c)) < 0 || (r = profile_load(job->profile, &b->c)) < 0)
		return r;
	/* The job's tree, whatever the profile says: the image decides it. */
	if ((r = apply(&b->c, "rootfs", s->rootfs)) < 0)
		return r;
	b->work_fd = open(job->work, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (b->work_fd < 0) {
		log_error("gha: the work directory %s: %s", job->work, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		int fd = open_source(b, job, s->mounts[i].source);
		if (fd < 0)
			return fd;
		/* The runner's externals (its node, for JavaScript actions)
		 * are read-only whatever the request says. */
		bool ro = s->mounts[i].read_only || (job->externals && strcmp(s->mounts[i].source, job->externals) == 0);
		if ((r = bind_fd(b, fd, s->mounts[i].source, s->mounts[i].target, ro)) < 0)
			return r;
	}
	for (size_t i = 0; i < s->n_tmpfs; i++)
		if ((r = apply(&b->c, "tmpfs", s->tmpfs[i])) < 0)
			return r;
	if ((r = add_environment(b, s)) < 0)
		return r;
	if (s->workdir && *s->workdir && (r = apply(&b->c, "chdir", s->workdir)) < 0)
		return r;
	if (status_fd >= 0) {
		snprintf(arg, sizeof arg, "%d", status_fd);
		if ((r = apply(&b->c, "status-fd", arg)) < 0)
			return r;
	}
	b->c.argv = s->argv;
	struct brig_err e = BRIG_ERR_INIT;
	if ((r = config_finish(&b->c, &e)) < 0)
		err_log(&e);
	return r;
}

int gha_step_run(const struct gha_step *s, bool dry_run)
{
	struct build b = { .work_fd = -1 };
	_cleanup_close_ int status = -1;
	int code = -EINVAL;
	config_init(&b.c);
	if (!dry_run && (status = memfd_create("brig-gha-status", MFD_CLOEXEC)) < 0) {
		code = -errno;
		log_error("gha: %s", strerror(errno));
		goto out;
	}
	if ((code = build(&b, s, status)) < 0 || dry_run)
		goto out;
	int r = sandbox_run(&b.c);
	code = ci_job_code(status);
	if (code < 0) {
		/* Nothing of the step ran: brig's own failure, already said. */
		log_error("gha: the step's sandbox could not be set up (brig exit %d)", r);
		code = -EIO;
	}
out:
	b.c.argv = NULL;
	config_free(&b.c);
	for (size_t i = 0; i < b.n_fds; i++)
		close(b.fds[i]);
	if (b.work_fd >= 0)
		close(b.work_fd);
	return code;
}

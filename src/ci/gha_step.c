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
#include "brig/lib/err.h"
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

static int apply(struct brig_config *c, const char *name, const char *arg, struct brig_err *e)
{
	const char *why = "";
	int r = cli_apply(cli_find(name), c, arg, NULL, 0, 0, &why);
	if (r < 0)
		return err_set(e, r, "gha: --%s %.200s: %s", name, arg, why);
	return r;
}

/* A directory of the job, opened as the bind's source. */
static int open_source(struct build *b, const struct gha_job *job, const char *src, struct brig_err *e)
{
	_cleanup_free_ char *norm = NULL;
	int fd;
	if (path_normalise(src, &norm) < 0)
		return err_set(e, -EINVAL, "gha: volume source %.200s: expected an absolute path", src);
	if (gha_path_under(norm, job->work)) {
		const char *rel = norm + strlen(job->work);
		rel += *rel == '/';
		struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
					.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
		fd = sys_openat2(b->work_fd, *rel ? rel : ".", &how);
	} else if (job->externals && strcmp(norm, job->externals) == 0) {
		fd = open(norm, O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		return err_set(e, -EPERM, "gha: volume source %.200s is outside the runner's work directory %.200s: not bound",
			       src, job->work);
	}
	if (fd < 0) {
		int code = errno;
		return err_set(e, -code, "gha: volume source %.200s: %s%s", src, strerror(code),
			       code == ELOOP || code == EXDEV ? " (a link: the job's directories are bound only as directories)"
							      : "");
	}
	if (b->n_fds == MAX_FDS) {
		close(fd);
		return err_set(e, -E2BIG, "gha: more than %d volumes", MAX_FDS);
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
static int bind_fd(struct build *b, int fd, const char *src, const char *target, bool ro, struct brig_err *e)
{
	char arg[2 * PATH_MAX + 64];
	_cleanup_free_ char *dst = NULL, *norm = NULL;
	if (path_normalise(target, &dst) < 0 || strcmp(dst, "/") == 0)
		return err_set(e, -EINVAL, "gha: volume target %.200s: expected an absolute path other than /", target);
	if (geteuid() == 0)
		snprintf(arg, sizeof arg, "/proc/self/fd/%d:%s", fd, dst);
	else if (path_normalise(src, &norm) == 0)
		snprintf(arg, sizeof arg, "%s:%s", norm, dst);
	else
		return err_set(e, -EINVAL, "gha: volume source %.200s: expected an absolute path", src);
	return apply(&b->c, ro ? "ro-bind" : "bind", arg, e);
}

static int add_env(struct brig_config *c, const char *key, const char *value, struct brig_err *e)
{
	_cleanup_free_ char *kv = NULL;
	const char *why = "";
	if (asprintf(&kv, "%s=%s", key, value) < 0)
		return err_set(e, -ENOMEM, "gha: the step's variables: %s", strerror(ENOMEM));
	int r = cli_apply(cli_find("env"), c, kv, NULL, 0, 0, &why);
	if (r == -ENOMEM || r == -E2BIG)
		return err_set(e, r, "gha: the step's variables: %s", strerror(-r));
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
static int add_environment(struct build *b, const struct gha_step *s, struct brig_err *e)
{
	int r;
	if (!lookup(s, "GITHUB_ACTIONS") && (r = add_env(&b->c, "GITHUB_ACTIONS", "true", e)) < 0)
		return r;
	if (!lookup(s, "CI") && (r = add_env(&b->c, "CI", "true", e)) < 0)
		return r;
	for (size_t k = 0; k < ARRAY_SIZE(s->env); k++)
		for (size_t i = 0; i < s->env[k].n; i++)
			if (strcmp(s->env[k].kv[i].key, "PATH") != 0 &&
			    (r = add_env(&b->c, s->env[k].kv[i].key, s->env[k].kv[i].value, e)) < 0)
				return r;
	const char *base = lookup(s, "PATH");
	size_t len = strlen(base ? base : ENV_DEFAULT_PATH) + 1;
	for (size_t i = 0; i < s->n_prepend_path; i++)
		len += strlen(s->prepend_path[i]) + 1;
	_cleanup_free_ char *path = malloc(len);
	if (!path)
		return err_set(e, -ENOMEM, "gha: the step's variables: %s", strerror(ENOMEM));
	path[0] = '\0';
	for (size_t i = 0; i < s->n_prepend_path; i++) {
		strcat(path, s->prepend_path[i]);
		strcat(path, ":");
	}
	strcat(path, base ? base : ENV_DEFAULT_PATH);
	return add_env(&b->c, "PATH", path, e);
}

static int build(struct build *b, const struct gha_step *s, int status_fd, struct brig_err *e)
{
	const struct gha_job *job = s->job;
	char arg[32];
	int r;
	struct brig_reporter first = { .fn = brig_report_first, .ctx = e };
	struct profile_opts po = { .report = &first };
	if ((r = config_new_job_id(&b->c)) < 0)
		return err_set(e, r, "gha: cannot make a job id: %s", strerror(-r));
	if ((r = profile_load_with(job->profile, &b->c, &po)) < 0)
		return e ? (e->code = r) : r;
	/* The job's tree, whatever the profile says: the image decides it. */
	if ((r = apply(&b->c, "rootfs", s->rootfs, e)) < 0)
		return r;
	b->work_fd = open(job->work, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (b->work_fd < 0)
		return err_set(e, -errno, "gha: the work directory %s: %s", job->work, strerror(errno));
	for (size_t i = 0; i < s->n_mounts; i++) {
		int fd = open_source(b, job, s->mounts[i].source, e);
		if (fd < 0)
			return fd;
		/* The runner's externals (its node, for JavaScript actions)
		 * are read-only whatever the request says. */
		bool ro = s->mounts[i].read_only || (job->externals && strcmp(s->mounts[i].source, job->externals) == 0);
		if ((r = bind_fd(b, fd, s->mounts[i].source, s->mounts[i].target, ro, e)) < 0)
			return r;
	}
	for (size_t i = 0; i < s->n_tmpfs; i++)
		if ((r = apply(&b->c, "tmpfs", s->tmpfs[i], e)) < 0)
			return r;
	if ((r = add_environment(b, s, e)) < 0)
		return r;
	if (s->workdir && *s->workdir && (r = apply(&b->c, "chdir", s->workdir, e)) < 0)
		return r;
	if (status_fd >= 0) {
		snprintf(arg, sizeof arg, "%d", status_fd);
		if ((r = apply(&b->c, "status-fd", arg, e)) < 0)
			return r;
	}
	b->c.argv = s->argv;
	return config_finish(&b->c, e);
}

int gha_step_run(const struct gha_step *s, bool dry_run, struct brig_err *e)
{
	struct build b = { .work_fd = -1 };
	_cleanup_close_ int status = -1;
	int code = -EINVAL;
	config_init(&b.c);
	if (!dry_run && (status = memfd_create("brig-gha-status", MFD_CLOEXEC)) < 0) {
		code = err_at(e, -errno, "gha", "the step's status");
		goto out;
	}
	if ((code = build(&b, s, status, e)) < 0 || dry_run)
		goto out;
	int r = sandbox_run(&b.c);
	code = ci_job_code(status);
	if (code < 0) /* nothing of the step ran: sandbox_run said why */
		code = err_set(e, -EIO, "gha: the step's sandbox could not be set up (brig exit %d)", r);
out:
	b.c.argv = NULL;
	config_free(&b.c);
	for (size_t i = 0; i < b.n_fds; i++)
		close(b.fds[i]);
	if (b.work_fd >= 0)
		close(b.work_fd);
	return code;
}

/* `brig gha-hook`: the four commands of the runner's container hooks
 * (docs/github.md). One sandbox per step: prepare_job checks everything
 * and records the job, each step is a fresh sandbox on the job's tree
 * with the job's directories, cleanup_job removes the record. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brig/ci/gha.h"
#include "brig/ci/gha_images.h"
#include "brig/ci/gha_input.h"
#include "brig/ci/gha_job.h"
#include "brig/ci/gha_policy.h"
#include "brig/ci/gha_response.h"
#include "brig/ci/gha_step.h"
#include "brig/lib/exit.h"
#include "brig/lib/log.h"
#include "brig/lib/util.h"

#define WORK_TARGET "/__w"
#define EXTERNALS_TARGET "/__e"

/* The runner's own files, next to _work: their presence in what would be
 * bound as /__w means the work directory is the runner's root. */
static const char *const runner_secrets[] = { ".runner", ".credentials", ".credentials_rsaparams" };

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > GHA_INPUT_MAX) {
				free(buf);
				return -EFBIG;
			}
			char *g = realloc(buf, cap *= 2);
			if (!g) {
				free(buf);
				return -ENOMEM;
			}
			buf = g;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* The words of an entry point's arguments, as the reference hooks make
 * them: joined with blanks, split again as a shell would. */
static int join_split(char *const *args, size_t n, char ***words, size_t *count, struct brig_err *e)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(args[i]) + 1;
	_cleanup_free_ char *joined = calloc(1, len);
	if (!joined)
		return err_at(e, -ENOMEM, "gha", "the step's arguments");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(joined, " ");
		strcat(joined, args[i]);
	}
	int r = gha_split_words(joined, words, count);
	if (r == -EINVAL)
		return err_set(e, r, "gha: the step's arguments have an unbalanced quote: %.200s", joined);
	if (r < 0)
		return err_at(e, r, "gha", "the step's arguments");
	return r;
}

static char **make_argv(const char *entry, char **words, size_t n)
{
	char **argv = calloc(n + 2, sizeof *argv);
	if (!argv)
		return NULL;
	size_t k = 0;
	if (entry)
		argv[k++] = (char *)entry;
	for (size_t i = 0; i < n; i++)
		argv[k++] = words[i];
	return argv;
}

static int job_of(const struct gha_request *req, struct gha_job *job, struct brig_err *e)
{
	memset(job, 0, sizeof *job);
	if (!req->job)
		return err_set(e, -EINVAL, "gha: %s: %s", gha_command_name(req->command),
			       req->has_state ? "the state is not one brig's prepare_job returned"
					      : "no state: prepare_job did not run (brig needs a job container: set ACTIONS_RUNNER_REQUIRE_JOB_CONTAINER=true)");
	return gha_job_load(req->job, job, e);
}

/* Anonymous volumes (a target only) become per-step directories. */
static int anonymous_volumes(const struct gha_container *c, char ***out, size_t *n)
{
	*out = calloc(c->n_user + 1, sizeof **out);
	*n = 0;
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_user; i++)
		if (!c->user[i].source && !((*out)[(*n)++] = strdup(c->user[i].target)))
			return -ENOMEM;
	return 0;
}

static int resolve_image(const struct gha_container *c, const char *what, char **rootfs, struct brig_err *e)
{
	if (c->dockerfile)
		return err_set(e, -EPERM,
			       "gha: %s: an image built from %.200s refused: brig builds no images; map a prebuilt tree in %s",
			       what, c->dockerfile, gha_images_path());
	if (!c->image)
		return err_set(e, -EINVAL, "gha: %s has no image", what);
	return gha_image_resolve(c->image, rootfs, e);
}

/* The job container's system volumes: /__w names the work directory,
 * /__e the runner's externals; docker.sock is dropped (root on any host
 * that has it); the rest must lie below the work directory, which the
 * dry run checks. */
static int system_volumes(const struct gha_container *c, struct gha_job *job, struct brig_err *e)
{
	if (!(job->mounts = calloc(c->n_system + 1, sizeof *job->mounts)))
		return err_at(e, -ENOMEM, "gha", "the job container's volumes");
	for (size_t i = 0; i < c->n_system; i++) {
		const struct gha_mount *m = &c->system[i];
		if (gha_is_docker_socket(m) || !m->source)
			continue;
		_cleanup_free_ char *src = NULL, *dst = NULL;
		if (path_normalise(m->source, &src) < 0 || path_normalise(m->target, &dst) < 0)
			return err_set(e, -EINVAL, "gha: system volume %.200s:%.200s: expected absolute paths", m->source,
				       m->target);
		if ((strcmp(dst, WORK_TARGET) == 0 && !job->work && !(job->work = strdup(src))) ||
		    (strcmp(dst, EXTERNALS_TARGET) == 0 && !job->externals && !(job->externals = strdup(src))))
			return err_at(e, -ENOMEM, "gha", "the job container's volumes");
		struct gha_mount *out = &job->mounts[job->n_mounts++];
		out->source = TAKE_PTR(src);
		out->target = TAKE_PTR(dst);
		out->read_only = m->read_only;
	}
	if (!job->work)
		return err_set(e, -EINVAL, "gha: the job container has no %s volume: the runner's work directory is unknown",
			       WORK_TARGET);
	_cleanup_close_ int dir = open(job->work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return err_set(e, -errno, "gha: the work directory %.200s: %s", job->work, strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(runner_secrets); i++)
		if (faccessat(dir, runner_secrets[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return err_set(e, -EPERM,
				       "gha: the work directory %.200s holds the runner's %s: it is the runner's own directory, never a job's",
				       job->work, runner_secrets[i]);
	return 0;
}

static struct gha_step job_step(const struct gha_job *job)
{
	return (struct gha_step){ .job = job, .rootfs = job->rootfs, .mounts = job->mounts, .n_mounts = job->n_mounts,
				  .tmpfs = (const char *const *)job->tmpfs, .n_tmpfs = job->n_tmpfs,
				  .env = { { job->env, job->n_env } } };
}

/* Each command returns the exit status for the runner (a step's own),
 * or -errno with e saying why; gha_main prints it, once. */
static int cmd_prepare(const struct gha_request *req, struct brig_err *e)
{
	struct gha_job job = { 0 };
	const struct gha_container *c = req->container;
	char *const no_args[] = { "true", NULL };
	int r = -ENOMEM, fd = -1;
	if (req->n_services)
		return err_set(e, -EPERM,
			       "gha: prepare_job: the job has %zu service container%s (the first: %.200s): brig runs no services; "
			       "remove `services:` or run this workflow elsewhere",
			       req->n_services, req->n_services > 1 ? "s" : "",
			       req->services[0].image ? req->services[0].image : "?");
	if (!c)
		return err_set(e, -EPERM,
			       "gha: prepare_job without a job container: brig runs steps only in one (set ACTIONS_RUNNER_REQUIRE_JOB_CONTAINER=true)");
	const char *profile = getenv(GHA_PROFILE_ENV);
	if (!(job.profile = strdup(profile && *profile ? profile : GHA_DEFAULT_PROFILE)) ||
	    (c->image && !(job.image = strdup(c->image))))
		goto nomem;
	if ((r = resolve_image(c, "the job container", &job.rootfs, e)) < 0 ||
	    (r = gha_check_container(c, "the job container", e)) < 0 || (r = system_volumes(c, &job, e)) < 0)
		goto out;
	if ((r = anonymous_volumes(c, &job.tmpfs, &job.n_tmpfs)) < 0)
		goto nomem;
	if ((fd = gha_response_open(job.work, req->response_file, e)) < 0) {
		r = fd;
		goto out;
	}
	job.alpine = gha_rootfs_is_alpine(job.rootfs);
	if (!(job.env = calloc(c->n_env + 1, sizeof *job.env)))
		goto nomem;
	for (size_t i = 0; i < c->n_env; i++, job.n_env++)
		if (!(job.env[i].key = strdup(c->env[i].key)) || !(job.env[i].value = strdup(c->env[i].value)))
			goto nomem;
	/* Every step's sandbox, built once without running: the profile, the
	 * tree and the volumes fail here, before the job starts. */
	struct gha_step s = job_step(&job);
	s.argv = (char **)no_args;
	s.workdir = c->working_dir;
	if ((r = gha_step_run(&s, true, e)) < 0 || (r = gha_job_save(&job, e)) < 0)
		goto out;
	r = gha_response_prepare(TAKE_FD(fd), job.id, job.alpine, e);
	if (r < 0)
		gha_job_remove(job.id);
	goto out;
nomem:
	r = err_at(e, -ENOMEM, "gha", "prepare_job");
out:
	if (fd >= 0)
		close(fd);
	gha_job_free(&job);
	return r;
}

static int cmd_script(const struct gha_request *req, struct brig_err *e)
{
	struct gha_job job;
	const struct gha_script *sc = &req->script;
	char **words = NULL, **argv = NULL;
	size_t n = 0;
	int code = job_of(req, &job, e);
	if (code < 0 || (code = join_split(sc->entry_point_args, sc->n_entry_point_args, &words, &n, e)) < 0)
		goto out;
	if (!(argv = make_argv(sc->entry_point, words, n))) {
		code = err_at(e, -ENOMEM, "gha", "the step's arguments");
		goto out;
	}
	struct gha_step s = job_step(&job);
	s.env[1] = (struct gha_env){ sc->env, sc->n_env };
	s.prepend_path = (const char *const *)sc->prepend_path;
	s.n_prepend_path = sc->n_prepend_path;
	s.workdir = sc->working_dir;
	s.argv = argv;
	code = gha_step_run(&s, false, e);
out:
	free(argv);
	gha_words_free(words);
	gha_job_free(&job);
	return code;
}

static int cmd_container(const struct gha_request *req, struct brig_err *e)
{
	struct gha_job job;
	const struct gha_container *c = &req->step;
	char **words = NULL, **argv = NULL, **tmpfs = NULL;
	_cleanup_free_ char *rootfs = NULL;
	struct gha_mount *mounts = NULL;
	size_t n = 0, n_tmpfs = 0, n_mounts = 0;
	int code = job_of(req, &job, e);
	if (code < 0 || (code = resolve_image(c, "the step's container", &rootfs, e)) < 0 ||
	    (code = gha_check_container(c, "the step's container", e)) < 0)
		goto out;
	if (anonymous_volumes(c, &tmpfs, &n_tmpfs) < 0 || !(mounts = calloc(c->n_system + 1, sizeof *mounts))) {
		code = err_at(e, -ENOMEM, "gha", "the step's volumes");
		goto out;
	}
	for (size_t i = 0; i < c->n_system; i++)
		if (!gha_is_docker_socket(&c->system[i]) && c->system[i].source)
			mounts[n_mounts++] = c->system[i];
	if ((code = join_split(c->entry_point_args, c->n_entry_point_args, &words, &n, e)) < 0)
		goto out;
	const char *entry = c->entry_point && *c->entry_point ? c->entry_point : NULL;
	if (!entry && n == 0) {
		code = err_set(e, -EINVAL,
			       "gha: the step's container %.200s has no command: brig knows no image's default; give the action an entrypoint or args",
			       c->image);
		goto out;
	}
	if (!(argv = make_argv(entry, words, n))) {
		code = err_at(e, -ENOMEM, "gha", "the step's arguments");
		goto out;
	}
	struct gha_step s = { .job = &job, .rootfs = rootfs, .mounts = mounts, .n_mounts = n_mounts,
			      .tmpfs = (const char *const *)tmpfs, .n_tmpfs = n_tmpfs,
			      .env = { { c->env, c->n_env } }, .workdir = c->working_dir, .argv = argv };
	code = gha_step_run(&s, false, e);
out:
	free(argv);
	free(mounts);
	gha_words_free(words);
	gha_words_free(tmpfs);
	gha_job_free(&job);
	return code;
}

static int cmd_cleanup(const struct gha_request *req, struct brig_err *e)
{
	struct gha_job job;
	/* After a prepare_job that failed, the runner has no state: nothing
	 * of brig's exists. */
	if (!req->has_state)
		return 0;
	int r = job_of(req, &job, e);
	if (r < 0)
		return r;
	gha_job_free(&job);
	if ((r = gha_job_remove(req->job)) < 0)
		return err_set(e, r, "gha: cleanup_job: the record of job %s: %s", req->job, strerror(-r));
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: brig gha-hook < REQUEST\n"
		   "The GitHub Actions runner's container hooks (ACTIONS_RUNNER_CONTAINER_HOOKS names the shipped\n"
		   "gha-hook.sh, which runs this): one JSON request on stdin; see docs/github.md.\n\n"
		   "Environment:\n"
		   "  %-20s the image map (default %s)\n"
		   "  %-20s the profile steps run with (default %s)\n"
		   "  %-20s where job records live (default %s as root)\n",
		GHA_IMAGES_ENV, GHA_IMAGES_FILE, GHA_PROFILE_ENV, GHA_DEFAULT_PROFILE, GHA_STATE_ENV, GHA_STATE_DIR);
}

int gha_main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	struct brig_err e = BRIG_ERR_INIT;
	struct gha_request req;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int code, r;
	if (argc > 1) {
		err_set(&e, -EINVAL, "gha-hook takes no arguments: the request comes on standard input (see brig gha-hook --help)");
		goto fail;
	}
	if ((r = read_all(STDIN_FILENO, &text, &len)) < 0) {
		err_set(&e, r, "gha: cannot read the request: %s", strerror(-r));
		goto fail;
	}
	if (gha_input_parse(text, len, &req, &e) < 0) {
		/* The parser's messages say what is wrong, not whose. */
		struct brig_err why = e;
		err_set(&e, why.code, "gha: %s", err_message(&why));
		goto fail;
	}
	switch (req.command) {
	case GHA_PREPARE_JOB:
		code = cmd_prepare(&req, &e);
		break;
	case GHA_RUN_SCRIPT_STEP:
		code = cmd_script(&req, &e);
		break;
	case GHA_RUN_CONTAINER_STEP:
		code = cmd_container(&req, &e);
		break;
	default:
		code = cmd_cleanup(&req, &e);
		break;
	}
	if (code < 0 && !e.code)
		err_at(&e, code, "gha", gha_command_name(req.command));
	gha_request_free(&req);
	if (code >= 0)
		return code;
fail:
	err_log(&e); /* the command's one error line */
	return EXIT_BRIG;
}

/* The GitLab Runner custom executor, as
 * https://docs.gitlab.com/runner/executors/custom.html describes it: the
 * runner calls `config`, then `prepare`, then `run SCRIPT STAGE` once per
 * sub-stage, then `cleanup`, each as a new process whose environment holds
 * the job's variables as CUSTOM_ENV_*. Each `run` is one brig job; what
 * the stages share lives in a per-job state directory on the host:
 *
 *   STATE/jobs/R-C-J/builds   bound at /builds (the runner's builds_dir)
 *   STATE/jobs/R-C-J/home     bound at the job user's home
 *   STATE/jobs/R-C-J/tmp      bound at /tmp
 *   STATE/jobs/R-C-J/overlay  the overlay's upper layers (overlay-upper),
 *                             when the profile's rootfs-mode is overlay
 *   STATE/jobs/R-C-J/cache -> STATE/cache/R-C-P[-protected], at /cache
 *
 * R, C, J, P: CI_RUNNER_ID, CI_CONCURRENT_PROJECT_ID, CI_JOB_ID,
 * CI_PROJECT_ID. The cache outlives the job and belongs to one project on
 * one concurrency slot of one runner: two jobs running at once never share
 * one, and no project restores what another wrote (the runner's own
 * executors key their cache volumes by project too). Jobs of protected
 * refs get a cache of their own, as GitLab keeps their cache keys apart
 * with its -protected suffix: a job of any branch could otherwise plant
 * what a protected pipeline (one holding deployment secrets) restores. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/cli/cli.h"
#include "brig/config/config.h"
#include "brig/fs/etc.h"
#include "brig/ci/ci.h"
#include "brig/ci/gitlab.h"
#include "brig/ci/gitlab_forge.h"
#include "brig/lib/exit.h"
#include "brig/lib/json.h"
#include "brig/lib/log.h"
#include "brig/lib/rmtree.h"
#include "brig/cli/profile.h"
#include "brig/fs/rootfs.h"
#include "brig/run/sandbox.h"
#include "brig/lib/util.h"

extern char **environ;

#define CUSTOM_ENV "CUSTOM_ENV_"

struct gitlab {
	const char *state;   /* --state-dir */
	const char *profile; /* --profile */
	const char *runner_config; /* --runner-config: the runner's config.toml */
	bool runner_config_given;
	char key[80];        /* R-C-J */
	char job[PATH_MAX];  /* STATE/jobs/KEY */
	char cache[PATH_MAX]; /* STATE/cache/R-C-P[-protected] */
};

/* The runner's exit codes: it passes them in the environment, so they can
 * change between releases. Fallbacks for a driver run by hand. */
static int code_from_env(const char *name, int fallback)
{
	const char *v = getenv(name);
	uint64_t n;
	if (!v || parse_u64(v, &n) < 0 || n > 255)
		return fallback;
	return (int)n;
}

static int system_failure(void) { return code_from_env("SYSTEM_FAILURE_EXIT_CODE", 2); }
static int build_failure(void) { return code_from_env("BUILD_FAILURE_EXIT_CODE", 1); }

/* A GitLab id: decimal digits, so that it is safe in a path. */
static const char *id_from_env(const char *name, struct brig_err *e)
{
	const char *v = getenv(name);
	size_t n = v ? strspn(v, "0123456789") : 0;
	if (!v || n == 0 || n > 20 || v[n]) {
		err_set(e, -EINVAL, "gitlab: $%s is %s: expected the decimal id the runner sets", name,
			v ? "not an id" : "not set");
		return NULL;
	}
	return v;
}

static int locate(struct gitlab *g, struct brig_err *e)
{
	const char *runner, *slot, *job, *project;
	if (!(runner = id_from_env(CUSTOM_ENV "CI_RUNNER_ID", e)) ||
	    !(slot = id_from_env(CUSTOM_ENV "CI_CONCURRENT_PROJECT_ID", e)) ||
	    !(job = id_from_env(CUSTOM_ENV "CI_JOB_ID", e)) || !(project = id_from_env(CUSTOM_ENV "CI_PROJECT_ID", e)))
		return -EINVAL;
	/* Only GitLab's own word makes a ref protected: anything else, unset
	 * included, gets the unprotected cache. */
	const char *prot = getenv(CUSTOM_ENV "CI_COMMIT_REF_PROTECTED");
	bool is_protected = prot && strcmp(prot, "true") == 0;
	if (g->state[0] != '/')
		return err_set(e, -EINVAL, "gitlab: --state-dir %s: expected an absolute path", g->state);
	snprintf(g->key, sizeof g->key, "%s-%s-%s", runner, slot, job);
	if ((size_t)snprintf(g->job, sizeof g->job, "%s/jobs/%s", g->state, g->key) >= sizeof g->job ||
	    (size_t)snprintf(g->cache, sizeof g->cache, "%s/cache/%s-%s-%s%s", g->state, runner, slot, project,
			     is_protected ? "-protected" : "") >= sizeof g->cache)
		return err_set(e, -ENAMETOOLONG, "gitlab: --state-dir %s: path too long", g->state);
	return 0;
}

static int sub(const struct gitlab *g, const char *name, char *buf, size_t len)
{
	return (size_t)snprintf(buf, len, "%s/%s", g->job, name) >= len ? -ENAMETOOLONG : 0;
}

/* config */

/* The site's forge, for the gitlab profile's `include site/forge`, from
 * the runner's own configuration when the operator has not written it.
 * Only root may write the site directory; without root the profile's
 * net veth cannot work anyway, and prepare says so. A failure is not the
 * config stage's: prepare names what is missing. */
static void site_forge(const struct gitlab *g)
{
	if (geteuid() != 0)
		return;
	/* A runner configured elsewhere says where with --runner-config. */
	if (!g->runner_config_given && access(g->runner_config, F_OK) < 0 && errno == ENOENT)
		return;
	struct brig_err e = BRIG_ERR_INIT;
	int r = gitlab_forge_write(PROFILE_SITE_DIR, g->runner_config, &e);
	if (r < 0)
		log_warn("%s", err_message(&e));
	else if (r > 0)
		log_warn("gitlab config: wrote %s/forge.inc from %s: jobs may reach the forge it names", PROFILE_SITE_DIR,
			 g->runner_config);
}

static int cmd_config(struct gitlab *g, struct brig_err *e)
{
	site_forge(g);
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	json_object *o = json_object_new_object(), *driver = json_object_new_object(), *env = json_object_new_object();
	if (!o || !driver || !env) {
		json_object_put(o);
		json_object_put(driver);
		json_object_put(env);
		return err_set(e, -ENOMEM, "gitlab config: %s", strerror(ENOMEM));
	}
	json_object_object_add(o, "builds_dir", json_object_new_string(GITLAB_BUILDS_DIR));
	json_object_object_add(o, "cache_dir", json_object_new_string(GITLAB_CACHE_DIR));
	json_object_object_add(o, "builds_dir_is_shared", json_object_new_boolean(0));
	json_object_object_add(o, "hostname", json_object_new_string(host));
	json_object_object_add(driver, "name", json_object_new_string("brig"));
	json_object_object_add(driver, "version", json_object_new_string(BRIG_VERSION));
	json_object_object_add(o, "driver", driver);
	/* The later stages find the same state directory without repeating
	 * --state-dir in every *_args of config.toml. */
	json_object_object_add(env, "BRIG_GITLAB_STATE_DIR", json_object_new_string(g->state));
	json_object_object_add(o, "job_env", env);
	int r = json_print_pretty(o, stdout);
	json_object_put(o);
	if (r < 0)
		return err_set(e, r, "gitlab config: cannot write the configuration: %s", strerror(-r));
	return 0;
}

/* prepare */

/* The profile as the job's sandbox reads it; its first problem is the
 * command's error line. */
static int load_profile(const struct gitlab *g, struct brig_config *c, struct brig_err *e)
{
	struct brig_reporter first = { .fn = brig_report_first, .ctx = e };
	struct profile_opts o = { .report = &first };
	int r = profile_load_with(g->profile, c, &o);
	if (r < 0 && e)
		e->code = r;
	return r;
}

static int check_profile(const struct gitlab *g, struct brig_err *e)
{
	struct brig_config c;
	config_init(&c);
	int r = load_profile(g, &c, e);
	config_free(&c);
	return r;
}

static int cmd_prepare(struct gitlab *g, struct brig_err *e)
{
	static const char *const dirs[] = { "builds", "home", "tmp", "overlay" };
	char path[PATH_MAX], link[PATH_MAX];
	int r;
	if ((r = locate(g, e)) < 0 || (r = check_profile(g, e)) < 0)
		return r;
	if ((r = ci_mkdir_parents(g->state, 0755)) < 0 || (r = sub(g, "", path, sizeof path)) < 0 ||
	    (r = ci_mkdir_parents(g->job, 0700)) < 0 || (r = ci_mkdir_parents(g->cache, 0700)) < 0)
		return err_set(e, r, "gitlab prepare: %s: %s", g->job, strerror(-r));
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		/* Like /tmp: every user of the job may write there. The overlay
		 * directory is the host's: brig gives its layers to the job. */
		if ((r = sub(g, dirs[i], path, sizeof path)) < 0 ||
		    (r = ci_mkdir_one(path, strcmp(dirs[i], "overlay") == 0 ? 0700 : 0755)) < 0 ||
		    (strcmp(dirs[i], "tmp") == 0 && chmod(path, 01777) < 0 && (r = -errno)))
			return err_set(e, r, "gitlab prepare: %s: %s", path, strerror(-r));
	}
	/* Idempotent: the runner retries prepare after a system failure. The
	 * link is made anew so that it always names this job's cache. */
	snprintf(link, sizeof link, "../../cache/%s", strrchr(g->cache, '/') + 1);
	if ((r = sub(g, "cache", path, sizeof path)) < 0 || (unlink(path) < 0 && errno != ENOENT) ||
	    symlink(link, path) < 0) {
		r = r < 0 ? r : -errno;
		return err_set(e, r, "gitlab prepare: %s: %s", path, strerror(-r));
	}
	return 0;
}

/* run */

static int apply(struct brig_config *c, const char *name, const char *arg, struct brig_err *e)
{
	const char *why = "";
	int r = cli_apply(cli_find(name), c, arg, NULL, 0, 0, &why);
	if (r < 0)
		return err_set(e, r, "gitlab run: --%s %s: %s", name, arg, why);
	return r;
}

static int bind_sub(const struct gitlab *g, struct brig_config *c, const char *name, const char *dst, struct brig_err *e)
{
	char src[PATH_MAX], arg[2 * PATH_MAX + 2];
	if (sub(g, name, src, sizeof src) < 0)
		return err_at(e, -ENAMETOOLONG, "gitlab run", g->job);
	/* The cache link, resolved: a bind takes the real directory. */
	_cleanup_free_ char *real = realpath(src, NULL);
	if (!real)
		return err_set(e, -errno, "gitlab run: %s: %s (did prepare run?)", src, strerror(errno));
	snprintf(arg, sizeof arg, "%s:%s", real, dst);
	return apply(c, "bind", arg, e);
}

/* The job's writes to an overlaid tree are job state like its workspace:
 * when the profile (as loaded, so whatever it includes or defaults to)
 * puts the tree under an overlay, every stage gets the job's own upper
 * directory. A profile's overlay-size or overlay-dir, which say where a
 * single job's writes go, yield to it; overlay-upper in a profile would
 * share one upper between all jobs, so the job's own replaces it too. */
static int job_overlay(const struct gitlab *g, struct brig_config *c, struct brig_err *e)
{
	char dir[PATH_MAX];
	if (config_rootfs_mode(c) != ROOTFS_OVERLAY)
		return 0;
	if (sub(g, "overlay", dir, sizeof dir) < 0)
		return err_at(e, -ENAMETOOLONG, "gitlab run", g->job);
	if (access(dir, F_OK) < 0)
		return err_set(e, -errno, "gitlab run: %s: %s (did prepare run?)", dir, strerror(errno));
	c->overlay_size = 0;
	free(TAKE_PTR(c->overlay_dir));
	return apply(c, "overlay-upper", dir, e);
}

/* CUSTOM_ENV_NAME=VALUE becomes NAME=VALUE in the job: the job sees its
 * variables as under any executor, and nothing else of the driver's. */
static int job_variables(struct brig_config *c, struct brig_err *e)
{
	for (char **v = environ; *v; v++) {
		if (strncmp(*v, CUSTOM_ENV, strlen(CUSTOM_ENV)) != 0)
			continue;
		const char *kv = *v + strlen(CUSTOM_ENV);
		const char *eq = strchr(kv, '=');
		const char *why = "";
		if (!eq || eq == kv)
			continue;
		int r = cli_apply(cli_find("env"), c, kv, NULL, 0, 0, &why);
		if (r == -ENOMEM || r == -E2BIG)
			return err_set(e, r, "gitlab run: the job's variables: %s", strerror(-r));
		if (r < 0) /* a name no shell could use */
			log_warn("gitlab run: variable %.*s not passed: %s", (int)(eq - kv), kv, why);
	}
	return 0;
}

static void write_exit_code_file(int code)
{
	const char *path = getenv("BUILD_EXIT_CODE_FILE");
	if (!path || !*path)
		return;
	FILE *f = fopen(path, "we");
	if (!f || fprintf(f, "%d\n", code) < 0 || fclose(f) != 0)
		log_warn("gitlab run: cannot write $BUILD_EXIT_CODE_FILE %s: %s", path, strerror(errno));
}

/* The stage's exit status for the runner, or -errno with e. */
static int cmd_run(struct gitlab *g, const char *script, const char *stage, struct brig_err *e)
{
	struct brig_config c;
	char fdarg[16], arg[PATH_MAX];
	int r;
	_cleanup_close_ int fd = -1, status = -1;
	config_init(&c);
	if ((r = locate(g, e)) < 0)
		goto out;
	if (access(g->job, F_OK) < 0) {
		r = err_set(e, -errno, "gitlab run %s: %s: %s (prepare did not run)", stage, g->job, strerror(errno));
		goto out;
	}
	/* Given to the job as a descriptor: the runner's script directory is
	 * not the job's business. */
	fd = open(script, O_RDONLY | O_NOCTTY);
	if (fd < 0) {
		r = err_set(e, -errno, "gitlab run %s: %s: %s", stage, script, strerror(errno));
		goto out;
	}
	status = memfd_create("brig-gitlab-status", MFD_CLOEXEC);
	if (fd < 3 || status < 0) {
		r = err_set(e, fd < 3 ? -EBADF : -errno, "gitlab run %s: %s", stage,
			    fd < 3 ? "standard descriptors are closed" : strerror(errno));
		goto out;
	}
	char fdpath[32];
	snprintf(fdarg, sizeof fdarg, "%d", fd);
	snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", fd);
	char *argv[] = { "bash", fdpath, NULL };
	if ((r = config_new_job_id(&c)) < 0) {
		err_set(e, r, "gitlab run %s: cannot make a job id: %s", stage, strerror(-r));
		goto out;
	}
	if ((r = load_profile(g, &c, e)) < 0 || (r = bind_sub(g, &c, "builds", GITLAB_BUILDS_DIR, e)) < 0 ||
	    (r = bind_sub(g, &c, "cache", GITLAB_CACHE_DIR, e)) < 0 || (r = bind_sub(g, &c, "tmp", "/tmp", e)) < 0 ||
	    (r = bind_sub(g, &c, "home", etc_home(&c), e)) < 0 || (r = job_overlay(g, &c, e)) < 0 ||
	    (r = apply(&c, "pass-fd", fdarg, e)) < 0 || (r = job_variables(&c, e)) < 0)
		goto out;
	/* Where the runner's scripts expect to start; they cd on from there. */
	if (!c.chdir && (r = apply(&c, "chdir", GITLAB_BUILDS_DIR, e)) < 0)
		goto out;
	snprintf(arg, sizeof arg, "%d", status);
	if ((r = apply(&c, "status-fd", arg, e)) < 0)
		goto out;
	c.argv = argv;
	if ((r = config_finish(&c, e)) < 0)
		goto out;
	r = sandbox_run(&c);
	int job = ci_job_code(status);
	if (job < 0) {
		/* No job ran: sandbox_run, the run's own top level, said why. */
		r = err_set(e, -EIO, "gitlab run %s: the sandbox could not be set up (brig exit %d)", stage, r);
		goto out;
	}
	r = 0;
	if (job != 0) {
		write_exit_code_file(job);
		r = build_failure();
	}
out:
	c.argv = NULL;
	config_free(&c);
	return r;
}

/* cleanup */

/* rmtree's reporter: one line per entry that stays, like a profile check
 * lists every problem; cmd_cleanup's error line sums them up. */
static void report_left(const char *rel, int err, void *ctx)
{
	const struct gitlab *g = ctx;
	log_error("gitlab cleanup: %s/%s stays: %s", g->state, rel, strerror(err));
}

/* The runner logs a failed cleanup and goes on: its status never changes
 * the job's. So what stays is said, with a system failure, and the next
 * prepare of the same key starts on what is left. */
static int cmd_cleanup(struct gitlab *g, struct brig_err *e)
{
	int r = locate(g, e);
	if (r < 0)
		return r;
	_cleanup_close_ int state = open(g->state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (state < 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, -errno, "gitlab cleanup: %s: %s", g->state, strerror(errno));
	}
	/* By descriptor from the state directory down, never following a link
	 * nor entering another mount: the job wrote in there, and may have
	 * nested it deeper than any path can name. */
	char rel[sizeof g->key + 8];
	snprintf(rel, sizeof rel, "jobs/%s", g->key);
	r = rmtree_at(state, rel, report_left, g);
	if (r < 0)
		return err_set(e, r, "gitlab cleanup: %s: %s", g->job, strerror(-r));
	if (r > 0)
		return err_set(e, -ENOTEMPTY, "gitlab cleanup: %d entr%s of %s could not be removed", r, r == 1 ? "y" : "ies",
			       g->job);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: brig gitlab config [--state-dir DIR] [--runner-config FILE]\n"
		   "       brig gitlab prepare|cleanup [--state-dir DIR] [--profile NAME|PATH]\n"
		   "       brig gitlab run [--state-dir DIR] [--profile NAME|PATH] SCRIPT STAGE\n"
		   "The GitLab Runner custom-executor driver: see docs/gitlab.md.\n\n"
		   "  --state-dir DIR        the jobs' directories (default $BRIG_GITLAB_STATE_DIR, else %s)\n"
		   "  -p, --profile NAME     the profile jobs run with (default gitlab)\n"
		   "  --runner-config FILE   config: the runner's configuration, whose [[runners]] url names the\n"
		   "                         forge written to %s/forge.inc when missing (default %s)\n",
		GITLAB_STATE_DIR, PROFILE_SITE_DIR, GITLAB_RUNNER_CONFIG);
}

int gitlab_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "profile", required_argument, NULL, 'p' },
		{ "runner-config", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct gitlab g = { .state = getenv("BRIG_GITLAB_STATE_DIR"), .profile = "gitlab",
			    .runner_config = GITLAB_RUNNER_CONFIG };
	if (!g.state || !*g.state)
		g.state = GITLAB_STATE_DIR;
	if (argc < 2) {
		usage(stderr);
		return system_failure();
	}
	const char *stage = argv[1];
	if (strcmp(stage, "-h") == 0 || strcmp(stage, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	int o;
	optind = 1;
	while ((o = getopt_long(argc - 1, argv + 1, "+p:h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			g.state = optarg;
			break;
		case 'p':
			g.profile = optarg;
			break;
		case 'r':
			g.runner_config = optarg;
			g.runner_config_given = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return system_failure();
		}
	}
	int rest = argc - 1 - optind, r;
	char **args = argv + 1 + optind;
	struct brig_err e = BRIG_ERR_INIT;
	if (strcmp(stage, "run") == 0 && rest == 2)
		r = cmd_run(&g, args[0], args[1], &e);
	else if (rest == 0 && strcmp(stage, "config") == 0)
		r = cmd_config(&g, &e);
	else if (rest == 0 && strcmp(stage, "prepare") == 0)
		r = cmd_prepare(&g, &e);
	else if (rest == 0 && strcmp(stage, "cleanup") == 0)
		r = cmd_cleanup(&g, &e);
	else
		r = err_set(&e, -EINVAL, "gitlab: expected config, prepare, run SCRIPT STAGE or cleanup (see brig gitlab --help)");
	if (r >= 0)
		return r;
	err_log(&e); /* the stage's one error line */
	return strcmp(stage, "cleanup") == 0 && rest != 0 ? 0 : system_failure();
}

/* `brig gitlab`, driven exactly as the GitLab Runner drives a custom
 * executor. Where each rule comes from (docs/executors/custom.md of
 * gitlab-org/gitlab-runner, https://docs.gitlab.com/runner/executors/custom.html):
 *
 * - Stage order: config_exec, prepare_exec, run_exec once per sub-stage,
 *   cleanup_exec ("The stages run in the following sequence"); cleanup
 *   "is executed even if one of the previous stages failed" and its
 *   result "does not affect job statuses".
 * - Arguments: *_args first, then for run_exec "the path to the script"
 *   and "name of the stage" (section Run), in the order prepare_script,
 *   get_sources, restore_cache, download_artifacts, step_*, build_script,
 *   after_script, archive_cache or archive_cache_on_failure,
 *   upload_artifacts_on_success or upload_artifacts_on_failure,
 *   cleanup_file_variables.
 * - Environment: the runner host's variables, and the job's CI/CD
 *   variables prefixed CUSTOM_ENV_ (section Stages); config's job_env is
 *   added for the later stages (section job_env usage);
 *   BUILD_FAILURE_EXIT_CODE, SYSTEM_FAILURE_EXIT_CODE (section Error
 *   handling) and BUILD_EXIT_CODE_FILE (gitlab-runner merge request 5028:
 *   the runner reads the script's real exit code from that file).
 * - Each driver call runs in a temporary directory of the runner (merge
 *   request 1385, "Creates a temp directory in which each script is
 *   executed in").
 * - config prints JSON on stdout: builds_dir, cache_dir,
 *   builds_dir_is_shared, hostname, driver.name, driver.version, job_env
 *   (section Config); invalid JSON fails the stage.
 * - Cancel and timeouts: SIGTERM to the driver's process group, then
 *   SIGKILL after exec_terminate_timeout (section Terminating and killing
 *   executables).
 * - get_sources clones the repository with git; here from a local bare
 *   repository, as the runner's script would from CI_REPOSITORY_URL. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_driver.h"

BRIG_SUITE(gitlab);

#define BUILD_FAILURE "17"
#define SYSTEM_FAILURE "18"

struct runner {
	char *dir;     /* the runner's temporary directory for driver calls */
	char *state;   /* --state-dir */
	char *profile; /* --profile: the shipped gitlab profile plus the test repository */
	char *repo;    /* a bare repository to clone */
	char *exit_file;
	char *env[48];
	size_t n_env;
	unsigned scripts;
};

static void put_env(struct runner *g, const char *name, const char *value)
{
	for (size_t i = 0; i < g->n_env; i++)
		if (strncmp(g->env[i], name, strlen(name)) == 0 && g->env[i][strlen(name)] == '=') {
			cr_assert_geq(asprintf(&g->env[i], "%s=%s", name, value), 0);
			return;
		}
	cr_assert_lt(g->n_env, sizeof g->env / sizeof g->env[0] - 1);
	cr_assert_geq(asprintf(&g->env[g->n_env++], "%s=%s", name, value), 0);
}

static void sh(const char *fmt, const char *arg)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, fmt, arg, arg, arg, arg);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The shipped profile the runner's jobs get here: gitlab (net veth by
 * name, with the site's forge) needs root and nftables; where either is
 * missing (the test user, the VM guest: BRIG_NET_LAB=0) gitlab-rootless,
 * as a runner without root would use. The network lab tests that a gitlab
 * job reaches its forge by name (test_net.c). */
static const char *shipped_profile(void)
{
	const char *lab_flag = getenv("BRIG_NET_LAB");
	return harness_unprivileged() || (lab_flag && strcmp(lab_flag, "0") == 0) ? "gitlab-rootless" : "gitlab";
}

/* A profile directory: the shipped profile with its fragments, the site's
 * forge beside it, and the test repository readable in the job. */
static char *test_profile(const char *repo)
{
	const char *shipped = getenv("BRIG_PROFILES");
	if (!shipped)
		harness_unavailable("BRIG_PROFILES is not set: run the suite through `make integration`");
	char *dir = tmpdir_make("gl-profiles"), cmd[8192], *path = NULL;
	snprintf(cmd, sizeof cmd,
		 "cp -R '%s/inc' '%s/' && cp '%s/%s' '%s/gitlab' && echo 'ro-bind %s' >> '%s/gitlab' && mkdir '%s/site' && "
		 "echo 'egress-allow-host gitlab.example.com:443/tcp' > '%s/site/forge.inc' && chmod -R a+rX,go-w '%s'",
		 shipped, dir, shipped, shipped_profile(), dir, repo, dir, dir, dir, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_assert_geq(asprintf(&path, "%s/gitlab", dir), 0);
	return path;
}

static void runner_setup(struct runner *g, const char *job_id, const char *slot)
{
	memset(g, 0, sizeof *g);
	g->dir = tmpdir_make("gl-runner");
	g->state = tmpdir_make("gl-state");
	char *src = tmpdir_make("gl-repo");
	cr_assert_geq(asprintf(&g->repo, "%s/project.git", src), 0);
	sh("set -e; cd '%s' && git init -q --bare project.git && git init -q work && cd work && "
	   "echo 'hello from the repository' > README && git add README && "
	   "git -c user.name=t -c user.email=t@example.invalid commit -q -m init && "
	   "git push -q ../project.git HEAD:refs/heads/main && git -C ../project.git symbolic-ref HEAD refs/heads/main && "
	   "chmod -R a+rX ..", src);
	g->profile = test_profile(g->repo);
	cr_assert_geq(asprintf(&g->exit_file, "%s/exit-code-%s", g->dir, job_id), 0);
	/* The runner host's own environment. */
	put_env(g, "PATH", "/usr/local/bin:/usr/bin:/bin");
	put_env(g, "HOME", g->dir);
	put_env(g, "HOST_SECRET", "runner-host-only");
	/* The runner's contract with the driver. */
	put_env(g, "BUILD_FAILURE_EXIT_CODE", BUILD_FAILURE);
	put_env(g, "SYSTEM_FAILURE_EXIT_CODE", SYSTEM_FAILURE);
	put_env(g, "BUILD_EXIT_CODE_FILE", g->exit_file);
	/* The job's variables. */
	put_env(g, "CUSTOM_ENV_CI", "true");
	put_env(g, "CUSTOM_ENV_CI_RUNNER_ID", "12");
	put_env(g, "CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID", slot);
	put_env(g, "CUSTOM_ENV_CI_JOB_ID", job_id);
	put_env(g, "CUSTOM_ENV_CI_PROJECT_ID", "101");
	put_env(g, "CUSTOM_ENV_CI_PROJECT_PATH", "group/project");
	put_env(g, "CUSTOM_ENV_CI_JOB_TOKEN", "glcbt-job-scoped");
	put_env(g, "CUSTOM_ENV_CI_BUILDS_DIR", "/builds");
	put_env(g, "CUSTOM_ENV_CI_PROJECT_DIR", "/builds/group/project");
	char url[4200];
	snprintf(url, sizeof url, "file://%s", g->repo);
	put_env(g, "CUSTOM_ENV_CI_REPOSITORY_URL", url);
}

/* One driver call: brig gitlab STAGE --profile P ARGS..., in the runner's
 * directory, with the runner's environment. */
static int call(struct runner *g, struct agent_proc *p, const char *stage, const char *script, const char *sub,
		bool wait)
{
	char *argv[] = { getenv("BRIG"), "gitlab", (char *)stage, "--profile", g->profile, (char *)script,
			 (char *)sub, NULL };
	agent_start(p, argv, g->env, g->dir, false);
	return wait ? agent_finish(p, 60) : -1;
}

static char *script_file(struct runner *g, const char *body)
{
	char name[64], *text = NULL;
	snprintf(name, sizeof name, "script%u", ++g->scripts);
	cr_assert_geq(asprintf(&text, "#!/usr/bin/env bash\nset -eo pipefail\n%s\n", body), 0);
	char *path = file_write(g->dir, name, text, 0644);
	free(text);
	return path;
}

static int run_stage(struct runner *g, struct agent_proc *p, const char *sub, const char *body)
{
	return call(g, p, "run", script_file(g, body), sub, true);
}

#define LOG_FMT "\n-- exit %d, log:\n%s"
#define LOG_ARGS(p) (p).status, (p).log.data

static const char *const get_sources =
	"echo \"Fetching changes for $CI_JOB_ID\"\n"
	"git config --global --add safe.directory '*'\n"
	"git clone -q \"$CI_REPOSITORY_URL\" \"$CI_PROJECT_DIR\"\n"
	"echo from-get-sources > /tmp/shared-between-stages\n";

static void config_and_prepare(struct runner *g)
{
	struct agent_proc p;
	char *argv[] = { getenv("BRIG"), "gitlab", "config", "--state-dir", g->state, NULL };
	agent_start(&p, argv, g->env, g->dir, false);
	cr_assert_eq(agent_finish(&p, 20), 0, LOG_FMT, LOG_ARGS(p));
	/* The runner reads builds_dir_is_shared and friends from it. */
	cr_expect_str_eq(json_value(p.log.data, "builds_dir") ?: "?", "/builds", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(json_value(p.log.data, "cache_dir") ?: "?", "/cache", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(json_value(p.log.data, "builds_dir_is_shared") ?: "?", "false", LOG_FMT, LOG_ARGS(p));
	char *json = file_write(g->dir, "config.json", p.log.data, 0644), cmd[8192];
	snprintf(cmd, sizeof cmd,
		 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
		 "assert d[\"driver\"][\"name\"] == \"brig\" and d[\"driver\"][\"version\"] and "
		 "isinstance(d[\"hostname\"], str) and d[\"job_env\"][\"BRIG_GITLAB_STATE_DIR\"] == sys.argv[2]' '%s' '%s'",
		 json, g->state);
	cr_assert_eq(system(cmd), 0, "config printed no valid JSON:\n%s", p.log.data);
	/* job_env reaches every later stage. */
	put_env(g, "BRIG_GITLAB_STATE_DIR", g->state);
	cr_assert_eq(call(g, &p, "prepare", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
	/* Idempotent: the runner retries it. */
	cr_assert_eq(call(g, &p, "prepare", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
}

static char *job_dir(const struct runner *g, const char *key)
{
	char *p = NULL;
	cr_assert_geq(asprintf(&p, "%s/jobs/%s", g->state, key), 0);
	return p;
}

Test(gitlab, a_job_runs_every_stage_in_order_and_cleanup_removes_it, .timeout = 120)
{
	struct runner g;
	struct agent_proc p;
	struct stat st;
	runner_setup(&g, "3001", "0");
	config_and_prepare(&g);
	char *dir = job_dir(&g, "12-0-3001");
	cr_assert_eq(stat(dir, &st), 0, "prepare made no %s", dir);

	cr_assert_eq(run_stage(&g, &p, "prepare_script", "echo \"Running on $(hostname)\""), 0, LOG_FMT, LOG_ARGS(p));
	cr_assert_eq(run_stage(&g, &p, "get_sources", get_sources), 0, LOG_FMT, LOG_ARGS(p));
	cr_assert_eq(run_stage(&g, &p, "restore_cache", "ls -d /cache && echo restored"), 0, LOG_FMT, LOG_ARGS(p));
	cr_assert_eq(run_stage(&g, &p, "download_artifacts", "true"), 0, LOG_FMT, LOG_ARGS(p));
	cr_assert_eq(run_stage(&g, &p, "build_script",
			       "cd \"$CI_PROJECT_DIR\"\n"
			       "echo \"readme=$(cat README)\"\n"
			       "echo \"shared=$(cat /tmp/shared-between-stages)\"\n"
			       "echo \"safe=$(git config --global --get safe.directory)\"\n"
			       "echo \"job_id=$CI_JOB_ID\"\n"
			       "echo \"token=$CI_JOB_TOKEN\"\n"
			       "echo \"prefixed=${CUSTOM_ENV_CI_JOB_ID:-unset}\"\n"
			       "echo \"host_secret=${HOST_SECRET:-unset}\"\n"
			       "echo \"failure_code=${BUILD_FAILURE_EXIT_CODE:-unset}\"\n"
			       "echo built > artifact.txt\n"
			       "echo cached > /cache/cached.txt\n"),
		     0, LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "readme") ?: "?", "hello from the repository", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "shared") ?: "?", "from-get-sources", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "safe") ?: "?", "*", "the home did not persist" LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "job_id") ?: "?", "3001", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "token") ?: "?", "glcbt-job-scoped", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "prefixed") ?: "?", "unset", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "host_secret") ?: "?", "unset", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "failure_code") ?: "?", "unset", LOG_FMT, LOG_ARGS(p));
	cr_assert_eq(run_stage(&g, &p, "after_script", "test -f \"$CI_PROJECT_DIR/artifact.txt\""), 0, LOG_FMT,
		     LOG_ARGS(p));
	cr_assert_eq(run_stage(&g, &p, "archive_cache", "test -f /cache/cached.txt"), 0, LOG_FMT, LOG_ARGS(p));
	cr_assert_eq(run_stage(&g, &p, "upload_artifacts_on_success", "test -f \"$CI_PROJECT_DIR/artifact.txt\""), 0,
		     LOG_FMT, LOG_ARGS(p));
	cr_assert_eq(run_stage(&g, &p, "cleanup_file_variables", "true"), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_neq(access(g.exit_file, F_OK), 0, "an exit-code file after a successful job");

	char path[4400];
	snprintf(path, sizeof path, "%s/builds/group/project/artifact.txt", dir);
	cr_assert_eq(stat(path, &st), 0, "the job's files are not in its state directory");
	cr_assert_eq(call(&g, &p, "cleanup", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_neq(lstat(dir, &st), 0, "cleanup left %s", dir);
	cr_assert_eq(call(&g, &p, "cleanup", NULL, NULL, true), 0, "cleanup is not idempotent" LOG_FMT, LOG_ARGS(p));
}

Test(gitlab, a_failing_script_exits_build_failure_with_its_code_in_the_file, .timeout = 120)
{
	struct runner g;
	struct agent_proc p;
	runner_setup(&g, "3002", "0");
	config_and_prepare(&g);
	cr_assert_eq(run_stage(&g, &p, "get_sources", get_sources), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_eq(run_stage(&g, &p, "build_script", "echo failing; exit 42"), atoi(BUILD_FAILURE), LOG_FMT,
		     LOG_ARGS(p));
	char *code = file_read(g.exit_file);
	cr_expect(code && atoi(code) == 42, "BUILD_EXIT_CODE_FILE holds %s, not 42", code ? code : "nothing");
	/* The runner goes on with after_script and the failure stages. */
	cr_expect_eq(run_stage(&g, &p, "after_script", "echo after"), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_eq(run_stage(&g, &p, "upload_artifacts_on_failure", "true"), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_eq(call(&g, &p, "cleanup", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
}

Test(gitlab, brig_failures_exit_system_failure, .timeout = 60)
{
	struct runner g;
	struct agent_proc p;
	runner_setup(&g, "3003", "0");
	put_env(&g, "BRIG_GITLAB_STATE_DIR", g.state);
	/* run before prepare: no state, no job. */
	cr_expect_eq(run_stage(&g, &p, "build_script", "echo must-not-run"), atoi(SYSTEM_FAILURE), LOG_FMT,
		     LOG_ARGS(p));
	cr_expect_null(strstr(p.log.data, "must-not-run\n"), LOG_FMT, LOG_ARGS(p));
	/* A broken profile fails prepare, and run. */
	char *broken = file_write(tmpdir_make("gl-broken"), "broken", "timout 3h\n", 0644);
	g.profile = broken;
	cr_expect_eq(call(&g, &p, "prepare", NULL, NULL, true), atoi(SYSTEM_FAILURE), LOG_FMT, LOG_ARGS(p));
	cr_expect_not_null(strstr(p.log.data, "timout"), LOG_FMT, LOG_ARGS(p));
	/* cleanup never fails the job. */
	cr_expect_eq(call(&g, &p, "cleanup", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
}

Test(gitlab, sigterm_from_the_runner_reaches_the_script, .timeout = 60)
{
	struct runner g;
	struct agent_proc p;
	runner_setup(&g, "3004", "0");
	config_and_prepare(&g);
	char *script = script_file(&g, "trap 'echo got-term; exit 3' TERM\necho started\nsleep 600 & wait");
	call(&g, &p, "run", script, "build_script", false);
	bool started = agent_wait_log(&p, "started", 30);
	if (!started) {
		agent_finish(&p, 1);
		cr_assert_fail("the script never started" LOG_FMT, LOG_ARGS(p));
	}
	agent_signal(&p, SIGTERM);
	cr_expect_eq(agent_finish(&p, 20), atoi(BUILD_FAILURE), LOG_FMT, LOG_ARGS(p));
	cr_expect_not_null(strstr(p.log.data, "got-term"), "the script's trap did not run" LOG_FMT, LOG_ARGS(p));
	char *code = file_read(g.exit_file);
	cr_expect(code && atoi(code) == 3, "BUILD_EXIT_CODE_FILE holds %s, not 3", code ? code : "nothing");
}

#define MAX_NS 8

Test(gitlab, sigkill_of_the_driver_leaves_no_process_or_mount, .timeout = 60)
{
	struct runner g;
	struct agent_proc p;
	char body[256], desc[512];
	const char *marker = harness_marker();
	runner_setup(&g, "3005", "0");
	config_and_prepare(&g);
	snprintf(body, sizeof body, "echo started\nsh -c 'sleep 600; : %s'", marker);
	call(&g, &p, "run", script_file(&g, body), "build_script", false);
	bool started = agent_wait_log(&p, "started", 30);
	pid_t job = 0;
	for (long long end = harness_deadline_ms(3000); started && !job && now_ms() < end; usleep(20 * 1000))
		job = agent_find_proc(marker);
	if (!job) {
		agent_finish(&p, 1);
		cr_assert_fail("the script never started" LOG_FMT, LOG_ARGS(p));
	}
	ino_t ns[MAX_NS];
	size_t n_ns = job_pidns(marker, ns, MAX_NS);
	char *cg = agent_cgroup_of(job);
	agent_signal(&p, SIGKILL);
	agent_finish(&p, 10);
	size_t left = leftovers_wait(marker, ns, n_ns, 3000, desc, sizeof desc);
	cr_expect_eq(left, 0, "%zu processes of the job survive by 3 s, e.g. %s", left, desc);
	/* No mount of the job's paths is left on the host. */
	char *mnt = agent_mount_under(g.state);
	for (long long end = harness_deadline_ms(3000); mnt && now_ms() < end; usleep(50 * 1000))
		free(mnt), mnt = agent_mount_under(g.state);
	cr_expect_null(mnt, "a mount of the job's paths survives: %s", mnt);
	struct stat st;
	if (cg && cg[strlen(cg) - 1] != '/' && strcmp(cg, harness_cgroup2_root()) != 0) {
		long long deadline = harness_deadline_ms(3000);
		while (stat(cg, &st) == 0 && now_ms() < deadline)
			usleep(20 * 1000);
		cr_expect_neq(stat(cg, &st), 0, "the job's cgroup %s survives SIGKILL of the driver by 3 s", cg);
	}
	/* The runner then calls cleanup, which removes the rest. */
	cr_expect_eq(call(&g, &p, "cleanup", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
	char *dir = job_dir(&g, "12-0-3005");
	cr_expect_neq(lstat(dir, &st), 0, "cleanup left %s", dir);
}

Test(gitlab, two_jobs_running_at_once_never_see_each_other, .timeout = 120)
{
	struct runner a, b;
	struct agent_proc pa, pb;
	runner_setup(&a, "4001", "0");
	runner_setup(&b, "4002", "1");
	/* One runner, one state directory, two concurrency slots. */
	b.state = a.state;
	config_and_prepare(&a);
	config_and_prepare(&b);
	static const char body[] =
		"echo \"$CI_JOB_ID\" > /builds/mine; echo \"$CI_JOB_ID\" > /tmp/mine; echo \"$CI_JOB_ID\" > /cache/mine\n"
		"echo \"$CI_JOB_ID\" > ~/mine\n"
		"sleep 30 &\n"
		"sleep 2 # while the other job runs: it would have overwritten these\n"
		"echo \"seen=$(cat /builds/mine /tmp/mine /cache/mine ~/mine | sort -u | tr '\\n' ' ')\"\n"
		"echo \"procs=$(ps -e -o args= | grep -c '^sleep 30$' || true)\"\n"
		"kill %1\n";
	call(&a, &pa, "run", script_file(&a, body), "build_script", false);
	call(&b, &pb, "run", script_file(&b, body), "build_script", false);
	cr_assert_eq(agent_finish(&pa, 60), 0, LOG_FMT, LOG_ARGS(pa));
	cr_assert_eq(agent_finish(&pb, 60), 0, LOG_FMT, LOG_ARGS(pb));
	cr_expect_str_eq(kv_get(pa.log.data, "seen") ?: "?", "4001 ", LOG_FMT, LOG_ARGS(pa));
	cr_expect_str_eq(kv_get(pb.log.data, "seen") ?: "?", "4002 ", LOG_FMT, LOG_ARGS(pb));
	/* Only its own background sleep, not the other job's. */
	cr_expect_str_eq(kv_get(pa.log.data, "procs") ?: "?", "1", LOG_FMT, LOG_ARGS(pa));
	cr_expect_str_eq(kv_get(pb.log.data, "procs") ?: "?", "1", LOG_FMT, LOG_ARGS(pb));
	cr_expect_eq(call(&a, &pa, "cleanup", NULL, NULL, true), 0);
	cr_expect_eq(call(&b, &pb, "cleanup", NULL, NULL, true), 0);
}

Test(gitlab, brigs_time_limit_is_a_build_failure_with_124, .timeout = 60)
{
	struct runner g;
	struct agent_proc p;
	runner_setup(&g, "3006", "0");
	/* A site profile of its own, with a short limit. */
	g.profile = file_write(tmpdir_make("gl-timeout"), "short", "timeout 1s\n", 0644);
	config_and_prepare(&g);
	cr_expect_eq(run_stage(&g, &p, "build_script", "echo started; sleep 600"), atoi(BUILD_FAILURE), LOG_FMT,
		     LOG_ARGS(p));
	char *code = file_read(g.exit_file);
	cr_expect(code && atoi(code) == 124, "BUILD_EXIT_CODE_FILE holds %s, not 124", code ? code : "nothing");
	cr_expect_eq(call(&g, &p, "cleanup", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
}

/* With the profile's tree under an overlay, what one stage writes there
 * (a package a prepare_script installs) is there in the job's later
 * stages, not in another job's, and never on the host; cleanup removes
 * the job's upper directory with the rest. */
Test(gitlab, overlay_writes_persist_across_the_stages_of_one_job_only, .timeout = 120)
{
	harness_need_root("the profile overlays the host's /usr, which belongs to root, whom an unprivileged job "
			  "cannot become");
	struct runner a, b;
	struct agent_proc p;
	struct stat st;
	runner_setup(&a, "5001", "0");
	runner_setup(&b, "5002", "1");
	b.state = a.state;
	sh("echo 'rootfs-mode overlay' >> '%s'", a.profile);
	sh("echo 'rootfs-mode overlay' >> '%s'", b.profile);
	config_and_prepare(&a);
	config_and_prepare(&b);
	char *dir = job_dir(&a, "12-0-5001"), upper[4400], path[256], body[512];
	snprintf(upper, sizeof upper, "%s/overlay", dir);
	cr_assert_eq(stat(upper, &st), 0, "prepare made no %s", upper);
	snprintf(path, sizeof path, "/usr/share/brig-gitlab-%s", harness_marker());

	snprintf(body, sizeof body, "echo installed > %s && echo wrote=yes", path);
	int rc = run_stage(&a, &p, "prepare_script", body);
	if (rc != 0 && strstr(p.log.data, "idmapped mount"))
		harness_not_on_this_host("the host's /usr cannot be idmapped: %s", p.log.data);
	cr_assert_eq(rc, 0, LOG_FMT, LOG_ARGS(p));
	cr_assert_str_eq(kv_get(p.log.data, "wrote") ?: "?", "yes", LOG_FMT, LOG_ARGS(p));
	snprintf(body, sizeof body, "echo \"seen=$(cat %s 2>/dev/null || echo none)\"", path);
	cr_assert_eq(run_stage(&a, &p, "build_script", body), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "seen") ?: "?", "installed", "a later stage lost the write" LOG_FMT,
			 LOG_ARGS(p));
	cr_assert_eq(run_stage(&b, &p, "build_script", body), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "seen") ?: "?", "none", "another job sees the write" LOG_FMT, LOG_ARGS(p));
	cr_assert_neq(access(path, F_OK), 0, "the write reached the host's /usr");

	cr_assert_eq(call(&a, &p, "cleanup", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_neq(lstat(dir, &st), 0, "cleanup left %s", dir);
	cr_expect_eq(call(&b, &p, "cleanup", NULL, NULL, true), 0);
}

/* One runner, one slot, one state directory: what a job of one project
 * writes under /cache (even at another project's path, where the runner
 * would look for that project's cache.zip) is not what a job of another
 * project restores, nor a job of a protected ref of the same project;
 * the next unprotected job of the project finds it. */
static void cache_job(const char *job, const char *project, const char *protected_ref, const char *body,
		      const char *expect)
{
	static char *state;
	struct runner g;
	struct agent_proc p;
	runner_setup(&g, job, "0");
	if (!state)
		state = g.state;
	g.state = state;
	put_env(&g, "CUSTOM_ENV_CI_PROJECT_ID", project);
	if (protected_ref)
		put_env(&g, "CUSTOM_ENV_CI_COMMIT_REF_PROTECTED", protected_ref);
	config_and_prepare(&g);
	cr_assert_eq(run_stage(&g, &p, "build_script", body), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(kv_get(p.log.data, "seen") ?: "?", expect, "job %s of project %s (protected: %s)" LOG_FMT, job,
			 project, protected_ref ? protected_ref : "unset", LOG_ARGS(p));
	cr_expect_eq(call(&g, &p, "cleanup", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
}

Test(gitlab, caches_are_per_project_and_protected_refs_apart, .timeout = 180)
{
	static const char plant[] = "mkdir -p /cache/group/other/default /cache/group/project/default\n"
				    "echo planted > /cache/group/other/default/cache.zip\n"
				    "echo mine > /cache/group/project/default/cache.zip\n"
				    "echo seen=planted\n";
	static const char look[] = "echo \"seen=$(cat /cache/group/other/default/cache.zip "
				   "/cache/group/project/default/cache.zip 2>/dev/null | tr '\\n' ' ')\"\n";
	cache_job("6001", "101", "false", plant, "planted");
	cache_job("6002", "102", NULL, look, "");
	cache_job("6003", "101", "true", look, "");
	cache_job("6004", "101", NULL, look, "planted mine ");
}

/* 30 levels of 250-byte names: deeper than any path can name, as a job
 * can make them; cleanup removes them all. */
Test(gitlab, cleanup_removes_a_tree_deeper_than_path_max, .timeout = 120)
{
	struct runner g;
	struct agent_proc p;
	struct stat st;
	runner_setup(&g, "6101", "0");
	config_and_prepare(&g);
	cr_assert_eq(run_stage(&g, &p, "build_script",
			       "n=$(printf 'n%.0s' $(seq 250))\n"
			       "for top in /builds /tmp ~; do (cd $top && for i in $(seq 30); do mkdir $n && cd $n || exit 1; done; "
			       "head -c 1M /dev/zero > f; chmod 0 .) || exit 1; done\n"
			       "echo made=yes\n"),
		     0, LOG_FMT, LOG_ARGS(p));
	cr_assert_str_eq(kv_get(p.log.data, "made") ?: "?", "yes", LOG_FMT, LOG_ARGS(p));
	cr_expect_eq(call(&g, &p, "cleanup", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
	char *dir = job_dir(&g, "12-0-6101");
	cr_expect_neq(lstat(dir, &st), 0, "cleanup left %s", dir);
}

/* What cleanup cannot remove (here a mount over part of the job's
 * directory, whose files are not the job's) stays untouched, is named,
 * and makes cleanup's status a system failure; once it is gone, cleanup
 * succeeds. */
Test(gitlab, cleanup_names_what_stays_and_fails, .timeout = 120)
{
	harness_need_root("mounting over the job's directory needs root");
	struct runner g;
	struct agent_proc p;
	struct stat st;
	runner_setup(&g, "6201", "0");
	config_and_prepare(&g);
	char *dir = job_dir(&g, "12-0-6201"), *other = tmpdir_make("gl-other"), target[4400], keep[4400];
	snprintf(target, sizeof target, "%s/builds/mounted", dir);
	cr_assert_eq(mkdir(target, 0755), 0);
	file_write(other, "keep", "not the job's\n", 0644);
	snprintf(keep, sizeof keep, "%s/keep", other);
	char cmd[9000];
	snprintf(cmd, sizeof cmd, "mount --bind '%s' '%s'", other, target);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	int rc = call(&g, &p, "cleanup", NULL, NULL, true);
	snprintf(cmd, sizeof cmd, "umount '%s'", target);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_expect_eq(rc, atoi(SYSTEM_FAILURE), LOG_FMT, LOG_ARGS(p));
	cr_expect_not_null(strstr(p.log.data, "builds/mounted stays"), LOG_FMT, LOG_ARGS(p));
	cr_expect_eq(stat(keep, &st), 0, "cleanup removed a file of another mount");
	cr_expect_eq(call(&g, &p, "cleanup", NULL, NULL, true), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_neq(lstat(dir, &st), 0, "cleanup left %s", dir);
}

/* The Buildkite agent's bootstrap wrapped in brig, driven exactly as the
 * agent drives it, with tests/buildkite/buildkite-agent standing in for
 * `buildkite-agent bootstrap`. Where each rule of the contract comes from:
 *
 * - The agent splits bootstrap-script shell-style (default "buildkite-agent
 *   bootstrap") and runs it with its own environment plus the job's, in
 *   the build path, with stdout and stderr as the job log, on a pty unless
 *   --no-pty: agent/job_executor_exec.go (shellwords.Split, Dir: buildPath,
 *   Env: os.Environ() + job env, PTY: runInPty) in buildkite/agent, and the
 *   bootstrap-script / no-pty settings of
 *   https://buildkite.com/docs/agent/v3/configuration.
 * - The job's variables (BUILDKITE_AGENT_ACCESS_TOKEN "the agent session
 *   token for the job", BUILDKITE_AGENT_ENDPOINT, BUILDKITE_BUILD_PATH,
 *   BUILDKITE_BIN_PATH, BUILDKITE_HOOKS_PATH, BUILDKITE_PLUGINS_PATH,
 *   BUILDKITE_SOCKETS_PATH, BUILDKITE_ENV_FILE, BUILDKITE_ENV_JSON_FILE):
 *   https://buildkite.com/docs/pipelines/environment-variables.
 * - The registration token (token / BUILDKITE_AGENT_TOKEN) is the agent's,
 *   never the job's: createEnvironment in agent/job_runner.go deletes it
 *   from the job's environment ("should never make it into the job
 *   environment"). Here it is in the bootstrap's environment anyway (an
 *   agent started with it exported) and must still not reach the job.
 * - The agent sets BUILDKITE_BUILD_PATH, _BIN_PATH, _HOOKS_PATH,
 *   _PLUGINS_PATH, _SOCKETS_PATH and BUILDKITE_ENV_FILE itself, over the
 *   job's values (same function); other variables, such as
 *   BUILDKITE_AGENT_JOB_TIMEOUT_FILE, a pipeline can set, so they must not
 *   become binds.
 * - Cancellation: cancel-signal (default SIGTERM) to the bootstrap, then
 *   SIGKILL after cancel-grace-period (default 10 s); the bootstrap runs
 *   the pre-exit hooks on the signal: agent configuration page above, and
 *   InterruptSignal / SignalGracePeriod in job_executor_exec.go.
 * - The job API socket lives in the sockets path (sockets-path setting)
 *   and is used by the job's own processes: agent configuration page.
 * - Exit status: the bootstrap's is the job's; brig's 125 means the
 *   sandbox could not be set up (brig's own contract, DESIGN.md 3). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_driver.h"

BRIG_SUITE(buildkite);

#define ACCESS_TOKEN "bkaa_job_session_token_0123456789"
#define REGISTRATION_TOKEN "bkua_registration_token_9876543210"

struct agent {
	char *root, *build, *bin, *hooks, *plugins, *sockets, *env_file, *env_json;
	char *script; /* bootstrap-script */
	char *env[40];
	size_t n_env;
};

static void setenv_of(struct agent *a, const char *name, const char *value)
{
	cr_assert_lt(a->n_env, sizeof a->env / sizeof a->env[0] - 1);
	cr_assert_geq(asprintf(&a->env[a->n_env++], "%s=%s", name, value), 0);
}

static char *sub(const char *root, const char *name)
{
	char *p = NULL;
	cr_assert_geq(asprintf(&p, "%s/%s", root, name), 0);
	cr_assert_eq(mkdir(p, 0755), 0);
	/* Readable by the test user, who runs brig (and so the agent) when
	 * the suite runs rootless. */
	cr_assert_eq(chown(p, harness_dir_owner(), harness_dir_group()), 0);
	return p;
}

/* A copy of the shipped profiles with the site's forge beside them, as an
 * operator's directory has it. */
static char *profiles_dir(void)
{
	const char *shipped = getenv("BRIG_PROFILES");
	if (!shipped)
		harness_unavailable("BRIG_PROFILES is not set: run the suite through `make integration`");
	char *dir = tmpdir_make("bk-profiles"), cmd[8192];
	snprintf(cmd, sizeof cmd,
		 "cp -R '%s/.' '%s/' && mkdir '%s/site' && echo 'egress-allow-host git.example.com:443/tcp' > '%s/site/forge.inc'"
		 " && chmod -R a+rX,go-w '%s'",
		 shipped, dir, dir, dir, dir);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	return dir;
}

/* The shipped profile the agent's jobs get here: buildkite (net veth by
 * name, with the site's forge) needs root and nftables; where either is
 * missing (the test user, the VM guest: BRIG_NET_LAB=0) buildkite-rootless,
 * as an agent without root would use. The network lab tests that a
 * buildkite job reaches its forge by name (test_net.c). */
static const char *shipped_profile(void)
{
	const char *lab_flag = getenv("BRIG_NET_LAB");
	return harness_unprivileged() || (lab_flag && strcmp(lab_flag, "0") == 0) ? "buildkite-rootless" : "buildkite";
}

/* The stand-in, copied where the test user can run it. */
static void install_standin(const char *bin)
{
	char *text = file_read("tests/buildkite/buildkite-agent");
	cr_assert_not_null(text, "tests/buildkite/buildkite-agent not found: run the suite from the checkout");
	file_write(bin, "buildkite-agent", text, 0755);
	free(text);
}

/* What an agent sets up for one job, and the environment it gives the
 * bootstrap: its own (PATH, HOME, a secret of the host, the registration
 * token), then the job's. */
static void agent_setup(struct agent *a, const char *command, const char *profile)
{
	memset(a, 0, sizeof *a);
	a->root = tmpdir_make("buildkite");
	a->build = sub(a->root, "builds");
	a->bin = sub(a->root, "bin");
	a->hooks = sub(a->root, "hooks");
	a->plugins = sub(a->root, "plugins");
	a->sockets = sub(a->root, "sockets");
	char *files = sub(a->root, "tmp");
	install_standin(a->bin);
	free(file_write(a->bin, "README", "agent\n", 0644));
	free(file_write(a->hooks, "README", "hooks\n", 0644));
	free(file_write(a->plugins, "README", "plugins\n", 0644));
	a->env_file = file_write(files, "job-env-1234", "BUILDKITE_JOB_ID=\"0190-job\"\n", 0644);
	a->env_json = file_write(files, "job-env-json-1234", "{\"BUILDKITE_JOB_ID\":\"0190-job\"}\n", 0644);

	const char *brig = getenv("BRIG");
	cr_assert_not_null(brig);
	cr_assert_geq(asprintf(&a->script, "%s run --profile %s -- buildkite-agent bootstrap", brig,
			       profile ? profile : shipped_profile()), 0);

	setenv_of(a, "PATH", "/usr/local/bin:/usr/bin:/bin");
	setenv_of(a, "HOME", a->root);
	setenv_of(a, "TERM", "xterm-256color");
	setenv_of(a, "BRIG_PROFILE_PATH", profiles_dir());
	setenv_of(a, "HOST_SECRET", "host-only-value");
	setenv_of(a, "BUILDKITE_AGENT_TOKEN", REGISTRATION_TOKEN);
	setenv_of(a, "BUILDKITE", "true");
	setenv_of(a, "CI", "true");
	setenv_of(a, "BUILDKITE_JOB_ID", "0190-job");
	setenv_of(a, "BUILDKITE_COMMAND", command);
	setenv_of(a, "BUILDKITE_AGENT_ACCESS_TOKEN", ACCESS_TOKEN);
	setenv_of(a, "BUILDKITE_AGENT_ENDPOINT", "https://agent.buildkite.com/v3");
	setenv_of(a, "BUILDKITE_BUILD_PATH", a->build);
	setenv_of(a, "BUILDKITE_BIN_PATH", a->bin);
	setenv_of(a, "BUILDKITE_HOOKS_PATH", a->hooks);
	setenv_of(a, "BUILDKITE_PLUGINS_PATH", a->plugins);
	setenv_of(a, "BUILDKITE_SOCKETS_PATH", a->sockets);
	setenv_of(a, "BUILDKITE_ENV_FILE", a->env_file);
	setenv_of(a, "BUILDKITE_ENV_JSON_FILE", a->env_json);
	/* As a pipeline's env: could set it: a host file the job must not see. */
	setenv_of(a, "BUILDKITE_AGENT_JOB_TIMEOUT_FILE", file_write(files, "host-secret", "secret\n", 0644));
}

static void agent_run(struct agent *a, struct agent_proc *p, bool pty)
{
	char **argv = agent_split(a->script);
	agent_start(p, argv, a->env, a->build, pty);
}

static char *value(struct agent_proc *p, const char *key)
{
	char *v = kv_get(p->log.data, key);
	if (v)
		v[strcspn(v, "\r")] = '\0'; /* the job's terminal writes CR LF */
	return v ? v : "(absent)";
}

#define LOG_FMT "\n-- exit %d, log:\n%s"
#define LOG_ARGS(p) (p).status, (p).log.data

Test(buildkite, bootstrap_gets_the_job_environment_paths_and_a_terminal, .timeout = 60)
{
	struct agent a;
	struct agent_proc p;
	agent_setup(&a, "echo command-ran", NULL);
	agent_run(&a, &p, true);
	int code = agent_finish(&p, 30);
	cr_assert_eq(code, 0, "the job failed" LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "pwd"), a.build, LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "access_token"), ACCESS_TOKEN, LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "endpoint"), "https://agent.buildkite.com/v3", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "registration_token"), "unset", LOG_FMT, LOG_ARGS(p));
	cr_expect_null(strstr(p.log.data, REGISTRATION_TOKEN), "the registration token reached the job" LOG_FMT,
		       LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "host_secret"), "unset", LOG_FMT, LOG_ARGS(p));
	cr_expect_eq(strncmp(value(&p, "path"), a.bin, strlen(a.bin)), 0, "the agent's directory is not first in PATH"
		     LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "tty"), "yes", LOG_FMT, LOG_ARGS(p));
	/* The sandbox's own devpts: its ptmx and the job's one terminal. */
	cr_expect_str_eq(value(&p, "tty_name"), "/dev/pts/0", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "pts_entries"), "0 ptmx ", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "build_write"), "ok", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "bin_ro"), "yes", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "hooks_ro"), "yes", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "plugins_ro"), "yes", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "env_file"), "ok", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "pipeline_path_bound"), "no", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "env_json_file"), "ok", LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "socket"), "ok", LOG_FMT, LOG_ARGS(p));
	cr_expect_not_null(strstr(p.log.data, "command-ran"), LOG_FMT, LOG_ARGS(p));
	char path[4200];
	snprintf(path, sizeof path, "%s/checkout/out.txt", a.build);
	char *out = file_read(path);
	cr_expect(out && strcmp(out, "built\n") == 0, "the build path was not written on the host" LOG_FMT,
		  LOG_ARGS(p));
	snprintf(path, sizeof path, "%s/written-by-job", a.hooks);
	cr_expect_neq(access(path, F_OK), 0, "the job wrote into the hooks path");
}

Test(buildkite, without_a_pty_the_job_gets_the_agents_pipe, .timeout = 60)
{
	struct agent a;
	struct agent_proc p;
	agent_setup(&a, "true", NULL);
	agent_run(&a, &p, false); /* --no-pty */
	cr_assert_eq(agent_finish(&p, 30), 0, LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "tty"), "no", LOG_FMT, LOG_ARGS(p));
}

Test(buildkite, the_exit_status_is_the_jobs, .timeout = 60)
{
	struct agent a;
	struct agent_proc p;
	agent_setup(&a, "echo failing; exit 3", NULL);
	agent_run(&a, &p, true);
	cr_assert_eq(agent_finish(&p, 30), 3, LOG_FMT, LOG_ARGS(p));
	cr_expect_str_eq(value(&p, "command_status"), "3", LOG_FMT, LOG_ARGS(p));
}

Test(buildkite, a_broken_profile_exits_125_before_the_bootstrap, .timeout = 60)
{
	struct agent a;
	struct agent_proc p;
	char *dir = tmpdir_make("bk-profile");
	char *broken = file_write(dir, "broken", "env-pass CI\ntimout 3h\n", 0644);
	agent_setup(&a, "true", broken);
	agent_run(&a, &p, true);
	cr_assert_eq(agent_finish(&p, 30), 125, LOG_FMT, LOG_ARGS(p));
	cr_expect_not_null(strstr(p.log.data, "timout"), "brig did not name the problem" LOG_FMT, LOG_ARGS(p));
	cr_expect_null(strstr(p.log.data, "pwd="), "the bootstrap ran" LOG_FMT, LOG_ARGS(p));
}

Test(buildkite, cancel_signal_reaches_the_bootstraps_trap, .timeout = 60)
{
	struct agent a;
	struct agent_proc p;
	agent_setup(&a, "echo command-started; sleep 600", NULL);
	agent_run(&a, &p, true);
	bool started = agent_wait_log(&p, "command-started", 30);
	if (!started) {
		agent_finish(&p, 1);
		cr_assert_fail("the command never started" LOG_FMT, LOG_ARGS(p));
	}
	agent_signal(&p, SIGTERM);
	int code = agent_finish(&p, 20);
	cr_expect_str_eq(value(&p, "trap"), "TERM", "the bootstrap's trap did not run" LOG_FMT, LOG_ARGS(p));
	cr_expect_eq(code, 143, LOG_FMT, LOG_ARGS(p));
	char path[4200];
	snprintf(path, sizeof path, "%s/pre-exit-hook-ran", a.build);
	cr_expect_eq(access(path, F_OK), 0, "the pre-exit hook left no trace" LOG_FMT, LOG_ARGS(p));
}

#define MAX_NS 8

Test(buildkite, sigkill_after_the_grace_period_leaves_nothing, .timeout = 60)
{
	struct agent a;
	struct agent_proc p;
	char cmd[256], desc[512];
	const char *marker = harness_marker();
	snprintf(cmd, sizeof cmd, "echo command-started; sleep 600; : %s", marker);
	agent_setup(&a, cmd, NULL);
	setenv_of(&a, "STANDIN_STUCK_ON_TERM", "1"); /* not passed: must not matter */
	setenv_of(&a, "BUILDKITE_STANDIN_STUCK", "1");
	agent_run(&a, &p, true);
	bool started = agent_wait_log(&p, "command-started", 30);
	pid_t job = started ? agent_find_proc(marker) : 0;
	if (!job) {
		agent_finish(&p, 1);
		cr_assert_fail("the command never started" LOG_FMT, LOG_ARGS(p));
	}
	ino_t ns[MAX_NS];
	size_t n_ns = job_pidns(marker, ns, MAX_NS);
	char *cg = agent_cgroup_of(job);
	cr_assert_gt(n_ns, 0, "the job has no pid namespace of its own");

	/* The cancel signal, then the grace period, then SIGKILL. */
	agent_signal(&p, SIGTERM);
	agent_wait_log(&p, "trap=TERM", 10);
	usleep(300 * 1000);
	agent_signal(&p, SIGKILL);
	agent_finish(&p, 10);

	size_t left = leftovers_wait(marker, ns, n_ns, 3000, desc, sizeof desc);
	cr_expect_eq(left, 0, "%zu processes of the job survive by 3 s, e.g. %s" LOG_FMT, left, desc, LOG_ARGS(p));
	/* No mount of the job's paths is left on the host. */
	char *mnt = agent_mount_under(a.root);
	for (long long end = harness_deadline_ms(3000); mnt && now_ms() < end; usleep(50 * 1000))
		free(mnt), mnt = agent_mount_under(a.root);
	cr_expect_null(mnt, "a mount of the job's paths survives: %s", mnt);
	/* The job's cgroup: gone within a few seconds (brig's janitor). */
	struct stat st;
	/* Rootless without a delegated cgroup, the job has none of its own. */
	if (cg && cg[strlen(cg) - 1] != '/' && strcmp(cg, harness_cgroup2_root()) != 0) {
		long long deadline = harness_deadline_ms(3000);
		while (stat(cg, &st) == 0 && now_ms() < deadline)
			usleep(20 * 1000);
		cr_expect_neq(stat(cg, &st), 0, "the job's cgroup %s survives SIGKILL of brig by 3 s", cg);
	}
}

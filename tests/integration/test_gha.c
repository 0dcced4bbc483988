/* `brig gha-hook`, driven exactly as the GitHub Actions runner (2.336.0)
 * drives a container hook (docs/github.md; actions/runner's
 * ContainerHookManager.cs, HookInput.cs, ContainerInfo.cs,
 * FileCommandManager.cs, ProcessInvoker.cs):
 *
 * - the runner's directory: ROOT/.runner and .credentials next to _work,
 *   ROOT/externals (bound read-only at /__e), ROOT/_work with _temp,
 *   _actions, _tool, _temp/_github_home, _temp/_github_workflow,
 *   _temp/_runner_file_commands, _temp/_runner_hook_responses, all owned
 *   by the runner's user;
 * - each call: `bash -e SHIM` (the shipped one-line shim, pointing at the
 *   binary under test), one compact JSON line and EOF on stdin, the
 *   runner's environment plus GITHUB_WORKSPACE and friends, the workspace
 *   as working directory, the response file created empty before;
 * - prepare_job's systemMountVolumes in the runner's order, docker.sock
 *   first; the step's file-command files created empty before each step
 *   and read back on the host after it (set_env lines and heredocs,
 *   add_path lines, newest first in prependPath);
 * - cancellation: SIGINT to the hook, SIGTERM later, then SIGKILL.
 *
 * As root the hook runs as root, with the runner's files owned by a
 * non-root user; under BRIG_TEST_USER (run.sh's second pass) the runner
 * and the hook are that user and brig is rootless. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_driver.h"

BRIG_SUITE(gha);

#define SECRET "runner-credential-7f3a"
#define RUNNER_ENV_SECRET "runner-env-only-91c2"
#define MAX_NS 8

struct runner {
	char *root, *work, *temp, *shim, *images, *state, *workspace, *profile;
	char *env[32];
	size_t n_env;
	unsigned calls;
	char *job; /* prepare_job's state.brig.job */
	const char *netns; /* the network lab's host namespace, or NULL */
};

struct hook {
	pid_t pid;
	int out, err;
	struct buf o, e;
	int status;
};

static void sh(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static void chown_tree(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "chown -R %u:%u '%s'", (unsigned)harness_dir_owner(), (unsigned)harness_dir_group(), path);
	sh(cmd);
}

static char *path_of(const char *a, const char *b)
{
	char *p = NULL;
	cr_assert_geq(asprintf(&p, "%s/%s", a, b), 0);
	return p;
}

static void mkdirs(const char *root, const char *rel)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", root, rel);
	sh(cmd);
}

static void put_env(struct runner *r, const char *name, const char *value)
{
	cr_assert_lt(r->n_env, sizeof r->env / sizeof r->env[0] - 1);
	cr_assert_geq(asprintf(&r->env[r->n_env++], "%s=%s", name, value), 0);
}

/* The map: what the administrator wrote, owned by root. */
static void write_map(struct runner *r, const char *text)
{
	char *dir = tmpdir_make("gha-etc");
	r->images = file_write(dir, "gha-images", text, 0644);
	cr_assert_eq(chown(r->images, 0, 0), 0);
}

static void runner_setup(struct runner *r)
{
	memset(r, 0, sizeof *r);
	r->root = tmpdir_make("gha-runner");
	const char *dirs[] = { "externals/node20/bin", "_work/_temp/_runner_hook_responses", "_work/_temp/_runner_file_commands",
			       "_work/_temp/_github_home", "_work/_temp/_github_workflow", "_work/_actions", "_work/_tool",
			       "_work/proj/proj" };
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
		mkdirs(r->root, dirs[i]);
	file_write(r->root, ".runner", "{\"agentName\":\"brig-test\"}\n", 0600);
	file_write(r->root, ".credentials", SECRET "\n", 0600);
	file_write(r->root, ".credentials_rsaparams", SECRET "\n", 0600);
	r->work = path_of(r->root, "_work");
	r->temp = path_of(r->work, "_temp");
	r->workspace = path_of(r->work, "proj/proj");
	chown_tree(r->root);
	/* The shipped shim, pointing at the binary under test. */
	char *shim_dir = tmpdir_make("gha-shim"), cmd[8192];
	r->shim = path_of(shim_dir, "gha-hook.sh");
	snprintf(cmd, sizeof cmd, "sed 's|@BINDIR@/brig|%s|' scripts/gha-hook.sh.in > '%s' && chmod 0755 '%s'", getenv("BRIG"),
		 r->shim, r->shim);
	sh(cmd);
	write_map(r, "# the test's images\ndebian:* host\nalpine:3 host\n");
	r->state = tmpdir_make("gha-state");
	const char *profiles = getenv("BRIG_PROFILES");
	if (!profiles)
		harness_unavailable("BRIG_PROFILES is not set: run the suite through `make integration`");
	/* gha's net veth needs root and nftables; where either is missing (the
	 * test user, the VM guest: BRIG_NET_LAB=0) the steps run without a
	 * network, as a rootless runner's do. The lab tests cover veth. */
	const char *lab_flag = getenv("BRIG_NET_LAB");
	bool no_veth = harness_unprivileged() || (lab_flag && strcmp(lab_flag, "0") == 0);
	r->profile = path_of(profiles, no_veth ? "gha-rootless" : "gha");
	/* The runner's own environment, then what it adds for the hook. */
	put_env(r, "PATH", "/usr/local/bin:/usr/bin:/bin");
	put_env(r, "HOME", r->root);
	put_env(r, "RUNNER_SECRET_SETTING", RUNNER_ENV_SECRET);
	put_env(r, "ACTIONS_RUNNER_REQUIRE_JOB_CONTAINER", "true");
	put_env(r, "GITHUB_WORKSPACE", r->workspace);
	put_env(r, "RUNNER_TEMP", r->temp);
	put_env(r, "RUNNER_WORKSPACE", r->work);
	put_env(r, "BRIG_GHA_STATE_DIR", r->state);
	put_env(r, "BRIG_GHA_PROFILE", r->profile);
	r->env[r->n_env] = NULL;
}

static void set_images(struct runner *r)
{
	for (size_t i = 0; i < r->n_env; i++)
		if (strncmp(r->env[i], "BRIG_GHA_IMAGES=", 16) == 0)
			return;
	put_env(r, "BRIG_GHA_IMAGES", r->images);
	r->env[r->n_env] = NULL;
}

/* A response file, created empty by the runner before each call. */
static char *response_file(struct runner *r)
{
	char name[64];
	snprintf(name, sizeof name, "_runner_hook_responses/%08x-test-%u.json", (unsigned)getpid(), ++r->calls);
	char *dir = path_of(r->temp, "");
	char *p = file_write(dir, name, "", 0644);
	struct stat st;
	cr_assert_eq(stat(r->temp, &st), 0);
	cr_assert_eq(chown(p, st.st_uid, st.st_gid), 0);
	return p;
}

static void hook_start(struct runner *r, struct hook *h, const char *json)
{
	int in[2], out[2], err[2];
	set_images(r);
	memset(h, 0, sizeof *h);
	h->status = -1;
	buf_append(&h->o, "", 0);
	buf_append(&h->e, "", 0);
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	h->pid = fork();
	cr_assert_geq(h->pid, 0);
	if (h->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (harness_unprivileged()) {
			gid_t g = harness_brig_gid();
			uid_t u = harness_brig_uid();
			if (setgroups(0, NULL) < 0 || setresgid(g, g, g) < 0 || setresuid(u, u, u) < 0)
				_exit(200);
		}
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (chdir(r->workspace) < 0)
			_exit(201);
		char *argv[] = { "/bin/bash", "-e", r->shim, NULL };
		/* In the network lab, the runner runs on the lab's host. */
		char *lab[] = { "/usr/bin/env", "ip", "netns", "exec", (char *)r->netns, "/bin/bash", "-e", r->shim, NULL };
		execve(r->netns ? lab[0] : argv[0], r->netns ? lab : argv, r->env);
		_exit(202);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	/* One line, a newline, EOF: ProcessInvoker's WriteLine, then close. */
	size_t len = strlen(json);
	cr_assert_eq(write(in[1], json, len), (ssize_t)len);
	cr_assert_eq(write(in[1], "\n", 1), 1);
	close(in[1]);
	h->out = out[0];
	h->err = err[0];
}

static struct agent_pump hook_output(struct hook *h)
{
	return (struct agent_pump){ .fd = { &h->out, &h->err }, .buf = { &h->o, &h->e }, .n = 2 };
}

static bool hook_wait_out(struct hook *h, const char *needle, double limit_s)
{
	struct agent_pump pump = hook_output(h);
	return agent_pump_until(&pump, &h->o, needle, limit_s);
}

static int hook_finish(struct hook *h, double limit_s)
{
	struct agent_pump pump = hook_output(h);
	return h->status = agent_pump_reap(&pump, h->pid, limit_s);
}

#define HOOK_FMT "\n-- hook exit %d\n-- stdout:\n%s\n-- stderr:\n%s"
#define HOOK_ARGS(h) (h).status, (h).o.data, (h).e.data

/* ---- requests, as the runner's JsonUtility writes them ----------------- */

static json_object *str(const char *s) { return s ? json_object_new_string(s) : NULL; }

static json_object *mount(const char *src, const char *dst, bool ro)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "userProvidedValue", NULL);
	json_object_object_add(m, "sourceVolumePath", str(src));
	json_object_object_add(m, "targetVolumePath", str(dst));
	json_object_object_add(m, "readOnly", json_object_new_boolean(ro));
	return m;
}

static json_object *env_of(const char *const *kv)
{
	json_object *o = json_object_new_object();
	for (; kv && kv[0]; kv += 2)
		json_object_object_add(o, kv[0], str(kv[1]));
	return o;
}

static json_object *strings(const char *const *v)
{
	json_object *a = json_object_new_array();
	for (; v && *v; v++)
		json_object_array_add(a, str(*v));
	return a;
}

struct container_opts {
	const char *image, *dockerfile, *create_options, *entry_point, *workdir;
	const char *const *env;  /* K, V, ..., NULL */
	const char *const *args; /* NULL-terminated */
	json_object *user_volumes;
	const char *const *ports;
};

/* The job container of ContainerInfo, with MountWellKnownDirectories. */
static json_object *job_container(struct runner *r, const struct container_opts *o)
{
	json_object *c = json_object_new_object(), *sys = json_object_new_array();
	char *p[6] = { path_of(r->root, "externals"), path_of(r->work, "_temp"), path_of(r->work, "_actions"),
		       path_of(r->work, "_tool"), path_of(r->temp, "_github_home"), path_of(r->temp, "_github_workflow") };
	json_object_array_add(sys, mount("/var/run/docker.sock", "/var/run/docker.sock", false));
	json_object_array_add(sys, mount(r->work, "/__w", false));
	json_object_array_add(sys, mount(p[0], "/__e", true));
	json_object_array_add(sys, mount(p[1], "/__w/_temp", false));
	json_object_array_add(sys, mount(p[2], "/__w/_actions", false));
	json_object_array_add(sys, mount(p[3], "/__w/_tool", false));
	json_object_array_add(sys, mount(p[4], "/github/home", false));
	json_object_array_add(sys, mount(p[5], "/github/workflow", false));
	static const char *const home[] = { "HOME", "/github/home", NULL };
	json_object_object_add(c, "image", str(o && o->image ? o->image : "debian:bookworm"));
	json_object_object_add(c, "dockerfile", str(o ? o->dockerfile : NULL));
	json_object_object_add(c, "entryPointArgs", json_object_new_array());
	json_object_object_add(c, "entryPoint", NULL);
	json_object_object_add(c, "workingDirectory", str("/__w/proj/proj"));
	json_object_object_add(c, "createOptions", str(o ? o->create_options : NULL));
	json_object *reg = json_object_new_object();
	json_object_object_add(reg, "username", str("registry-user"));
	json_object_object_add(reg, "password", str("registry-password-5e1b"));
	json_object_object_add(reg, "serverUrl", str("https://registry.example.com"));
	json_object_object_add(c, "registry", reg);
	json_object_object_add(c, "environmentVariables", env_of(o && o->env ? o->env : home));
	json_object_object_add(c, "portMappings", strings(o ? o->ports : NULL));
	json_object_object_add(c, "systemMountVolumes", sys);
	json_object_object_add(c, "userMountVolumes", o && o->user_volumes ? o->user_volumes : json_object_new_array());
	return c;
}

static char *request(const char *command, const char *response, json_object *args, const char *job)
{
	json_object *o = json_object_new_object(), *state = NULL;
	json_object_object_add(o, "command", str(command));
	json_object_object_add(o, "responseFile", str(response));
	json_object_object_add(o, "args", args ? args : json_object_new_object());
	if (job) {
		json_object *b = json_object_new_object();
		state = json_object_new_object();
		json_object_object_add(b, "job", str(job));
		json_object_object_add(state, "brig", b);
	}
	json_object_object_add(o, "state", state);
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static int call(struct runner *r, struct hook *h, const char *json)
{
	hook_start(r, h, json);
	return hook_finish(h, 60);
}

/* prepare_job with the given job container; checks the response as the
 * runner does and keeps the job id. */
static void prepare(struct runner *r, const struct container_opts *o)
{
	struct hook h;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "container", job_container(r, o));
	json_object_object_add(args, "services", json_object_new_array());
	char *resp = response_file(r);
	cr_assert_eq(call(r, &h, request("prepare_job", resp, args, NULL)), 0, HOOK_FMT, HOOK_ARGS(h));
	char *text = file_read(resp);
	json_object *o2 = text ? json_tokener_parse(text) : NULL, *v, *ctx, *c;
	cr_assert_not_null(o2, "the response is not JSON: %s", text);
	cr_assert(json_object_object_get_ex(o2, "isAlpine", &v) && json_object_is_type(v, json_type_boolean),
		  "isAlpine is required and boolean: %s", text);
	cr_expect_not(json_object_get_boolean(v), "the test's image is the host's Debian: %s", text);
	cr_assert(json_object_object_get_ex(o2, "state", &v) && json_object_object_get_ex(v, "brig", &v) &&
		  json_object_object_get_ex(v, "job", &v), "no state.brig.job: %s", text);
	r->job = strdup(json_object_get_string(v));
	cr_assert(json_object_object_get_ex(o2, "context", &ctx) && json_object_object_get_ex(ctx, "container", &c) &&
		  json_object_object_get_ex(c, "id", &v), "no context.container.id: %s", text);
	cr_expect_str_eq(json_object_get_string(v), r->job);
	cr_expect(!strstr(text, "registry-password") && !strstr(h.o.data, "registry-password") &&
		  !strstr(h.e.data, "registry-password"), "the registry password shows");
	json_object_put(o2);
	/* The runner deletes it after reading. */
	unlink(resp);
}

struct files {
	char *env, *path, *output, *state, *summary; /* host paths */
	char *guid;
};

/* FileCommandManager: empty files, created by the runner before a step. */
static void file_commands(struct runner *r, struct files *f)
{
	char name[128], *dir = path_of(r->temp, "_runner_file_commands");
	cr_assert_geq(asprintf(&f->guid, "%x-%u", (unsigned)getpid(), ++r->calls), 0);
	char **slot[] = { &f->path, &f->env, &f->output, &f->state, &f->summary };
	const char *kind[] = { "add_path", "set_env", "set_output", "save_state", "step_summary" };
	for (size_t i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "%s_%s", kind[i], f->guid);
		*slot[i] = file_write(dir, name, "", 0644);
		cr_assert_eq(chown(*slot[i], harness_dir_owner(), harness_dir_group()), 0);
	}
}

struct step_opts {
	const char *entry_point;          /* default sh */
	const char *const *args;          /* default -e SCRIPT */
	const char *const *env;           /* extra K, V pairs */
	json_object *prepend;             /* default [] */
	const char *workdir;              /* default /__w/proj/proj */
	struct files *files;
};

/* A `run:` step: the runner writes the script under _temp and runs it
 * through the hook with sh -e. */
static char *script_request(struct runner *r, const char *body, const struct step_opts *o)
{
	char name[64];
	snprintf(name, sizeof name, "%x-script-%u.sh", (unsigned)getpid(), ++r->calls);
	file_write(r->temp, name, body, 0644);
	char *in_job = NULL;
	cr_assert_geq(asprintf(&in_job, "/__w/_temp/%s", name), 0);
	const char *dflt[] = { "-e", in_job, NULL };
	json_object *args = json_object_new_object(), *env = json_object_new_object();
	json_object_object_add(env, "GITHUB_WORKSPACE", str("/__w/proj/proj"));
	json_object_object_add(env, "CI", str("true"));
	if (o && o->files) {
		const char *kind[] = { "GITHUB_PATH", "GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY" };
		const char *pre[] = { "add_path", "set_env", "set_output", "save_state", "step_summary" };
		for (size_t i = 0; i < 5; i++) {
			char v[256];
			snprintf(v, sizeof v, "/__w/_temp/_runner_file_commands/%s_%s", pre[i], o->files->guid);
			json_object_object_add(env, kind[i], str(v));
		}
	}
	for (const char *const *kv = o ? o->env : NULL; kv && kv[0]; kv += 2)
		json_object_object_add(env, kv[0], str(kv[1]));
	json_object_object_add(args, "entryPoint", str(o && o->entry_point ? o->entry_point : "sh"));
	json_object_object_add(args, "entryPointArgs", strings(o && o->args ? o->args : dflt));
	json_object_object_add(args, "environmentVariables", env);
	json_object_object_add(args, "prependPath", o && o->prepend ? o->prepend : json_object_new_array());
	json_object_object_add(args, "workingDirectory", str(o && o->workdir ? o->workdir : "/__w/proj/proj"));
	return request("run_script_step", response_file(r), args, r->job);
}

static int step(struct runner *r, struct hook *h, const char *body, const struct step_opts *o)
{
	return call(r, h, script_request(r, body, o));
}

/* Job records the hook keeps in its state directory. */
static size_t records(const struct runner *r)
{
	DIR *d = opendir(r->state);
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void cleanup(struct runner *r)
{
	struct hook h;
	cr_assert_eq(call(r, &h, request("cleanup_job", response_file(r), NULL, r->job)), 0, HOOK_FMT, HOOK_ARGS(h));
	char *rec = path_of(r->state, r->job);
	cr_expect_neq(access(rec, F_OK), 0, "cleanup_job left the job's record %s", rec);
}

/* ---- every command, environment, mounts ---------------------------------- */

Test(gha, prepare_step_and_cleanup_as_the_runner_calls_them, .timeout = 120)
{
	struct runner r;
	struct hook h;
	runner_setup(&r);
	static const char *const job_env[] = { "HOME", "/github/home", "JOB_LEVEL", "from-container-env",
					       "SHADOWED", "job", NULL };
	struct container_opts co = { .env = job_env };
	prepare(&r, &co);
	const char *verbatim = "quote\" dollar$HOME back\\slash 'single'\nsecond line";
	const char *env[] = { "VERBATIM", verbatim, "SHADOWED", "step", NULL };
	json_object *prepend = strings((const char *const[]){ "/opt/newest", "/opt/older", NULL });
	struct step_opts so = { .env = env, .prepend = prepend, .workdir = "/__w/proj/proj" };
	const char *body = "printf 'verbatim=%s|\\n' \"$VERBATIM\" | tr '\\n' '~'; echo\n"
			   "echo job_level=$JOB_LEVEL\necho shadowed=$SHADOWED\necho home=$HOME\n"
			   "echo path=$PATH\necho pwd=$(pwd)\necho actions=$GITHUB_ACTIONS\n"
			   "echo runner_secret=${RUNNER_SECRET_SETTING:-none}\n"
			   "echo ws=$GITHUB_WORKSPACE\n"
			   "touch /__e/x 2>/dev/null && echo externals=writable || echo externals=read-only\n"
			   "for d in /__w /__w/_temp /__w/_actions /__w/_tool /github/home /github/workflow /__e/node20; do\n"
			   "  [ -d $d ] && echo mounted=$d; done\n"
			   "[ -e /var/run/docker.sock ] && echo docker_sock=present || echo docker_sock=absent\n"
			   "echo made > /__w/proj/proj/made-by-step; mkdir -p /github/home/.cache; echo h > /github/home/.cache/f\n";
	cr_assert_eq(step(&r, &h, body, &so), 0, HOOK_FMT, HOOK_ARGS(h));
	char *want = NULL;
	cr_assert_geq(asprintf(&want, "verbatim=%s|~", verbatim), 0);
	for (char *c = want; *c; c++)
		if (*c == '\n')
			*c = '~';
	cr_expect(strstr(h.o.data, want), "the variable was not passed verbatim (want %s)" HOOK_FMT, want, HOOK_ARGS(h));
	cr_expect_str_eq(kv_get(h.o.data, "job_level") ?: "?", "from-container-env");
	cr_expect_str_eq(kv_get(h.o.data, "shadowed") ?: "?", "step", "the step's variable wins over the job container's");
	cr_expect_str_eq(kv_get(h.o.data, "home") ?: "?", "/github/home");
	char *path = kv_get(h.o.data, "path");
	cr_expect(path && strncmp(path, "/opt/newest:/opt/older:", 23) == 0, "PATH %s lacks prependPath in front", path);
	cr_expect_str_eq(kv_get(h.o.data, "pwd") ?: "?", "/__w/proj/proj");
	cr_expect_str_eq(kv_get(h.o.data, "actions") ?: "?", "true");
	cr_expect_str_eq(kv_get(h.o.data, "runner_secret") ?: "?", "none", "the runner's environment reached the step");
	cr_expect_str_eq(kv_get(h.o.data, "externals") ?: "?", "read-only");
	cr_expect_eq(kv_count(h.o.data, "mounted"), 7, HOOK_FMT, HOOK_ARGS(h));
	cr_expect_str_eq(kv_get(h.o.data, "docker_sock") ?: "?", "absent");
	/* The step's files belong to the runner's user on the host. */
	struct stat st;
	char *made = path_of(r.workspace, "made-by-step"), *cache = path_of(r.temp, "_github_home/.cache/f");
	cr_assert_eq(stat(made, &st), 0, "the step's file is not in the workspace on the host");
	cr_expect_eq(st.st_uid, harness_dir_owner(), "owned by uid %u on the host, not the runner's", (unsigned)st.st_uid);
	cr_assert_eq(stat(cache, &st), 0);
	cr_expect_eq(st.st_uid, harness_dir_owner());
	/* The legacy prependPath: one string, ':'-joined. */
	struct step_opts legacy = { .prepend = json_object_new_string("/opt/a:/opt/b") };
	cr_assert_eq(step(&r, &h, "echo path=$PATH\n", &legacy), 0, HOOK_FMT, HOOK_ARGS(h));
	path = kv_get(h.o.data, "path");
	cr_expect(path && strncmp(path, "/opt/a:/opt/b:", 14) == 0, "PATH %s", path);
	cleanup(&r);
	/* After cleanup the job is gone: its state is foreign now. */
	cr_expect_neq(step(&r, &h, "echo ran > /__w/ran-after-cleanup\n", NULL), 0);
	cr_expect_neq(access(path_of(r.work, "ran-after-cleanup"), F_OK), 0, "a step ran after cleanup_job");
}

/* ---- file commands ------------------------------------------------------- */

/* FileCommandManager's set_env: K=V lines and K<<DELIM heredocs. */
static void read_set_env(const char *text, char **names, char **values, size_t *n)
{
	char *copy = strdup(text), *save = NULL;
	*n = 0;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hd = strstr(line, "<<"), *eq = strchr(line, '=');
		if (hd && (!eq || hd < eq)) {
			*hd = '\0';
			const char *delim = hd + 2;
			char val[1024] = "";
			for (char *l = strtok_r(NULL, "\n", &save); l && strcmp(l, delim) != 0; l = strtok_r(NULL, "\n", &save))
				snprintf(val + strlen(val), sizeof val - strlen(val), "%s%s", val[0] ? "\n" : "", l);
			names[*n] = strdup(line);
			values[(*n)++] = strdup(val);
		} else if (eq) {
			*eq = '\0';
			names[*n] = strdup(line);
			values[(*n)++] = strdup(eq + 1);
		}
	}
	free(copy);
}

Test(gha, file_commands_reach_the_runner_and_the_next_step, .timeout = 120)
{
	struct runner r;
	struct hook h;
	struct files f;
	runner_setup(&r);
	prepare(&r, NULL);
	file_commands(&r, &f);
	struct step_opts so = { .files = &f };
	const char *body = "echo 'GREETING=hello world' >> \"$GITHUB_ENV\"\n"
			   "printf 'MULTI<<EOF_1\\nline one\\nline two\\nEOF_1\\n' >> \"$GITHUB_ENV\"\n"
			   "echo /opt/added-by-step >> \"$GITHUB_PATH\"\n"
			   "echo 'answer=42' >> \"$GITHUB_OUTPUT\"\n"
			   "echo '### summary' >> \"$GITHUB_STEP_SUMMARY\"\n";
	cr_assert_eq(step(&r, &h, body, &so), 0, HOOK_FMT, HOOK_ARGS(h));
	/* Read on the host by the runner's user, right after the hook. */
	char *env = file_read(f.env), *add = file_read(f.path), *out = file_read(f.output), *sum = file_read(f.summary);
	cr_assert(env && add && out && sum, "the runner cannot read the file-command files");
	cr_expect_str_eq(out, "answer=42\n");
	cr_expect_str_eq(add, "/opt/added-by-step\n");
	cr_expect_str_eq(sum, "### summary\n");
	struct stat st;
	cr_assert_eq(stat(f.env, &st), 0);
	cr_expect_eq(st.st_uid, harness_dir_owner());
	char *names[8], *values[8];
	size_t n;
	read_set_env(env, names, values, &n);
	cr_assert_eq(n, 2, "set_env: %s", env);
	cr_expect_str_eq(values[0], "hello world");
	cr_expect_str_eq(values[1], "line one\nline two");
	/* The next step gets them as the runner sends them. */
	const char *next_env[] = { names[0], values[0], names[1], values[1], NULL };
	struct step_opts next = { .env = next_env, .prepend = strings((const char *const[]){ "/opt/added-by-step", NULL }) };
	cr_assert_eq(step(&r, &h, "echo greeting=$GREETING\necho \"$MULTI\" | tail -n1 | sed 's/^/multi=/'\necho path=$PATH\n", &next),
		     0, HOOK_FMT, HOOK_ARGS(h));
	cr_expect_str_eq(kv_get(h.o.data, "greeting") ?: "?", "hello world");
	cr_expect_str_eq(kv_get(h.o.data, "multi") ?: "?", "line two");
	char *path = kv_get(h.o.data, "path");
	cr_expect(path && strncmp(path, "/opt/added-by-step:", 19) == 0, "PATH %s", path);
	cleanup(&r);
}

/* ---- streaming, stderr, exit statuses ------------------------------------ */

Test(gha, output_is_streamed_and_stderr_stays_stderr, .timeout = 120)
{
	struct runner r;
	struct hook h;
	runner_setup(&r);
	prepare(&r, NULL);
	/* The step waits for a file that the test writes only once it has
	 * seen the first line: collected output would never get there. */
	char *go = path_of(r.temp, "go");
	const char *body = "echo first-line\necho to-stderr >&2\n"
			   "i=0; while [ ! -e /__w/_temp/go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done\n"
			   "[ -e /__w/_temp/go ] && echo second-line\n";
	hook_start(&r, &h, script_request(&r, body, NULL));
	bool first = hook_wait_out(&h, "first-line", 30);
	file_write(r.temp, "go", "", 0644);
	hook_finish(&h, 60);
	cr_assert(first, "the first line did not arrive while the step ran" HOOK_FMT, HOOK_ARGS(h));
	cr_expect_eq(h.status, 0, HOOK_FMT, HOOK_ARGS(h));
	cr_expect(strstr(h.o.data, "second-line"), HOOK_FMT, HOOK_ARGS(h));
	cr_expect(strstr(h.e.data, "to-stderr") && !strstr(h.o.data, "to-stderr"), HOOK_FMT, HOOK_ARGS(h));
	(void)go;
	cleanup(&r);
}

Test(gha, the_hook_exits_with_the_steps_own_status, .timeout = 120)
{
	struct runner r;
	struct hook h;
	runner_setup(&r);
	prepare(&r, NULL);
	const char *bodies[] = { "exit 0\n", "false\n", "exit 42\n", "kill -KILL $$\n" };
	const int want[] = { 0, 1, 42, 137 };
	for (size_t i = 0; i < 4; i++) {
		int got = step(&r, &h, bodies[i], NULL);
		cr_expect_eq(got, want[i], "step `%s`" HOOK_FMT, bodies[i], HOOK_ARGS(h));
		cr_expect(!strstr(h.e.data, "brig: gha"), "brig spoke for the step's own status" HOOK_FMT, HOOK_ARGS(h));
	}
	cleanup(&r);
}

/* ---- cancellation, background processes, residue ------------------------ */

Test(gha, cancellation_ends_the_step_and_leaves_nothing, .timeout = 120)
{
	struct runner r;
	struct hook h;
	char body[512], desc[512];
	const char *marker = harness_marker();
	runner_setup(&r);
	prepare(&r, NULL);
	/* A step that ignores SIGINT, as a build tool may: the runner's
	 * SIGTERM 7.5 s later ends it. */
	snprintf(body, sizeof body, "trap 'echo got-int' INT\necho started\nsh -c 'sleep 600; : %s' &\nwhile :; do sleep 0.1 || :; done\n",
		 marker);
	hook_start(&r, &h, script_request(&r, body, NULL));
	cr_assert(hook_wait_out(&h, "started", 30), HOOK_FMT, HOOK_ARGS(h));
	pid_t job = 0;
	for (long long end = harness_deadline_ms(5000); !job && now_ms() < end; usleep(20 * 1000))
		job = agent_find_proc(marker);
	cr_assert(job, "the step's background process never showed");
	ino_t ns[MAX_NS];
	size_t n_ns = job_pidns(marker, ns, MAX_NS);
	kill(h.pid, SIGINT);
	cr_expect(hook_wait_out(&h, "got-int", 10), "SIGINT did not reach the step" HOOK_FMT, HOOK_ARGS(h));
	kill(h.pid, SIGTERM);
	long long t0 = now_ms();
	int code = hook_finish(&h, 10);
	cr_expect_lt(now_ms() - t0, 2500, "the hook took %lld ms after SIGTERM (the runner kills at 2.5 s)", now_ms() - t0);
	cr_expect_eq(code, 128 + SIGTERM, "the step's own status after SIGTERM" HOOK_FMT, HOOK_ARGS(h));
	size_t left = leftovers_wait(marker, ns, n_ns, 3000, desc, sizeof desc);
	cr_expect_eq(left, 0, "%zu processes of the step survive, e.g. %s", left, desc);
	cleanup(&r);
}

Test(gha, a_killed_hook_and_a_finished_step_leave_no_process, .timeout = 120)
{
	struct runner r;
	struct hook h;
	char body[512], desc[512];
	const char *marker = harness_marker();
	runner_setup(&r);
	prepare(&r, NULL);
	struct strset before;
	mounts_snapshot(&before);
	/* A background process that outlives its step under Docker. */
	snprintf(body, sizeof body, "setsid sh -c 'sleep 600; : %s' >/dev/null 2>&1 &\necho detached\n", marker);
	cr_assert_eq(step(&r, &h, body, NULL), 0, HOOK_FMT, HOOK_ARGS(h));
	size_t left = leftovers_wait(marker, NULL, 0, 3000, desc, sizeof desc);
	cr_expect_eq(left, 0, "a step's background process survives the step: %s", desc);
	/* The hook killed outright, as the runner's last resort. */
	snprintf(body, sizeof body, "echo started\nsh -c 'sleep 600; : %s'\n", marker);
	hook_start(&r, &h, script_request(&r, body, NULL));
	cr_assert(hook_wait_out(&h, "started", 30), HOOK_FMT, HOOK_ARGS(h));
	pid_t job = 0;
	for (long long end = harness_deadline_ms(5000); !job && now_ms() < end; usleep(20 * 1000))
		job = agent_find_proc(marker);
	cr_assert(job);
	ino_t ns[MAX_NS];
	size_t n_ns = job_pidns(marker, ns, MAX_NS);
	/* The step's cgroup, which must not outlive the killed hook either
	 * (rootless brig makes none: the step stays in the caller's). */
	char *cg = agent_cgroup_of(job);
	if (cg && !strstr(cg, "/brig")) {
		free(cg);
		cg = NULL;
	}
	kill(h.pid, SIGKILL);
	hook_finish(&h, 10);
	left = leftovers_wait(marker, ns, n_ns, 5000, desc, sizeof desc);
	cr_expect_eq(left, 0, "%zu processes survive the killed hook, e.g. %s", left, desc);
	cleanup(&r);
	/* Nothing of the job's paths stays mounted on the host. */
	char *mnt = agent_mount_under(r.root);
	for (long long end = harness_deadline_ms(3000); mnt && now_ms() < end; usleep(50 * 1000))
		free(mnt), mnt = agent_mount_under(r.root);
	cr_expect_null(mnt, "a mount of the runner's paths survives: %s", mnt);
	size_t entries = records(&r);
	cr_expect_eq(entries, 0, "job records left in %s", r.state);
	bool cg_left = cg && access(cg, F_OK) == 0;
	for (long long end = harness_deadline_ms(3000); cg_left && now_ms() < end; usleep(50 * 1000))
		cg_left = access(cg, F_OK) == 0;
	cr_expect_not(cg_left, "the killed step's cgroup %s survives", cg);
	free(cg);
	strset_free(&before);
}

/* ---- bad input ----------------------------------------------------------- */

static void refused_input(struct runner *r, const char *json, const char *needle)
{
	struct hook h;
	int code = call(r, &h, json);
	cr_expect_neq(code, 0, "accepted: %s" HOOK_FMT, json, HOOK_ARGS(h));
	cr_expect_eq(line_count(h.e.data), 1, "not one line: %s" HOOK_FMT, json, HOOK_ARGS(h));
	cr_expect(strncmp(h.e.data, "brig: ", 6) == 0 && strstr(h.e.data, needle), "for %s, want '%s'" HOOK_FMT, json,
		  needle, HOOK_ARGS(h));
	cr_expect_eq(h.o.len, 0, HOOK_FMT, HOOK_ARGS(h));
}

Test(gha, bad_input_is_one_line_and_runs_nothing, .timeout = 120)
{
	struct runner r;
	runner_setup(&r);
	refused_input(&r, "this is not json", "not JSON");
	refused_input(&r, "{\"command\":\"run_script_steps\",\"args\":{},\"state\":null}", "unknown command");
	/* prepare_job whose response file the runner did not create. */
	json_object *args = json_object_new_object();
	json_object_object_add(args, "container", job_container(&r, NULL));
	json_object_object_add(args, "services", json_object_new_array());
	char *missing = path_of(r.temp, "_runner_hook_responses/never-created.json");
	refused_input(&r, request("prepare_job", missing, args, NULL), "never-created.json");
	cr_expect_neq(access(missing, F_OK), 0, "the hook created the response file");
	/* A state no prepare_job of this host made, and another hook's. */
	char *flag = path_of(r.work, "foreign-ran");
	r.job = "0123456789ab";
	refused_input(&r, script_request(&r, "touch /__w/foreign-ran\n", NULL), "0123456789ab");
	r.job = NULL;
	char *other = script_request(&r, "touch /__w/foreign-ran\n", NULL);
	cr_assert(strcmp(other + strlen(other) - strlen("\"state\":null}"), "\"state\":null}") == 0, "%s", other);
	other[strlen(other) - strlen("null}")] = '\0';
	char *json = NULL;
	cr_assert_geq(asprintf(&json, "%s{\"network\":\"github_network_x\"}}", other), 0);
	refused_input(&r, json, "state");
	cr_expect_neq(access(flag, F_OK), 0, "a step ran with a foreign state");
	size_t entries = records(&r);
	cr_expect_eq(entries, 0, "a refused request left a job record");
}

/* ---- images and untrusted job settings ----------------------------------- */

static void refused_prepare(struct runner *r, const struct container_opts *o, json_object *services, const char *needle,
			    const char *needle2)
{
	struct hook h;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "container", job_container(r, o));
	json_object_object_add(args, "services", services ? services : json_object_new_array());
	char *resp = response_file(r);
	int code = call(r, &h, request("prepare_job", resp, args, NULL));
	cr_expect_neq(code, 0, "prepare_job accepted (want %s)" HOOK_FMT, needle, HOOK_ARGS(h));
	cr_expect(strstr(h.e.data, "brig: ") && strstr(h.e.data, needle) && (!needle2 || strstr(h.e.data, needle2)),
		  "want '%s' and '%s'" HOOK_FMT, needle, needle2 ? needle2 : "", HOOK_ARGS(h));
	char *text = file_read(resp);
	cr_expect(text && !*text, "a refused prepare_job answered: %s", text);
}

Test(gha, images_and_untrusted_settings_are_refused_before_anything_runs, .timeout = 120)
{
	struct runner r;
	runner_setup(&r);
	set_images(&r);
	struct container_opts o = { .image = "ubuntu:24.04" };
	refused_prepare(&r, &o, NULL, "ubuntu:24.04", r.images);
	o = (struct container_opts){ .image = "/srv/evil-tree" };
	refused_prepare(&r, &o, NULL, "/srv/evil-tree", "path");
	o = (struct container_opts){ .image = NULL, .dockerfile = "/tmp/Dockerfile" };
	json_object *args_unused = NULL;
	(void)args_unused;
	refused_prepare(&r, &o, NULL, "/tmp/Dockerfile", "builds no images");
	const char *opts[] = { "--privileged", "--network host", "--pid=host", "-v /:/host", "--cap-add SYS_ADMIN",
			       "--device /dev/kvm", "--user 0", "--cpus 2 --security-opt seccomp=unconfined" };
	for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) {
		o = (struct container_opts){ .create_options = opts[i] };
		refused_prepare(&r, &o, NULL, "refused", NULL);
	}
	json_object *vols = json_object_new_array();
	json_object_array_add(vols, mount("/etc", "/host-etc", true));
	o = (struct container_opts){ .user_volumes = vols };
	refused_prepare(&r, &o, NULL, "/etc:/host-etc", "refused");
	json_object *svc = json_object_new_array();
	json_object_array_add(svc, job_container(&r, &(struct container_opts){ .image = "redis:7" }));
	refused_prepare(&r, NULL, svc, "service", "redis:7");
	/* A map that others could write is not the administrator's. */
	chmod(r.images, 0666);
	refused_prepare(&r, NULL, NULL, "writable by no one else", r.images);
	chmod(r.images, 0644);
	/* Ignored, with a warning: resources and ports. */
	o = (struct container_opts){ .create_options = "--cpus 1 --memory 2g", .ports = (const char *const[]){ "8080:80", NULL } };
	struct hook h;
	json_object *args = json_object_new_object();
	json_object_object_add(args, "container", job_container(&r, &o));
	json_object_object_add(args, "services", json_object_new_array());
	cr_expect_eq(call(&r, &h, request("prepare_job", response_file(&r), args, NULL)), 0, HOOK_FMT, HOOK_ARGS(h));
	cr_expect(strstr(h.e.data, "ignored") && strstr(h.e.data, "--cpus") && strstr(h.e.data, "8080:80"), HOOK_FMT,
		  HOOK_ARGS(h));
}

/* ---- isolation from inside a step ---------------------------------------- */

Test(gha, a_step_sees_no_host_file_credential_or_process, .timeout = 120)
{
	struct runner r;
	struct hook h;
	char body[4096];
	runner_setup(&r);
	/* A link in the workspace to the runner's credentials (host path). */
	char *link = path_of(r.workspace, "creds-link"), *creds = path_of(r.root, ".credentials");
	cr_assert_eq(symlink(creds, link), 0);
	lchown(link, harness_dir_owner(), harness_dir_group());
	prepare(&r, NULL);
	snprintf(body, sizeof body,
		 "cat '%s' 2>/dev/null && echo creds=readable || echo creds=absent\n"
		 "cat /__w/proj/proj/creds-link 2>/dev/null && echo link=readable || echo link=dangling\n"
		 "ls -a /__w/.. | tr '\\n' ' ' | sed 's/^/above_work=/'; echo\n"
		 "grep -rl '%.10s''%s' /__w /__e /github /etc 2>/dev/null | head -1 | sed 's/^/found=/'\n"
		 "echo found=none\n"
		 "head -c 4 /etc/shadow >/dev/null 2>&1 && echo shadow=readable || echo shadow=unreadable\n"
		 "echo procs=$(ls /proc | grep -c '^[0-9]')\n"
		 "sh -c 'sleep 30; : %s-iso' & echo bg=$!; sleep 0.5; echo check\n"
		 "cat /proc/1/cmdline | tr '\\0' ' ' | sed 's/^/init=/'; echo\n",
		 creds, SECRET, SECRET + 10, harness_marker());
	hook_start(&r, &h, script_request(&r, body, NULL));
	cr_assert(hook_wait_out(&h, "check", 30), HOOK_FMT, HOOK_ARGS(h));
	/* On the host, the step's processes are not root and hold nothing. */
	char marker[80];
	snprintf(marker, sizeof marker, "%s-iso", harness_marker());
	pid_t p = agent_find_proc(marker);
	cr_assert(p, "the step's process is not visible on the host");
	char status[64], *text;
	snprintf(status, sizeof status, "/proc/%d/status", (int)p);
	text = file_read(status);
	cr_assert_not_null(text);
	char *uid = strstr(text, "Uid:"), *cap = strstr(text, "CapEff:");
	cr_expect(uid && strtoul(uid + 4, NULL, 10) != 0, "a step's process is root on the host: %.40s", uid);
	/* Whatever root inside may do (the profile's caps container-root)
	 * acts on the step's own user namespace only, and never includes
	 * CAP_SYS_ADMIN. */
	cr_expect(cap && (strtoull(cap + 7, NULL, 16) & (1ull << 21)) == 0, "a step's process holds CAP_SYS_ADMIN: %.40s", cap);
	char ns_path[64], ns_job[64] = "", ns_host[64] = "";
	snprintf(ns_path, sizeof ns_path, "/proc/%d/ns/user", (int)p);
	cr_assert_gt(readlink(ns_path, ns_job, sizeof ns_job - 1), 0);
	cr_assert_gt(readlink("/proc/self/ns/user", ns_host, sizeof ns_host - 1), 0);
	cr_expect_str_neq(ns_job, ns_host, "a step's process is in the host's user namespace");
	hook_finish(&h, 60);
	cr_expect_eq(h.status, 0, HOOK_FMT, HOOK_ARGS(h));
	cr_expect_str_eq(kv_get(h.o.data, "creds") ?: "?", "absent", HOOK_FMT, HOOK_ARGS(h));
	cr_expect_str_eq(kv_get(h.o.data, "link") ?: "?", "dangling", HOOK_FMT, HOOK_ARGS(h));
	cr_expect_str_eq(kv_get(h.o.data, "found") ?: "?", "none", "the runner's credentials are reachable" HOOK_FMT,
			 HOOK_ARGS(h));
	char *above = kv_get(h.o.data, "above_work");
	cr_expect(above && !strstr(above, ".credentials") && !strstr(above, ".runner") && !strstr(above, "externals"),
		  "the runner's directory shows above /__w: %s", above);
	cr_expect_str_eq(kv_get(h.o.data, "shadow") ?: "?", "unreadable");
	char *procs = kv_get(h.o.data, "procs");
	cr_expect(procs && atoi(procs) < 10, "the step sees %s processes", procs);
	cleanup(&r);
}

/* A step can write below _work: a directory it replaced with a link is
 * never followed when the next step's volumes are bound. */
Test(gha, a_link_planted_in_the_work_directory_is_not_bound, .timeout = 120)
{
	struct runner r;
	struct hook h;
	runner_setup(&r);
	prepare(&r, NULL);
	cr_assert_eq(step(&r, &h, "rm -rf /__w/_temp/_github_workflow && ln -s / /__w/_temp/_github_workflow && echo planted\n",
			  NULL), 0, HOOK_FMT, HOOK_ARGS(h));
	int code = step(&r, &h, "ls /github/workflow/etc/shadow && echo host-root-bound\n", NULL);
	cr_expect_neq(code, 0, HOOK_FMT, HOOK_ARGS(h));
	cr_expect(!strstr(h.o.data, "host-root-bound"), "the link was followed" HOOK_FMT, HOOK_ARGS(h));
	cr_expect(strstr(h.e.data, "brig: ") && strstr(h.e.data, "_github_workflow"), HOOK_FMT, HOOK_ARGS(h));
	cleanup(&r);
}

/* ---- container steps and JavaScript actions ------------------------------ */

static char *container_step_request(struct runner *r, const char *image, const char *dockerfile, const char *entry,
				    const char *const *args)
{
	json_object *c = json_object_new_object(), *sys = json_object_new_array();
	json_object_array_add(sys, mount("/var/run/docker.sock", "/var/run/docker.sock", false));
	json_object_array_add(sys, mount(r->temp, "/github/runner_temp", false));
	json_object_array_add(sys, mount(path_of(r->temp, "_github_home"), "/github/home", false));
	json_object_array_add(sys, mount(path_of(r->temp, "_github_workflow"), "/github/workflow", false));
	json_object_array_add(sys, mount(path_of(r->temp, "_runner_file_commands"), "/github/file_commands", false));
	json_object_array_add(sys, mount(r->workspace, "/github/workspace", false));
	json_object_object_add(c, "image", str(image));
	json_object_object_add(c, "dockerfile", str(dockerfile));
	json_object_object_add(c, "entryPointArgs", strings(args));
	json_object_object_add(c, "entryPoint", str(entry));
	json_object_object_add(c, "workingDirectory", str("/github/workspace"));
	json_object_object_add(c, "createOptions", NULL);
	json_object_object_add(c, "registry", NULL);
	json_object_object_add(c, "environmentVariables",
			       env_of((const char *const[]){ "HOME", "/github/home", "ACTION_INPUT", "in put", NULL }));
	json_object_object_add(c, "portMappings", json_object_new_array());
	json_object_object_add(c, "systemMountVolumes", sys);
	json_object_object_add(c, "userMountVolumes", json_object_new_array());
	return request("run_container_step", response_file(r), c, r->job);
}

Test(gha, container_steps_run_on_their_own_mounts, .timeout = 120)
{
	struct runner r;
	struct hook h;
	runner_setup(&r);
	prepare(&r, NULL);
	file_write(r.workspace, "in-workspace", "w\n", 0644);
	/* with: args, joined and split again as the reference hooks do. */
	const char *args[] = { "-c", "'echo", "pwd=$(pwd);", "cat", "in-workspace;", "echo", "input=$ACTION_INPUT;",
			       "ls", "-d", "/github/file_commands", "/github/runner_temp", "/github/home;", "exit", "3'", NULL };
	int code = call(&r, &h, container_step_request(&r, "alpine:3", NULL, "sh", args));
	cr_expect_eq(code, 3, HOOK_FMT, HOOK_ARGS(h));
	cr_expect_str_eq(kv_get(h.o.data, "pwd") ?: "?", "/github/workspace", HOOK_FMT, HOOK_ARGS(h));
	cr_expect(strstr(h.o.data, "\nw\n"), HOOK_FMT, HOOK_ARGS(h));
	cr_expect_str_eq(kv_get(h.o.data, "input") ?: "?", "in put");
	cr_expect(strstr(h.o.data, "/github/file_commands") && strstr(h.o.data, "/github/runner_temp"), HOOK_FMT, HOOK_ARGS(h));
	/* No entrypoint: the args are the command. */
	code = call(&r, &h, container_step_request(&r, "alpine:3", NULL, NULL, (const char *const[]){ "echo", "bare", NULL }));
	cr_expect_eq(code, 0, HOOK_FMT, HOOK_ARGS(h));
	cr_expect(strstr(h.o.data, "bare"), HOOK_FMT, HOOK_ARGS(h));
	/* Refused: a Dockerfile action, an unmapped image. */
	code = call(&r, &h, container_step_request(&r, NULL, "/r/_work/_actions/o/a/v1/Dockerfile", NULL,
						      (const char *const[]){ "x", NULL }));
	cr_expect_neq(code, 0);
	cr_expect(strstr(h.e.data, "Dockerfile") && strstr(h.e.data, "builds no images"), HOOK_FMT, HOOK_ARGS(h));
	code = call(&r, &h, container_step_request(&r, "evil/image:latest", NULL, "sh", (const char *const[]){ "-c", "'touch /github/workspace/ran'", NULL }));
	cr_expect_neq(code, 0);
	cr_expect(strstr(h.e.data, "evil/image:latest") && strstr(h.e.data, r.images), HOOK_FMT, HOOK_ARGS(h));
	cr_expect_neq(access(path_of(r.workspace, "ran"), F_OK), 0, "the unmapped image's step ran");
	cleanup(&r);
}

Test(gha, a_javascript_action_runs_with_the_runners_node, .timeout = 120)
{
	struct runner r;
	struct hook h;
	struct files f;
	runner_setup(&r);
	/* The runner's externals: a copy of Debian's node, as node20. */
	const char *node = access("/usr/bin/node", X_OK) == 0 ? "/usr/bin/node" : NULL;
	if (!node)
		harness_unavailable("no /usr/bin/node (apt-get install nodejs; make deps installs it)");
	char cmd[8192], *ext = path_of(r.root, "externals/node20/bin/node");
	snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 0755 '%s'", node, ext, ext);
	sh(cmd);
	mkdirs(r.work, "_actions/octo/hello/v1/dist");
	char *action = path_of(r.work, "_actions/octo/hello/v1/dist");
	file_write(action, "index.js",
		   "const fs = require('fs');\n"
		   "console.log('node=' + process.version + ' argv1=' + process.argv[1]);\n"
		   "fs.appendFileSync(process.env.GITHUB_OUTPUT, 'greeting=from-js\\n');\n"
		   "console.log('::notice::done');\n",
		   0644);
	chown_tree(r.work);
	prepare(&r, NULL);
	file_commands(&r, &f);
	/* NodeScriptActionHandler: the script path, quoted, as one argument. */
	const char *args[] = { "\"/__w/_actions/octo/hello/v1/dist/index.js\"", NULL };
	struct step_opts so = { .entry_point = "/__e/node20/bin/node", .args = args, .files = &f };
	cr_assert_eq(step(&r, &h, "", &so), 0, HOOK_FMT, HOOK_ARGS(h));
	cr_expect(strstr(h.o.data, "node=v") && strstr(h.o.data, "argv1=/__w/_actions/octo/hello/v1/dist/index.js"),
		  HOOK_FMT, HOOK_ARGS(h));
	cr_expect(strstr(h.o.data, "::notice::done"), HOOK_FMT, HOOK_ARGS(h));
	char *out = file_read(f.output);
	cr_expect_str_eq(out ?: "?", "greeting=from-js\n");
	cleanup(&r);
}

/* ---- the network, in the lab only (tests/net/lab.sh) --------------------- */

static char lab[32];

static void lab_up(void)
{
	harness_setup();
	harness_need_root("the network lab and net veth need root");
	const char *flag = getenv("BRIG_NET_LAB");
	if (flag && strcmp(flag, "0") == 0)
		harness_not_on_this_host("the network lab is not part of this run (BRIG_NET_LAB=0)");
	static const char *const tools[] = { "ip", "socat", "dnsmasq", "nft", "openssl" };
	char cmd[512];
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
		snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tools[i]);
		if (system(cmd) != 0)
			harness_unavailable("the network lab needs %s (make deps installs it)", tools[i]);
	}
	snprintf(lab, sizeof lab, "bg%x", (unsigned)getpid());
	snprintf(cmd, sizeof cmd, "tests/net/lab.sh up %s %d", lab, (int)getpid());
	cr_assert_eq(system(cmd), 0, "the network lab did not come up");
}

static void lab_down(void)
{
	char cmd[512];
	if (lab[0]) {
		snprintf(cmd, sizeof cmd, "tests/net/lab.sh down %s", lab);
		if (system(cmd) != 0)
			fprintf(stderr, "lab.sh down %s failed\n", lab);
	}
	harness_teardown();
}

TestSuite(gha_lab, .init = lab_up, .fini = lab_down, .timeout = 120);

/* The shipped gha profile, plus the lab's one allowed name: the runner's
 * steps reach what the profile allows and nothing of the cloud's or the
 * host's. */
Test(gha_lab, a_step_reaches_allowed_names_never_metadata_or_the_host)
{
	struct runner r;
	struct hook h;
	char cmd[8192], host_ns[48];
	runner_setup(&r);
	const char *shipped = getenv("BRIG_PROFILES");
	char *dir = tmpdir_make("gha-profiles");
	snprintf(cmd, sizeof cmd, "cp -R '%s/inc' '%s/' && cp '%s/gha' '%s/gha-lab' && echo 'egress-allow-host ok.test:80/tcp' >> '%s/gha-lab'"
		 " && chmod -R a+rX '%s'", shipped, dir, shipped, dir, dir, dir);
	sh(cmd);
	for (size_t i = 0; i < r.n_env; i++)
		if (strncmp(r.env[i], "BRIG_GHA_PROFILE=", 17) == 0)
			cr_assert_geq(asprintf(&r.env[i], "BRIG_GHA_PROFILE=%s/gha-lab", dir), 0);
	snprintf(cmd, sizeof cmd, "cp '%s/net-try' '%s/_tool/net-try' && chmod 0755 '%s/_tool/net-try'", getenv("BRIG_HELPERS"),
		 r.work, r.work);
	sh(cmd);
	snprintf(host_ns, sizeof host_ns, "%s-h", lab);
	r.netns = host_ns;
	prepare(&r, NULL);
	const char *body =
		"t=/__w/_tool/net-try\n"
		"echo metadata=$($t tcp 169.254.169.254 80 2000)\n"
		"echo host=$($t tcp 203.0.113.2 8081 2000)\n"
		"echo literal=$($t tcp 198.51.100.10 80 2000)\n"
		"a=$(getent ahostsv4 ok.test | awk 'NR==1{print $1}'); echo ok=$($t http ${a:-192.0.2.99} 80 3000 ok.test)\n";
	cr_assert_eq(step(&r, &h, body, NULL), 0, HOOK_FMT, HOOK_ARGS(h));
	const char *blocked[] = { "metadata", "host", "literal" };
	for (size_t i = 0; i < 3; i++) {
		char *v = kv_get(h.o.data, blocked[i]);
		cr_expect(v && strncmp(v, "fail", 4) == 0, "%s reached: %s" HOOK_FMT, blocked[i], v ? v : "?", HOOK_ARGS(h));
	}
	cr_expect_str_eq(kv_get(h.o.data, "ok") ?: "?", "ok hello", "the allowed name is not reachable" HOOK_FMT, HOOK_ARGS(h));
	cleanup(&r);
	/* Nothing of the steps' networks is left on the runner's host: no
	 * firewall chain of a job, no brig-JOB veth end. */
	snprintf(cmd, sizeof cmd,
		 "ip netns exec %s nft list table inet brig 2>/dev/null | grep -c 'chain job' || true; "
		 "ip -n %s -o link | grep -c ': brig-' || true",
		 host_ns, host_ns);
	char *left = command_output(cmd, NULL);
	cr_expect_str_eq(left, "0\n0\n", "job chains, then links, left on the host after cleanup_job:\n%s", left);
}

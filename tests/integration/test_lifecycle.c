/* The job's life as the host sees it: killing, time limits, refusals,
 * status reports, and nothing left behind afterwards. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(lifecycle);

#define MAX_NS 8

/* Waits until the job runs in a pid namespace of its own and returns the
 * namespaces seen: after brig ends, nothing may remain in them. */
static size_t wait_job_pidns(const char *marker, ino_t *ns, double limit_s)
{
	long long deadline = harness_deadline_ms(limit_s * 1000);
	size_t n;
	while ((n = job_pidns(marker, ns, MAX_NS)) == 0 && now_ms() < deadline)
		usleep(10 * 1000);
	return n;
}

Test(lifecycle, kill9_of_brig_leaves_no_job_process, .timeout = 30)
{
	const char *marker = harness_marker();
	struct brig_proc p;
	struct brig_result r;
	ino_t ns[MAX_NS];
	char desc[512];

	/* The shell keeps the marker in its command line; the sleep is found
	 * through the pid namespace. */
	brig_start(&p, NULL, BRIG_ARGS("run", "--", "/bin/sh", "-c", "sleep 600 & echo ready; wait", marker));
	bool ready = brig_wait_stdout(&p, "ready\n", 10);
	size_t n_ns = ready ? wait_job_pidns(marker, ns, 2) : 0;
	if (!ready) {
		brig_finish(&p, &r, 1);
		cr_assert_fail("the job never started" RESULT_FMT, RESULT_ARGS(r));
	}
	cr_assert_gt(n_ns, 0, "no process of the job runs in a pid namespace of its own");

	brig_kill_and_reap(&p, SIGKILL);
	size_t left = leftovers_wait(marker, ns, n_ns, 1000, desc, sizeof desc);
	brig_finish(&p, &r, 1);
	cr_assert_eq(left, 0, "%zu job processes survive kill -9 of brig by 1 s, e.g. %s", left, desc);
}

Test(lifecycle, timeout_exits_124_and_kills_job, .timeout = 30)
{
	const char *marker = harness_marker();
	struct brig_proc p;
	struct brig_result r;
	ino_t ns[MAX_NS];
	char desc[512];

	brig_start(&p, NULL,
		   BRIG_ARGS("run", "--timeout", "1s", "--", "/bin/sh", "-c", "sleep 60; echo not-killed", marker));
	size_t n_ns = wait_job_pidns(marker, ns, 5);
	brig_finish(&p, &r, 10);
	cr_assert_eq(r.status, 124, "--timeout 1s on sleep 60" RESULT_FMT, RESULT_ARGS(r));
	cr_assert(r.ms >= 900 && r.ms < 5000 * harness_time_scale(), "brig took %lld ms for a 1 s limit" RESULT_FMT, r.ms, RESULT_ARGS(r));
	cr_assert(!strstr(r.out, "not-killed"), RESULT_FMT, RESULT_ARGS(r));
	cr_assert(!r.pipes_open, "a job process still holds brig's output");
	cr_assert_gt(n_ns, 0, "never saw the job in its own pid namespace");
	size_t left = leftovers_wait(marker, ns, n_ns, 1000, desc, sizeof desc);
	cr_assert_eq(left, 0, "%zu job processes survive the time-out, e.g. %s", left, desc);
}

/* Brig's own refusal: status 125, one line "brig: ..." naming the culprit,
 * and the host's mount table unchanged. */
static void assert_refused(const char *const argv[], const char *needle, const char *needle2)
{
	struct strset before, after;
	char diff[1024];
	struct brig_result r;
	mounts_snapshot(&before);
	brig_run(&r, NULL, argv);
	mounts_snapshot(&after);

	cr_assert_eq(r.status, 125, "`brig %s %s`" RESULT_FMT, argv[1], argv[2], RESULT_ARGS(r));
	cr_assert_eq(line_count(r.err), 1, "stderr should be exactly one line" RESULT_FMT, RESULT_ARGS(r));
	cr_assert(strncmp(r.err, "brig: ", 6) == 0, "stderr should start with `brig: `" RESULT_FMT, RESULT_ARGS(r));
	cr_assert(strstr(r.err, needle) || (needle2 && strstr(r.err, needle2)),
		  "the message does not name %s" RESULT_FMT, needle, RESULT_ARGS(r));
	cr_assert_str_eq(r.out, "", "something ran" RESULT_FMT, RESULT_ARGS(r));
	cr_assert(strset_diff(&before, &after, diff, sizeof diff), "the host's mount table changed: %s", diff);
}

Test(lifecycle, bad_option_exits_125_with_one_line)
{
	assert_refused(BRIG_ARGS("run", "--no-such-option", "--", "/bin/true"), "no-such-option", NULL);
	assert_refused(BRIG_ARGS("run", "--timeout", "banana", "--", "/bin/true"), "banana", "--timeout");
	assert_refused(BRIG_ARGS("run", "--tmpfs", "relative/dir", "--", "/bin/true"), "relative/dir", "--tmpfs");
}

Test(lifecycle, missing_path_exits_125_with_one_line)
{
	char *dir = tmpdir_make("missing");
	char nope[4200], bind[8400], dst[256];
	snprintf(nope, sizeof nope, "%s/nope-%s", dir, harness_marker());
	snprintf(dst, sizeof dst, "/brig-it-dst-%s", harness_marker());
	snprintf(bind, sizeof bind, "%s:%s", nope, dst);

	assert_refused(BRIG_ARGS("run", "--bind", bind, "--", "/bin/true"), nope, NULL);
	assert_refused(BRIG_ARGS("run", "--ro-bind", nope, "--", "/bin/true"), nope, NULL);
	assert_refused(BRIG_ARGS("run", "--workspace", nope, "--", "/bin/true"), nope, NULL);
	assert_refused(BRIG_ARGS("run", "--rootfs", nope, "--", "/bin/true"), nope, NULL);
	struct stat st;
	cr_assert(stat(nope, &st) < 0, "brig created the missing %s", nope);
	cr_assert(stat(dst, &st) < 0, "brig created the mount point %s on the host", dst);
}

/* Sequential jobs touching every kind of mount; afterwards the host's mount
 * table and the processes carrying our marker are as before. */
Test(lifecycle, hundred_jobs_leave_nothing_behind, .timeout = 90)
{
	const char *marker = harness_marker();
	char *ws = tmpdir_make("hundred");
	char ro[4200];
	snprintf(ro, sizeof ro, "%s:/opt/ro", ws);
	struct strset mounts_before, mounts_after, procs_before, procs_after;
	char diff[1024];

	mounts_snapshot(&mounts_before);
	procs_snapshot(&procs_before, marker);
	for (int i = 0; i < 100; i++) {
		struct brig_result r;
		if (i % 2)
			BRIG(&r, "run", "--workspace", ws, "--tmpfs", "/scratch", "--", "/bin/true", marker);
		else
			BRIG(&r, "run", "--ro-bind", ro, "--", "/bin/sh", "-c", "exit 0", marker);
		cr_assert_eq(r.status, 0, "job %d failed" RESULT_FMT, i, RESULT_ARGS(r));
	}

	/* Tests running in parallel may mount or start things for a moment;
	 * what this test leaks stays, so wait for the tables to settle. */
	bool same_mounts = false, same_procs = false;
	long long deadline = harness_deadline_ms(10000);
	do {
		mounts_snapshot(&mounts_after);
		same_mounts = strset_diff(&mounts_before, &mounts_after, diff, sizeof diff);
		strset_free(&mounts_after);
		if (!same_mounts)
			usleep(100 * 1000);
	} while (!same_mounts && now_ms() < deadline);
	cr_assert(same_mounts, "the host's mount table changed: %s", diff);

	procs_snapshot(&procs_after, marker);
	same_procs = strset_diff(&procs_before, &procs_after, diff, sizeof diff);
	cr_assert(same_procs, "processes of the jobs remain: %s", diff);
}

/* Status lines are JSON objects, one a line. */
static void assert_json_lines(const char *text)
{
	for (const char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != '\0')) {
		size_t len = strcspn(l, "\n");
		cr_assert(len >= 2 && l[0] == '{' && l[len - 1] == '}', "not a JSON object line: %.*s", (int)len, l);
	}
}

static bool is_number(const char *s)
{
	char *end = NULL;
	if (!s || !*s)
		return false;
	strtod(s, &end);
	return *end == '\0';
}

static char *status_of(const char *text, const char *event)
{
	char *line = json_event_line(text, event);
	cr_assert(line, "no \"%s\" event in the status output:\n%s", event, text);
	return line;
}

static const char *json_or(const char *line, const char *key)
{
	return json_value(line, key) ?: "(absent)";
}

Test(lifecycle, status_file_reports_started_and_exited)
{
	char *dir = tmpdir_make("status");
	char path[4200];
	snprintf(path, sizeof path, "%s/status.jsonl", dir);
	struct brig_result r;
	BRIG(&r, "run", "--status-file", path, "--", "/bin/sh", "-c", "uname -n; exit 3");
	cr_assert_eq(r.status, 3, RESULT_FMT, RESULT_ARGS(r));

	char *text = file_read(path);
	cr_assert(text, "no status file %s" RESULT_FMT, path, RESULT_ARGS(r));
	assert_json_lines(text);
	char *started = status_of(text, "started");
	char *exited = status_of(text, "exited");
	cr_assert(strstr(text, started) < strstr(text, exited), "exited comes before started:\n%s", text);

	const char *id = json_or(started, "id");
	cr_assert_str_neq(id, "(absent)", "started has no id: %s", started);
	cr_assert(is_number(json_value(started, "pid")), "started has no numeric pid: %s", started);
	char want_host[256];
	snprintf(want_host, sizeof want_host, "brig-%s\n", id);
	cr_expect_str_eq(r.out, want_host, "the default hostname is not brig-<job id>");

	cr_assert_str_eq(json_or(exited, "exit_code"), "3", "%s", exited);
	cr_assert_str_eq(json_or(exited, "signal"), "null", "%s", exited);
	cr_assert_str_eq(json_or(exited, "timed_out"), "false", "%s", exited);
	static const char *const times[] = { "wall_time_ms", "cpu_user_ms", "cpu_system_ms" };
	for (size_t i = 0; i < 3; i++)
		cr_assert(is_number(json_value(exited, times[i])), "%s is not a number: %s", times[i], exited);
}

Test(lifecycle, status_fd_reports_signal)
{
	char *dir = tmpdir_make("statusfd");
	char path[4200];
	snprintf(path, sizeof path, "%s/status.jsonl", dir);
	struct brig_opts o = { .inherit_fd = 9, .inherit_path = path, .inherit_flags = O_WRONLY | O_CREAT | O_TRUNC };
	struct brig_result r;
	brig_run(&r, &o, BRIG_ARGS("run", "--status-fd", "9", "--", "/bin/sh", "-c", "kill -9 $$"));
	cr_assert_eq(r.status, 137, RESULT_FMT, RESULT_ARGS(r));

	char *text = file_read(path);
	cr_assert(text, "cannot read %s", path);
	assert_json_lines(text);
	status_of(text, "started");
	char *exited = status_of(text, "exited");
	cr_assert_str_eq(json_or(exited, "exit_code"), "null", "%s", exited);
	cr_assert_str_eq(json_or(exited, "signal"), "SIGKILL", "%s", exited);
	cr_assert_str_eq(json_or(exited, "timed_out"), "false", "%s", exited);
}

Test(lifecycle, status_reports_timeout, .timeout = 30)
{
	char *dir = tmpdir_make("statusto");
	char path[4200];
	snprintf(path, sizeof path, "%s/status.jsonl", dir);
	struct brig_result r;
	BRIG(&r, "run", "--timeout", "500ms", "--status-file", path, "--", "/bin/sleep", "30");
	cr_assert_eq(r.status, 124, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_lt(r.ms, 5000 * harness_time_scale(), "a 500 ms limit took %lld ms", r.ms);

	char *text = file_read(path);
	cr_assert(text, "no status file %s", path);
	assert_json_lines(text);
	char *exited = status_of(text, "exited");
	cr_assert_str_eq(json_or(exited, "timed_out"), "true", "%s", exited);
}

/* The job's cgroup directory as the host names it, from the pid in the
 * started event; NULL when the job has none on this host. */
static char *job_cgroup_dir(const char *status_path, double limit_s)
{
	long long deadline = harness_deadline_ms(limit_s * 1000);
	char *text = NULL;
	while (!(text = file_read(status_path)) || !strstr(text, "\"started\"")) {
		free(text);
		text = NULL;
		if (now_ms() > deadline)
			return NULL;
		usleep(10 * 1000);
	}
	const char *pid = json_value(json_event_line(text, "started"), "pid");
	const char *root = harness_cgroup2_root();
	if (!pid || !root)
		return NULL;
	char path[64], line[4096];
	snprintf(path, sizeof path, "/proc/%s/cgroup", pid);
	FILE *f = fopen(path, "re");
	char *dir = NULL;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			if (asprintf(&dir, "%s%s", root, line + 3) < 0)
				dir = NULL;
		}
	if (f)
		fclose(f);
	return dir;
}

/* A CI agent kills its job's process group with SIGKILL after a grace
 * period, then expects the host clean: brig's janitor removes the job's
 * cgroup at once, not at the next brig. */
Test(lifecycle, kill9_of_brig_leaves_no_cgroup, .timeout = 30)
{
	if (!harness_cgroup2_root())
		harness_unavailable("this host has no cgroup v2 hierarchy");
	char *dir = tmpdir_make("kill9cg");
	char status[4200];
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	struct brig_proc p;
	struct brig_result r;
	brig_start(&p, NULL, BRIG_ARGS("run", "--status-file", status, "--", "/bin/sh", "-c", "echo ready; sleep 600"));
	bool ready = brig_wait_stdout(&p, "ready\n", 10);
	char *cg = ready ? job_cgroup_dir(status, 5) : NULL;
	if (!cg) {
		brig_finish(&p, &r, 1);
		cr_assert_fail("the job's cgroup was not found (ready=%d)" RESULT_FMT, ready, RESULT_ARGS(r));
	}
	struct stat st;
	if (strcmp(cg, harness_cgroup2_root()) == 0 || strcmp(cg + strlen(cg) - 1, "/") == 0) {
		brig_kill_and_reap(&p, SIGKILL);
		brig_finish(&p, &r, 1);
		harness_not_on_this_host("the job has no cgroup of its own here (unprivileged, no delegated cgroup)");
	}
	cr_assert_eq(stat(cg, &st), 0, "the job's cgroup %s does not exist while it runs", cg);
	brig_kill_and_reap(&p, SIGKILL);
	long long deadline = harness_deadline_ms(2000);
	while (stat(cg, &st) == 0 && now_ms() < deadline)
		usleep(10 * 1000);
	brig_finish(&p, &r, 1);
	cr_assert_neq(stat(cg, &st), 0, "the job's cgroup %s survives kill -9 of brig by 2 s", cg);
}

/* cgroup v2: limits, accounting and the kill at the end. The limit tests
 * need a host whose cgroup v2 tree has the controllers; on a hybrid host
 * (v1 owns them) they skip and the VM rig (tests/vm) runs them on a real
 * cgroup v2 kernel. What needs no controller runs everywhere. */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(cgroup);

static void need_controller(const char *name)
{
	harness_need_root("brig creates job cgroups only as root, or in a delegated cgroup-parent");
	if (!harness_cgroup2_root())
		harness_not_on_this_host("no cgroup2 mount");
	if (!harness_cgroup_has(name))
		harness_not_on_this_host("the cgroup v2 root offers no '%s' controller (hybrid host)", name);
}

static unsigned long long json_u64(const char *out, const char *event, const char *key)
{
	char *line = json_event_line(out, event);
	cr_assert_not_null(line, "no %s event in:\n%s", event, out);
	char *v = json_value(line, key);
	cr_assert_not_null(v, "no %s in %s", key, line);
	return strtoull(v, NULL, 10);
}

static char *status_path(void)
{
	char *dir = tmpdir_make("cgstatus");
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/status.json", dir) > 0);
	return p;
}

Test(cgroup, memory_limit_kills_with_137_and_says_oom)
{
	need_controller("memory");
	char *status = status_path();
	struct brig_result r;
	BRIG(&r, "run", "--memory", "64M", "--status-file", status, "--", "python3", "-c",
	     "x = b'x' * (256 << 20)");
	cr_assert_eq(r.status, 137, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_not_null(strstr(r.err, "brig: job killed: out of memory (limit 64 MiB)"), RESULT_FMT,
			   RESULT_ARGS(r));
	char *line = json_event_line(file_read(status), "exited");
	cr_assert_not_null(line);
	cr_assert_str_eq(json_value(line, "oom_killed"), "true", "%s", line);
}

Test(cgroup, a_job_out_of_memory_leaves_the_next_one_alone)
{
	need_controller("memory");
	struct brig_result r;
	BRIG(&r, "run", "--memory", "64M", "--", "python3", "-c", "x = b'x' * (256 << 20)");
	cr_assert_eq(r.status, 137, RESULT_FMT, RESULT_ARGS(r));
	BRIG(&r, "run", "--memory", "256M", "--", "python3", "-c", "x = b'x' * (64 << 20); print('fine')");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_not_null(strstr(r.out, "fine"));
}

Test(cgroup, fork_bomb_stops_at_pids)
{
	need_controller("pids");
	struct brig_result r;
	/* 40 forks under a limit of 16: fork fails with EAGAIN, and the job
	 * itself, brig and the host carry on. */
	BRIG(&r, "run", "--pids", "16", "--", "python3", "-c",
	     "import os, time\n"
	     "pids, err = [], None\n"
	     "for i in range(40):\n"
	     "    try:\n"
	     "        p = os.fork()\n"
	     "    except OSError as e:\n"
	     "        err = e.errno\n"
	     "        break\n"
	     "    if p == 0:\n"
	     "        time.sleep(5)\n"
	     "        os._exit(0)\n"
	     "    pids.append(p)\n"
	     "print('started=%d' % len(pids))\n"
	     "print('errno=%s' % err)\n"
	     "for p in pids:\n"
	     "    os.kill(p, 9)\n");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	char *started = kv_get(r.out, "started");
	cr_assert_not_null(started, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_lt(atoi(started), 16, "the pids limit did not stop forks" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "errno"), "11", "fork did not fail with EAGAIN" RESULT_FMT, RESULT_ARGS(r));
}

Test(cgroup, half_a_cpu_keeps_a_busy_loop_near_half, .timeout = 120)
{
	need_controller("cpu");
	char *status = status_path();
	struct brig_result r;
	struct brig_opts o = { .limit_s = 60 };
	brig_run(&r, &o,
		 BRIG_ARGS("run", "--cpus", "0.5", "--status-file", status, "--", "/bin/sh", "-c",
			   "end=$(( $(date +%s) + 4 )); while [ $(date +%s) -lt $end ]; do :; done"));
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	char *text = file_read(status);
	double wall = (double)json_u64(text, "exited", "wall_time_ms");
	double cpu = (double)json_u64(text, "exited", "cpu_user_ms") + (double)json_u64(text, "exited", "cpu_system_ms");
	/* Wide: emulated CPUs are slow and noisy; unlimited would be ~1.0. */
	cr_assert(cpu / wall > 0.2 && cpu / wall < 0.75, "cpu %.0f ms over %.0f ms wall", cpu, wall);
}

Test(cgroup, peak_memory_is_reported)
{
	need_controller("memory");
	char *status = status_path();
	struct brig_result r;
	BRIG(&r, "run", "--memory", "512M", "--status-file", status, "--", "python3", "-c",
	     "x = b'x' * (100 << 20); print(len(x))");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	unsigned long long peak = json_u64(file_read(status), "exited", "memory_peak_bytes");
	cr_assert_geq(peak, 100ULL << 20, "peak %llu bytes for a job that touched 100 MiB", peak);
}

Test(cgroup, the_job_cannot_change_its_limits)
{
	need_controller("memory");
	struct brig_result r;
	BRIG(&r, "run", "--memory", "64M", "--sys", "--", "/bin/sh", "-c",
	     "cat /proc/self/cgroup; for f in /sys/fs/cgroup/memory.max /sys/fs/cgroup/unified/memory.max; do "
	     "if [ -e $f ]; then echo 1G > $f 2>/dev/null && echo wrote=$f; fi; done; "
	     "mkdir -p /tmp/cg && mount -t cgroup2 none /tmp/cg 2>/dev/null && echo mounted=yes; echo done=1");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_not_null(strstr(r.out, "0::/\n"), "the job sees more than its own cgroup" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_null(strstr(r.out, "wrote="), RESULT_FMT, RESULT_ARGS(r));
	cr_assert_null(strstr(r.out, "mounted=yes"), RESULT_FMT, RESULT_ARGS(r));
}

/* A direct write of 8 MiB, unlimited, then under a limit that should make
 * it last at least three times as long (and at least 4 s). The unlimited
 * write is only the scale: on a busy machine (the VM rig under TCG, other
 * tests writing) it can take longer than a limited one did on a quiet
 * one, so the limit is derived from it, and the assertion is the floor
 * the throttle guarantees, which no amount of load can break: without the
 * limit, the write would have to slow down threefold on its own to pass.
 * The workspace must sit on a whole block device (the VM rig's scratch
 * disk), since io.max takes no partitions or virtual ones. */
Test(cgroup, io_write_bps_slows_a_direct_write, .timeout = 900)
{
	need_controller("io");
	char *ws = tmpdir_make("io");
	struct stat st;
	cr_assert(stat(ws, &st) == 0);
	char dev[64], sys[128];
	snprintf(dev, sizeof dev, "%u:%u", major(st.st_dev), minor(st.st_dev));
	snprintf(sys, sizeof sys, "/sys/dev/block/%s/partition", dev);
	if (major(st.st_dev) == 0 || access(sys, F_OK) == 0)
		harness_not_on_this_host("%s is not on a whole block device (%s)", ws, dev);
	const char *dd = "s=$(date +%s%N); dd if=/dev/zero of=f bs=1M count=8 oflag=direct 2>/dev/null; "
			 "e=$(date +%s%N); echo ms=$(( (e - s) / 1000000 ))";
	struct brig_opts o = { .limit_s = 200 };
	struct brig_result fast, slow;
	brig_run(&fast, &o, BRIG_ARGS("run", "--workspace", ws, "--", "/bin/sh", "-c", dd));
	cr_assert_eq(fast.status, 0, RESULT_FMT, RESULT_ARGS(fast));
	long f = atol(kv_get(fast.out, "ms") ?: "0");
	cr_assert_gt(f, 0, RESULT_FMT, RESULT_ARGS(fast));
	long want = f * 3 > 4000 ? f * 3 : 4000; /* ms the limited write should last */
	long long bps = (8LL << 20) * 1000 / want;
	char limit[96];
	snprintf(limit, sizeof limit, "%s %lld", dev, bps);
	o.limit_s = (int)(want / 1000) * 3 + 30;
	brig_run(&slow, &o, BRIG_ARGS("run", "--workspace", ws, "--io-write-bps", limit, "--", "/bin/sh", "-c", dd));
	cr_assert_eq(slow.status, 0, RESULT_FMT, RESULT_ARGS(slow));
	long sl = atol(kv_get(slow.out, "ms") ?: "0");
	/* The throttle may let a first slice through at once: 80 %. */
	cr_assert_geq(sl, want * 8 / 10, "8 MiB at %lld bytes/s took %ld ms, expected at least %ld (unlimited: %ld ms)",
		      bps, sl, want * 8 / 10, f);
}

/* Below: no controller needed, only brig's own directory in the v2 tree.
 * Tests run in parallel, so each counts jobs in a cgroup-parent of its own. */

static char *own_parent(void)
{
	const char *root = harness_cgroup2_root();
	char *p = NULL;
	if (!root)
		harness_not_on_this_host("no cgroup2 mount");
	cr_assert(asprintf(&p, "%s/brig-it-%s-%d", root, harness_marker(), (int)getpid()) > 0);
	cr_assert(mkdir(p, 0755) == 0, "mkdir %s: %s", p, strerror(errno));
	return p;
}

static size_t job_cgroups(const char *parent)
{
	DIR *d = opendir(parent);
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, "job-", 4) == 0;
	if (d)
		closedir(d);
	return n;
}

Test(cgroup, no_job_cgroup_remains_after_100_jobs, .timeout = 180)
{
	harness_need_root("job cgroups are made as root");
	char *parent = own_parent();
	for (int i = 0; i < 100; i++) {
		struct brig_result r;
		BRIG(&r, "run", "--cgroup-parent", parent, "--", "/bin/true");
		cr_assert_eq(r.status, 0, "job %d" RESULT_FMT, i, RESULT_ARGS(r));
	}
	size_t left = job_cgroups(parent);
	rmdir(parent);
	cr_assert_eq(left, 0, "%zu job cgroups left behind", left);
}

Test(cgroup, a_job_sees_only_its_own_cgroup)
{
	harness_need_root("job cgroups are made as root");
	if (!harness_cgroup2_root())
		harness_not_on_this_host("no cgroup2 mount");
	struct brig_result r;
	BRIG(&r, "run", "--", "/bin/sh", "-c", "cat /proc/self/cgroup");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_not_null(strstr(r.out, "0::/\n"), "the job sees more than its own cgroup" RESULT_FMT, RESULT_ARGS(r));
}

Test(cgroup, a_double_forked_daemon_dies_with_the_job)
{
	const char *marker = harness_marker();
	char script[512];
	struct brig_result r;
	/* setsid + background: the daemon is no child of the job any more. */
	snprintf(script, sizeof script,
		 "setsid /bin/sh -c 'exec -a brig-daemon-%s sleep 600 &' </dev/null >/dev/null 2>&1; sleep 0.2; echo ok=1",
		 marker);
	BRIG(&r, "run", "--", "/bin/sh", "-c", script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	struct strset procs;
	procs_snapshot(&procs, marker);
	cr_assert_eq(procs.n, 0, "a daemon of the job outlived it");
	strset_free(&procs);
}

Test(cgroup, a_limit_the_host_cannot_give_fails_closed)
{
	harness_need_root("job cgroups are made as root");
	if (harness_cgroup_has("memory"))
		harness_not_on_this_host("this host has the memory controller in cgroup v2");
	struct brig_result r;
	char *parent = own_parent();
	BRIG(&r, "run", "--cgroup-parent", parent, "--memory", "64M", "--", "/bin/true");
	size_t left = job_cgroups(parent);
	rmdir(parent);
	cr_assert_eq(r.status, 125, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_eq(line_count(r.err), 1, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_not_null(strstr(r.err, "'memory'"), "the missing controller is not named" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_eq(left, 0);
}

Test(cgroup, best_effort_warns_and_runs)
{
	harness_need_root("job cgroups are made as root");
	if (harness_cgroup_has("memory"))
		harness_not_on_this_host("this host has the memory controller in cgroup v2");
	struct brig_result r;
	BRIG(&r, "run", "--memory", "64M", "--limits", "best-effort", "--", "/bin/sh", "-c", "echo ran=1");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "ran"), "1");
	cr_assert_not_null(strstr(r.err, "'memory'"), RESULT_FMT, RESULT_ARGS(r));
}

Test(cgroup, unprivileged_limits_are_refused_clearly)
{
	if (!harness_unprivileged())
		cr_skip_test("runs in the unprivileged pass");
	struct brig_result r;
	BRIG(&r, "run", "--pids", "10", "--", "/bin/true");
	cr_assert_eq(r.status, 125, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_eq(line_count(r.err), 1, RESULT_FMT, RESULT_ARGS(r));
}

/* Unprivileged brig in a cgroup it was delegated (a systemd user service
 * with Delegate=yes): the job's cgroup is made below it, and removed. The
 * test plays the service manager: it delegates a directory to uid 65534
 * and starts brig in it as that user. */
Test(cgroup, unprivileged_brig_uses_its_delegated_cgroup)
{
	harness_need_root("delegating a cgroup needs root");
	const char *root = harness_cgroup2_root();
	if (!root)
		harness_not_on_this_host("no cgroup2 mount");
	char deleg[1024], cmd[16384], out[1024];
	snprintf(deleg, sizeof deleg, "%s/brig-it-deleg-%s", root, harness_marker());
	char *dir = tmpdir_make("deleg");
	snprintf(out, sizeof out, "%s/out", dir);
	cr_assert(mkdir(deleg, 0755) == 0, "mkdir %s: %s", deleg, strerror(errno));
	snprintf(cmd, sizeof cmd,
		 "set -e; d='%s'; chown 65534:65534 \"$d\" \"$d/cgroup.procs\" \"$d/cgroup.subtree_control\" "
		 "\"$d/cgroup.threads\"; sh -c 'echo $$ > \"$0/cgroup.procs\"; exec setpriv --reuid=65534 --regid=65534 "
		 "--clear-groups \"$1\" run --status-fd 1 -- sleep 3' "
		 "\"$d\" '%s' > '%s' & pid=$!; for i in $(seq 200); do grep -q started '%s' && break; sleep 0.05; done; "
		 "ls \"$d\" | grep -c '^job-' > '%s.count' || true; wait $pid",
		 deleg, getenv("BRIG"), out, out, out);
	int rc = system(cmd);
	char *text = file_read(out), count[1100];
	snprintf(count, sizeof count, "%s.count", out);
	char *during = file_read(count);
	size_t left = 0;
	DIR *d = opendir(deleg);
	struct dirent *e;
	while (d && (e = readdir(d)))
		left += strncmp(e->d_name, "job-", 4) == 0;
	if (d)
		closedir(d);
	rmdir(deleg);
	cr_assert_eq(rc, 0, "the job failed:\n%s", text ? text : "");
	cr_assert_not_null(strstr(text, "\"event\":\"exited\""), "%s", text);
	cr_assert_str_eq(during ? during : "", "1\n", "no job cgroup below the delegated one while it ran");
	cr_assert_eq(left, 0, "the job's cgroup stayed in the delegated subtree");
}

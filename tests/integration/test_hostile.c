/* A job that attacks the host's resources rather than its walls: what its
 * refused calls cost, and where that cost is charged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <termios.h>

#include "agent_driver.h"

BRIG_SUITE(hostile);

static double cpu_ms(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1e3 +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e3;
}

static double json_ms(const char *line, const char *key)
{
	char *v = json_value(line, key);
	return v && strcmp(v, "null") != 0 ? strtod(v, NULL) : -1;
}

/* A million refused mount calls: brig writes one stderr line, at most 32
 * denied events, the exact count, and stays small; and what answering
 * them costs is charged to the job's cgroup, not spent outside it. */
Test(hostile, a_million_refusals_cost_the_job_not_the_host, .timeout = 900)
{
	harness_need_root("the cost is read from the job's cgroup, which an unprivileged brig may not have");
	if (!harness_cgroup2_root())
		harness_not_on_this_host("no cgroup v2: nothing to charge the refusals to");
	/* Under emulation (the VM guest sets BRIG_FLOOD_CALLS) a million
	 * refusals outlast any sane limit; the rules are the same at any count. */
	const char *calls = getenv("BRIG_FLOOD_CALLS") ?: "1000000";
	char *dir = tmpdir_make("flood"), status[4200], prog[512];
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	snprintf(prog, sizeof prog, "%s/deny-flood", JOB_HELPERS);
	struct rusage before, after;
	getrusage(RUSAGE_CHILDREN, &before);
	struct brig_result r;
	/* Measured: 81 s of wall time at a load of 10 on two cores. */
	struct brig_opts o = { .limit_s = 600 };
	brig_run(&r, &o,
		 BRIG_ARGS("run", "--ro-bind", harness_helpers_bind(), "--status-file", status, "--", prog, calls));
	getrusage(RUSAGE_CHILDREN, &after);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "refused") ?: "?", calls, RESULT_FMT, RESULT_ARGS(r));
	/* Bounded output: one line, whatever the count. */
	cr_expect_eq(line_count(r.err), 1, RESULT_FMT, RESULT_ARGS(r));
	char *text = file_read(status);
	cr_assert(text);
	cr_expect_leq(line_count(text), 2 + 32, "the status grew with the refusals:\n%.2000s", text);
	char *exited = json_event_line(text, "exited");
	cr_assert(exited, "%.2000s", text);
	cr_expect_str_eq(json_value(exited, "denials") ?: "?", calls, "%s", exited);
	/* brig and everything it waited for: bounded memory. */
	cr_expect_lt(after.ru_maxrss, 64 * 1024, "a process of brig's grew to %ld KiB", after.ru_maxrss);

	/* All CPU brig and its descendants spent, against the job's cgroup's:
	 * the difference is what brig spent outside the job. */
	double total = cpu_ms(&after) - cpu_ms(&before);
	double job = json_ms(exited, "cpu_user_ms") + json_ms(exited, "cpu_system_ms");
	double own = strtod(kv_get(r.out, "cpu_ms") ?: "0", NULL);
	cr_assert_gt(job, 0, "%s", exited);
	double outside = total - job;
	cr_expect_lt(outside, 0.05 * job + 200,
		     "brig spent %.0f ms outside the job's cgroup answering its refusals (job %.0f ms, of which the "
		     "caller's own %.0f ms)",
		     outside, job, own);
	printf("hostile: %s refusals: outside the job %.0f ms, in the job %.0f ms (the caller %.0f ms, brig's "
	       "handler %.0f ms)\n",
	       calls, outside, job, own, job - own);
}

/* Netlink for what builds use (route, sock_diag, generic), not the host's
 * device events nor its audit subsystem. */
Test(hostile, netlink_host_families_refused_build_families_allowed)
{
	static const char script[] =
		"import errno, socket\n"
		"for name, proto in (('route', 0), ('sock_diag', 4), ('generic', 16), ('uevent', 15), ('audit', 9)):\n"
		"    try:\n"
		"        socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto).close()\n"
		"        print(name + '=OK')\n"
		"    except OSError as e:\n"
		"        print(name + '=' + errno.errorcode[e.errno])\n";
	struct brig_result r;
	BRIG(&r, "run", "--", "python3", "-c", script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "route") ?: "?", "OK", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "sock_diag") ?: "?", "OK", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "generic") ?: "?", "OK", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "uevent") ?: "?", "EPROTONOSUPPORT", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "audit") ?: "?", "EPROTONOSUPPORT", RESULT_FMT, RESULT_ARGS(r));
	/* Refused by the filter (reported), not by the kernel. */
	cr_expect_not_null(strstr(r.err, "denied socket(2)"), RESULT_FMT, RESULT_ARGS(r));
}

/* vmsplice: ENOSYS, as a kernel without it, and reported; pidfd_getfd
 * goes with ptrace: refused, and allowed by allow-ptrace. */
static const char getfd_script[] =
	"import ctypes, errno, os\n"
	"libc = ctypes.CDLL(None, use_errno=True)\n"
	"r, w = os.pipe()\n"
	"buf = ctypes.create_string_buffer(b'x')\n"
	"class iovec(ctypes.Structure): _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]\n"
	"iov = iovec(ctypes.addressof(buf), 1)\n"
	"n = libc.syscall(278, w, ctypes.byref(iov), 1, 0)\n"
	"print('vmsplice=' + ('OK' if n >= 0 else errno.errorcode[ctypes.get_errno()]))\n"
	"pid = os.fork()\n"
	"if pid == 0:\n"
	"    os.read(r, 1); os._exit(0)\n"
	"pidfd = libc.syscall(434, pid, 0)\n"
	"fd = libc.syscall(438, pidfd, r, 0)\n"
	"print('getfd=' + ('OK' if fd >= 0 else errno.errorcode[ctypes.get_errno()]))\n"
	"os.write(w, b'xx'); os.waitpid(pid, 0)\n";

Test(hostile, vmsplice_and_pidfd_getfd_decided)
{
	struct brig_result r;
	BRIG(&r, "run", "--", "python3", "-c", getfd_script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "vmsplice") ?: "?", "ENOSYS", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "getfd") ?: "?", "EPERM", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_not_null(strstr(r.err, "denied vmsplice(2)"), RESULT_FMT, RESULT_ARGS(r));
	cr_expect_not_null(strstr(r.err, "denied pidfd_getfd(2)"), RESULT_FMT, RESULT_ARGS(r));
	BRIG(&r, "run", "--allow-ptrace", "--", "python3", "-c", getfd_script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "getfd") ?: "?", "OK", "allow-ptrace" RESULT_FMT, RESULT_ARGS(r));
}

/* A job that opens every inotify instance it can: it gets its own
 * namespace's ceiling (64), charged to its own host id, and host root can
 * still open one while the job holds them. Before, the job's namespace was
 * root's, and 128 instances there left every root process on the host
 * with EMFILE. */
Test(hostile, inotify_instances_are_the_jobs_not_roots, .timeout = 60)
{
	harness_need_root("the namespace is made by root only when brig runs as root");
	static const char script[] = "import ctypes, time\n"
				     "l = ctypes.CDLL(None)\n"
				     "fds = [l.inotify_init1(0) for _ in range(200)]\n"
				     "print('held=%d' % sum(1 for f in fds if f >= 0), flush=True)\n"
				     "time.sleep(30)\n";
	struct brig_proc p;
	brig_start(&p, NULL, BRIG_ARGS("run", "--", "python3", "-c", script));
	bool held = brig_wait_stdout(&p, "held=", 30);
	int host[4], ok = 0;
	for (size_t i = 0; i < 4; i++)
		if ((host[i] = inotify_init1(IN_CLOEXEC)) >= 0)
			ok++;
	for (size_t i = 0; i < 4; i++)
		if (host[i] >= 0)
			close(host[i]);
	brig_kill_and_reap(&p, SIGTERM);
	cr_assert(held, "the job never printed held=\n%s\n%s", p.out.data ?: "", p.err.data ?: "");
	cr_expect_eq(ok, 4, "host root could open %d of 4 inotify instances while the job held its own", ok);
	char *n = kv_get(p.out.data, "held");
	cr_expect_str_eq(n ?: "?", "64", "the job's ceiling:\n%s", p.out.data);
	/* Its own /proc/sys/user says so, and it cannot raise it. */
	struct brig_result r;
	BRIG(&r, "run", "--", "sh", "-c",
	     "echo limit=$(cat /proc/sys/user/max_inotify_instances); "
	     "echo 100000 > /proc/sys/user/max_inotify_instances 2>/dev/null && echo raised=yes || echo raised=no; "
	     "echo userns=$(cat /proc/sys/user/max_user_namespaces)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "limit") ?: "?", "64", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "raised") ?: "?", "no", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "userns") ?: "?", "0", RESULT_FMT, RESULT_ARGS(r));
}

/* A profile's user-limit sets the ceilings: the job gets exactly that many
 * inotify instances and watches and no more, and cannot raise them; a
 * profile line and the command line agree. */
Test(hostile, user_limit_directives_bound_the_job, .timeout = 60)
{
	harness_need_root("the namespace's ceilings are set by root only when brig runs as root");
	static const char script[] = "import ctypes\n"
				     "l = ctypes.CDLL(None)\n"
				     "fds = [l.inotify_init1(0) for _ in range(20)]\n"
				     "ok = [f for f in fds if f >= 0]\n"
				     "w = [l.inotify_add_watch(ok[0], b'/tmp', 2) for _ in range(1)]\n"
				     "n = 0\n"
				     "for i in range(50):\n"
				     "    open('/tmp/w%d' % i, 'w').close()\n"
				     "    n += l.inotify_add_watch(ok[0], b'/tmp/w%d' % i, 2) >= 0\n"
				     "print('instances=%d\\nwatches=%d' % (len(ok), n + 1))\n";
	char *dir = tmpdir_make("ulimit");
	char *prof = file_write(dir, "p", "user-limit inotify_instances=5\nuser-limit inotify_watches=12\n", 0644);
	struct brig_result r;
	BRIG(&r, "run", "--profile", prof, "--", "python3", "-c", script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "instances") ?: "?", "5", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "watches") ?: "?", "12", RESULT_FMT, RESULT_ARGS(r));
	BRIG(&r, "run", "--user-limit", "inotify_instances=3", "--", "sh", "-c",
	     "echo limit=$(cat /proc/sys/user/max_inotify_instances); "
	     "echo 100000 > /proc/sys/user/max_inotify_instances 2>/dev/null && echo raised=yes || echo raised=no");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "limit") ?: "?", "3", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "raised") ?: "?", "no", RESULT_FMT, RESULT_ARGS(r));
}

/* PID 1 of the job is a copy of brig: its command line was the caller's
 * (paths, status file names, -e values). The job sees a name only. */
Test(hostile, pid_1_shows_nothing_of_the_caller)
{
	char *dir = tmpdir_make("caller-secret"), status[4200];
	snprintf(status, sizeof status, "%s/status-of-the-caller.jsonl", dir);
	struct brig_result r;
	BRIG(&r, "run", "-e", "TOKEN=value-of-the-caller", "--status-file", status, "--", "sh", "-c",
	     "printf 'cmdline=%s\\n' \"$(tr '\\0' '|' < /proc/1/cmdline)\"; "
	     "printf 'environ=%s\\n' \"$(tr -d '\\0' < /proc/1/environ 2>/dev/null)\"");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "cmdline") ?: "?", "brig-init|", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "environ") ?: "?", "", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_null(strstr(r.out, "caller"), RESULT_FMT, RESULT_ARGS(r));
}

/* A child of pid named comm (brig's janitor), or 0. */
static pid_t child_named(pid_t parent, const char *comm)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;
	while (d && !found && (e = readdir(d))) {
		char path[300], buf[512];
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		char *open = strchr(buf, '('), *close = strrchr(buf, ')');
		if (!open || !close)
			continue;
		int ppid = 0;
		if (sscanf(close + 2, "%*c %d", &ppid) == 1 && ppid == parent && (size_t)(close - open - 1) == strlen(comm) &&
		    strncmp(open + 1, comm, strlen(comm)) == 0)
			found = (pid_t)atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static bool wait_empty(const char *dir, long long ms)
{
	for (long long end = harness_deadline_ms(ms); entries(dir) && now_ms() < end;)
		usleep(50 * 1000);
	return entries(dir) == 0;
}

/* --overlay-dir: brig-ID goes with a supervisor killed by SIGKILL (its
 * janitor removes it), and when the janitor is killed too, brig gc finds
 * it from the job's record. */
Test(hostile, overlay_dir_leftovers_go_after_sigkill, .timeout = 90)
{
	harness_need_root("an overlay of the host's /usr needs root");
	char *dir = tmpdir_make("overlay-dir");
	for (int round = 0; round < 2; round++) {
		struct brig_proc p;
		brig_start(&p, NULL,
			   BRIG_ARGS("run", "--rootfs-mode", "overlay", "--overlay-dir", dir, "--", "sh", "-c",
				     "echo started; sleep 60"));
		bool started = brig_wait_stdout(&p, "started", 30);
		if (!started && p.err.data && strstr(p.err.data, "idmapped mount"))
			harness_not_on_this_host("the host's /usr cannot be idmapped: %s", p.err.data);
		cr_assert(started, "the job never started\n%s", p.err.data ?: "");
		cr_assert_eq(entries(dir), 1, "no brig-ID in %s while the job runs", dir);
		pid_t janitor = round ? child_named(p.pid, "brig-janitor") : 0;
		if (round)
			cr_assert_gt(janitor, 0, "no janitor under brig %d", (int)p.pid);
		if (janitor)
			kill(janitor, SIGKILL);
		brig_kill_and_reap(&p, SIGKILL);
		if (!round) {
			/* Measured: well under a second; 10 s for a loaded host. */
			cr_expect(wait_empty(dir, 10000), "the janitor left %zu entries in %s", entries(dir), dir);
			continue;
		}
		usleep(300 * 1000);
		cr_expect_eq(entries(dir), 1, "with its janitor killed, nothing should have removed it yet");
		struct brig_result r;
		BRIG(&r, "gc");
		cr_expect_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
		cr_expect(wait_empty(dir, 5000), "brig gc left %zu entries in %s" RESULT_FMT, entries(dir), dir,
			  RESULT_ARGS(r));
	}
}

/* --pty on the caller's terminal makes that terminal raw while the job
 * runs; after SIGKILL of brig, its janitor gives the settings back. */
Test(hostile, the_callers_terminal_is_restored_after_sigkill, .timeout = 60)
{
	struct agent_proc p;
	static char *env[] = { "PATH=/usr/bin:/bin", "TERM=xterm", NULL };
	char *argv[] = { getenv("BRIG"), "run", "--", "/bin/sh", "-c", "echo ready; sleep 60", NULL };
	agent_start(&p, argv, env, "/", true);
	struct termios before, raw, after;
	bool ready = agent_wait_log(&p, "ready", 30);
	cr_assert(ready, "the job never started\n%s", p.log.data);
	cr_assert_eq(tcgetattr(p.out, &raw), 0);
	cr_assert_eq(raw.c_lflag & ICANON, 0, "the relay did not make the caller's terminal raw: nothing to test");
	kill(p.pid, SIGKILL);
	waitpid(p.pid, NULL, 0);
	bool restored = false;
	for (long long end = harness_deadline_ms(5000); !restored && now_ms() < end; usleep(50 * 1000))
		restored = tcgetattr(p.out, &after) == 0 && (after.c_lflag & (ICANON | ECHO)) == (ICANON | ECHO);
	(void)before;
	close(p.out);
	cr_expect(restored, "the caller's terminal stayed raw after SIGKILL of brig");
}

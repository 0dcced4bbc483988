/* A job that attacks the host's resources rather than its walls: what its
 * refused calls cost, and where that cost is charged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "harness.h"

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
	char *dir = tmpdir_make("flood"), status[4200], prog[512];
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	snprintf(prog, sizeof prog, "%s/deny-flood", JOB_HELPERS);
	struct rusage before, after;
	getrusage(RUSAGE_CHILDREN, &before);
	struct brig_result r;
	/* Measured: 81 s of wall time at a load of 10 on two cores. */
	struct brig_opts o = { .limit_s = 600 };
	brig_run(&r, &o,
		 BRIG_ARGS("run", "--ro-bind", harness_helpers_bind(), "--status-file", status, "--", prog, "1000000"));
	getrusage(RUSAGE_CHILDREN, &after);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "refused") ?: "?", "1000000", RESULT_FMT, RESULT_ARGS(r));
	/* Bounded output: one line, whatever the count. */
	cr_expect_eq(line_count(r.err), 1, RESULT_FMT, RESULT_ARGS(r));
	char *text = file_read(status);
	cr_assert(text);
	cr_expect_leq(line_count(text), 2 + 32, "the status grew with the refusals:\n%.2000s", text);
	char *exited = json_event_line(text, "exited");
	cr_assert(exited, "%.2000s", text);
	cr_expect_str_eq(json_value(exited, "denials") ?: "?", "1000000", "%s", exited);
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
	printf("hostile: 1000000 refusals: outside the job %.0f ms, in the job %.0f ms (the caller %.0f ms, brig's "
	       "handler %.0f ms)\n",
	       outside, job, own, job - own);
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

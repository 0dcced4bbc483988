#include <criterion/criterion.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brig/config/config.h"
#include "brig/fs/landlock.h"
#include "brig/run/status.h"
#include "helpers/unit.h"

static struct brig_config cfg;
static char *line;
static json_object *obj;

static void setup(void)
{
	config_init(&cfg);
	line = NULL;
	obj = NULL;
}

static void teardown(void)
{
	json_object_put(obj);
	free(line);
	config_free(&cfg);
}

TestSuite(status, .init = setup, .fini = teardown);

/* A status line is exactly one JSON object followed by one newline. */
static json_object *parse_line(const char *l)
{
	cr_assert_not_null(l);
	size_t len = strlen(l);
	cr_assert_gt(len, 1);
	cr_assert_eq(l[len - 1], '\n', "%s", l);
	cr_assert_eq(strchr(l, '\n'), l + len - 1, "more than one line: %s", l);
	json_object *o = json_tokener_parse(l);
	cr_assert_not_null(o, "not JSON: %s", l);
	cr_assert(json_object_is_type(o, json_type_object), "%s", l);
	return o;
}

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;
	cr_assert(json_object_object_get_ex(o, key, &v), "no \"%s\"", key);
	return v;
}

static void assert_string(json_object *o, const char *key, const char *want)
{
	json_object *v = field(o, key);
	cr_assert(json_object_is_type(v, json_type_string), "\"%s\" is not a string", key);
	cr_assert_str_eq(json_object_get_string(v), want, "\"%s\"", key);
}

static void assert_int(json_object *o, const char *key, int64_t want)
{
	json_object *v = field(o, key);
	cr_assert(json_object_is_type(v, json_type_int), "\"%s\" is not an integer", key);
	cr_assert_eq(json_object_get_int64(v), want, "\"%s\"", key);
}

static void assert_bool(json_object *o, const char *key, bool want)
{
	json_object *v = field(o, key);
	cr_assert(json_object_is_type(v, json_type_boolean), "\"%s\" is not a boolean", key);
	cr_assert_eq((bool)json_object_get_boolean(v), want, "\"%s\"", key);
}

static void assert_null(json_object *o, const char *key)
{
	cr_assert_null(field(o, key), "\"%s\" is not null", key);
}

static void assert_double(json_object *o, const char *key, double want)
{
	json_object *v = field(o, key);
	cr_assert(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int),
		  "\"%s\" is not a number", key);
	cr_assert_float_eq(json_object_get_double(v), want, 1e-9, "\"%s\"", key);
}

/* started */

Test(status, started_names_the_event_id_and_pid)
{
	line = status_format_started("job-1", 4242, &cfg, NULL);
	obj = parse_line(line);
	assert_string(obj, "event", "started");
	assert_string(obj, "id", "job-1");
	assert_int(obj, "pid", 4242);
}

Test(status, started_without_a_time_limit_has_a_null_timeout)
{
	line = status_format_started("job-1", 1, &cfg, NULL);
	obj = parse_line(line);
	assert_null(field(obj, "limits"), "timeout_ms");
}

Test(status, started_reports_the_time_limit_in_ms)
{
	cfg.timeout_ms = 90000;
	line = status_format_started("job-1", 1, &cfg, NULL);
	obj = parse_line(line);
	assert_int(field(obj, "limits"), "timeout_ms", 90000);
}

Test(status, id_is_escaped_and_the_line_stays_one_line)
{
	const char *id = "a\"b\\c\nd\te";
	line = status_format_started(id, 1, &cfg, NULL);
	obj = parse_line(line);
	assert_string(obj, "id", id);
}

/* A limit the host could not enforce (best-effort) is not in "limits" but
 * in "limits_dropped", with the reason; enforced ones stay. */
Test(status, started_tells_dropped_limits_apart)
{
	cfg.limits.memory = 1 << 30;
	cfg.limits.pids = 100;
	cfg.limits.cpu_quota_us = 50000;
	struct cgroup_job cg = { .dropped = CG_MEMORY | CG_PIDS };
	snprintf(cg.dropped_reason, sizeof cg.dropped_reason, "no cgroup v2 controller in /x");
	line = status_format_started("job-1", 1, &cfg, &cg);
	obj = parse_line(line);
	json_object *limits = field(obj, "limits"), *dropped = field(obj, "limits_dropped");
	assert_null(limits, "memory_bytes");
	assert_null(limits, "pids");
	assert_double(limits, "cpus", 0.5);
	assert_int(field(dropped, "memory_bytes"), "requested", 1 << 30);
	assert_string(field(dropped, "pids"), "reason", "no cgroup v2 controller in /x");
	cr_assert_not(json_object_object_get_ex(dropped, "cpus", NULL), "cpus was enforced");
}

Test(status, started_without_dropped_limits_has_an_empty_list)
{
	cfg.limits.memory = 1 << 30;
	struct cgroup_job cg = { 0 };
	line = status_format_started("job-1", 1, &cfg, &cg);
	obj = parse_line(line);
	assert_int(field(obj, "limits"), "memory_bytes", 1 << 30);
	cr_assert_eq(json_object_object_length(field(obj, "limits_dropped")), 0);
}

/* exited */

Test(status, exited_with_a_code)
{
	struct status_exit e = { .exit_code = 3, .wall_ms = 12.5, .cpu_user_ms = 4, .cpu_system_ms = 1.25,
				 .max_rss_kib = 2048 };
	line = status_format_exited("job-2", &e);
	obj = parse_line(line);
	assert_string(obj, "event", "exited");
	assert_string(obj, "id", "job-2");
	assert_int(obj, "exit_code", 3);
	assert_null(obj, "signal");
	assert_bool(obj, "timed_out", false);
	assert_bool(obj, "oom_killed", false);
	assert_double(obj, "wall_time_ms", 12.5);
	assert_double(obj, "cpu_user_ms", 4);
	assert_double(obj, "cpu_system_ms", 1.25);
	assert_int(obj, "max_rss_kib", 2048);
}

Test(status, exited_counts_firewall_rejections_by_class)
{
	struct status_exit e = { .have_firewall = true,
				 .firewall = { .spoof = 1, .metadata = 2, .host = 3, .private_ranges = 4, .policy = 5 } };
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	json_object *fw = NULL;
	cr_assert(json_object_object_get_ex(obj, "firewall_rejected", &fw) && fw, "%s", line);
	assert_int(fw, "spoofed", 1);
	assert_int(fw, "metadata", 2);
	assert_int(fw, "host", 3);
	assert_int(fw, "private", 4);
	assert_int(fw, "policy", 5);
}

Test(status, exited_counts_refusals_by_kind)
{
	struct seccomp_refusals f = { .count = { [SC_REFUSED_ID_MAPPING] = 7, [SC_REFUSED_CAPABILITY] = 2 },
				      .n_first = 2,
				      .first = { { .nr = SYS_fchownat, .kind = SC_REFUSED_ID_MAPPING, .pid = 4,
						   .comm = "tar\x1b", .id = 100000 },
						 { .nr = SYS_mknodat, .kind = SC_REFUSED_CAPABILITY, .pid = 5,
						   .comm = "dpkg", .id = -1 } } };
	struct status_exit e = { .exit_code = 2, .refused = f };
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	json_object *r = field(obj, "refused"), *first = field(r, "first");
	assert_int(r, "id_mapping", 7);
	assert_int(r, "capability", 2);
	cr_assert_eq(json_object_array_length(first), 2, "%s", line);
	json_object *a = json_object_array_get_idx(first, 0), *b = json_object_array_get_idx(first, 1);
	assert_string(a, "syscall", "fchownat");
	assert_string(a, "kind", "id_mapping");
	assert_string(a, "comm", "tar?");
	assert_int(a, "id", 100000);
	assert_string(b, "syscall", "mknodat");
	assert_null(b, "id");
}

Test(status, exited_without_refusals_has_zero_counts)
{
	struct status_exit e = { 0 };
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	json_object *r = field(obj, "refused");
	assert_int(r, "id_mapping", 0);
	assert_int(r, "capability", 0);
	cr_assert_eq(json_object_array_length(field(r, "first")), 0);
}

Test(status, exited_without_a_firewall_has_null_counts)
{
	struct status_exit e = { 0 };
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	assert_null(obj, "firewall_rejected");
}

Test(status, exited_has_timings_per_step_and_their_total)
{
	struct status_exit e = { .have_timings = true, .timings_total_ms = 6.5 };
	e.timings_ms[TIMING_PARSE] = 0.25;
	e.timings_ms[TIMING_MOUNTS] = 2.5;
	e.timings_ms[TIMING_TEARDOWN] = 3.75;
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	json_object *t = field(obj, "timings");
	cr_assert_eq(json_object_object_length(t), TIMING_COUNT + 1, "%s", line);
	assert_double(t, "parse", 0.25);
	assert_double(t, "mounts", 2.5);
	assert_double(t, "teardown", 3.75);
	assert_double(t, "exec", 0);
	assert_double(t, "total", 6.5);
}

Test(status, exited_without_timings_has_none)
{
	struct status_exit e = { 0 };
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	cr_assert_not(json_object_object_get_ex(obj, "timings", NULL), "%s", line);
}

Test(status, exited_with_zero_is_a_code_not_null)
{
	struct status_exit e = { .exit_code = 0 };
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	assert_int(obj, "exit_code", 0);
}

Test(status, killed_by_a_signal_names_it_and_has_no_code)
{
	struct status_exit e = { .exit_code = -1, .signal = SIGKILL };
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	assert_null(obj, "exit_code");
	assert_string(obj, "signal", "SIGKILL");
}

Test(status, sigterm_is_named)
{
	struct status_exit e = { .exit_code = -1, .signal = SIGTERM };
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	assert_string(obj, "signal", "SIGTERM");
}

Test(status, signal_without_a_name_is_given_as_its_number)
{
	struct status_exit e = { .exit_code = -1, .signal = SIGRTMIN + 2 };
	char want[16];
	snprintf(want, sizeof want, "%d", SIGRTMIN + 2);
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	assert_string(obj, "signal", want);
}

Test(status, time_out_and_oom_are_reported)
{
	struct status_exit e = { .exit_code = -1, .signal = SIGKILL, .timed_out = true, .oom_killed = true };
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	assert_bool(obj, "timed_out", true);
	assert_bool(obj, "oom_killed", true);
}

Test(status, times_are_rounded_to_microseconds)
{
	struct status_exit e = { .wall_ms = 1.2345678, .cpu_user_ms = 2.0004999 };
	line = status_format_exited("j", &e);
	obj = parse_line(line);
	assert_double(obj, "wall_time_ms", 1.235);
	assert_double(obj, "cpu_user_ms", 2.0);
}

/* status_write */

static int fds[2] = { -1, -1 };

static void pipe_setup(void)
{
	setup();
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
}

static void pipe_teardown(void)
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	teardown();
}

Test(status_write, writes_the_whole_line, .init = pipe_setup, .fini = pipe_teardown)
{
	char buf[64] = "";
	cr_assert_eq(status_write(fds[1], "{\"event\":\"x\"}\n"), 0);
	cr_assert_eq(read(fds[0], buf, sizeof buf - 1), 14);
	cr_assert_str_eq(buf, "{\"event\":\"x\"}\n");
}

Test(status_write, no_sink_is_not_an_error)
{
	cr_assert_eq(status_write(-1, "x\n"), 0);
}

Test(status_write, missing_line_is_enomem, .init = pipe_setup, .fini = pipe_teardown)
{
	cr_assert_eq(status_write(fds[1], NULL), -ENOMEM);
}

Test(status_write, closed_fd_is_ebadf)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(status_write(fd, "x\n"), -EBADF);
}

Test(status_write, full_device_is_enospc)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		cr_skip_test("no /dev/full");
	cr_assert_eq(status_write(fd, "x\n"), -ENOSPC);
	close(fd);
}

/* status_open */

Test(status_open, nothing_configured_gives_no_fd, .init = setup, .fini = teardown)
{
	int fd = 99;
	cr_assert_eq(status_open(&cfg, &fd), 0);
	cr_assert_eq(fd, -1);
}

Test(status_open, status_fd_is_a_private_close_on_exec_copy, .init = pipe_setup, .fini = pipe_teardown)
{
	int fd = -1;
	int plain = fcntl(fds[1], F_DUPFD, 3);
	cr_assert_geq(plain, 0);
	cfg.status_fd = plain;
	cr_assert_eq(status_open(&cfg, &fd), 0);
	cr_assert_geq(fd, 3);
	cr_assert_neq(fd, plain);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(status_write(fd, "ok\n"), 0);
	char buf[8] = "";
	cr_assert_eq(read(fds[0], buf, sizeof buf - 1), 3);
	cr_assert_str_eq(buf, "ok\n");
	close(fd);
	close(plain);
}

Test(status_open, closed_status_fd_is_ebadf, .init = setup, .fini = teardown)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	close(fd);
	cfg.status_fd = fd;
	int out = 99;
	cr_assert_eq(status_open(&cfg, &out), -EBADF);
	cr_assert_eq(out, -1);
}

static char dir[256], path[300];

static void file_setup(void)
{
	setup();
	unit_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/status.jsonl", dir);
}

static void file_teardown(void)
{
	unit_rmtree(dir);
	teardown();
}

Test(status_open, status_file_is_created_and_truncated, .init = file_setup, .fini = file_teardown)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "old contents\n", 13), 13);
	close(fd);
	cfg.status_file = strdup(path);
	cr_assert_not_null(cfg.status_file);
	cr_assert_eq(status_open(&cfg, &fd), 0);
	cr_assert_geq(fd, 0);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(status_write(fd, "new\n"), 0);
	close(fd);
	char buf[32] = "";
	fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(read(fd, buf, sizeof buf - 1), 4);
	close(fd);
	cr_assert_str_eq(buf, "new\n");
}

Test(status_open, status_file_in_a_missing_directory_is_enoent, .init = file_setup, .fini = file_teardown)
{
	char bad[400];
	snprintf(bad, sizeof bad, "%s/missing/status.jsonl", dir);
	cfg.status_file = strdup(bad);
	cr_assert_not_null(cfg.status_file);
	int fd = 99;
	cr_assert_eq(status_open(&cfg, &fd), -ENOENT);
	cr_assert_eq(fd, -1);
}

/* failed, denied */

Test(status, failed_carries_the_message_and_exit_code_125)
{
	line = status_format_failed("job-3", "--bind /nope: No such file or directory");
	obj = parse_line(line);
	assert_string(obj, "event", "failed");
	assert_string(obj, "id", "job-3");
	assert_string(obj, "message", "--bind /nope: No such file or directory");
	assert_int(obj, "exit_code", 125);
}

static const struct seccomp_denial denial = {
	.syscall = "mount", .nr = 165, .pid = 7, .comm = "make", .action = "errno", .err = EPERM,
};

Test(status, denied_names_the_call_the_process_and_the_answer)
{
	line = status_format_denied("job-4", &denial);
	obj = parse_line(line);
	assert_string(obj, "event", "denied");
	assert_string(obj, "id", "job-4");
	assert_string(obj, "kind", "seccomp");
	assert_string(obj, "syscall", "mount");
	assert_int(obj, "nr", 165);
	assert_int(obj, "pid", 7);
	assert_string(obj, "comm", "make");
	assert_string(obj, "action", "errno");
	assert_string(obj, "errno", "EPERM");
}

Test(status, denied_without_errno_has_a_null_errno)
{
	struct seccomp_denial d = denial;
	d.action = "kill";
	d.err = 0;
	line = status_format_denied("j", &d);
	obj = parse_line(line);
	assert_string(obj, "action", "kill");
	assert_null(obj, "errno");
}

/* The job names its own processes (prctl PR_SET_NAME takes any bytes), and
 * a consumer of the status stream must still be able to read every line as
 * JSON text, which is UTF-8. */
Test(status, denied_line_is_utf8_whatever_the_job_calls_itself)
{
	struct seccomp_denial d = denial;
	d.comm = "ev\xff\xfeil\n";
	line = status_format_denied("j", &d);
	obj = parse_line(line);
	cr_assert_not_null(setlocale(LC_CTYPE, "C.UTF-8"));
	cr_assert_neq(mbstowcs(NULL, line, 0), (size_t)-1, "the status line is not UTF-8");
}

/* The Landlock field says what the job's init acts on: in force with the
 * kernel's ABI, or not, with why. */
Test(status, started_says_whether_landlock_is_in_force)
{
	line = status_format_started("job-1", 1, &cfg, NULL);
	obj = parse_line(line);
	json_object *l = field(obj, "landlock");
	int abi = landlock_job_abi(&cfg);
	cr_assert_eq(json_object_get_boolean(field(l, "in_force")), abi > 0, "%s", line);
	if (abi > 0)
		assert_int(l, "abi", abi);
	else
		assert_string(l, "reason", landlock_absent_reason(abi));
}

Test(status, started_landlock_not_in_force_for_a_job_that_keeps_sys_admin)
{
	int cap = CAP_SYS_ADMIN;
	cfg.caps = &cap;
	cfg.n_caps = 1;
	line = status_format_started("job-1", 1, &cfg, NULL);
	cfg.caps = NULL;
	cfg.n_caps = 0;
	obj = parse_line(line);
	json_object *l = field(obj, "landlock");
	cr_assert_not(json_object_get_boolean(field(l, "in_force")), "%s", line);
	assert_string(l, "reason", landlock_absent_reason(-ECANCELED));
}

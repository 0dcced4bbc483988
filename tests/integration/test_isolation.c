/* What the job can see and do from inside: processes, identity,
 * privileges, the terminal and inherited file descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(isolation);

#define DEFAULT_UID_BASE 1879048192ul /* the contract's default host range */
#define DEFAULT_UID_COUNT 65536ul

static void assert_ran(const struct brig_result *r, const char *what)
{
	cr_assert_eq(r->status, 0, "%s: the job failed" RESULT_FMT, what, RESULT_ARGS(*r));
}

/* The globs are expanded by the shell itself, so no child process of the
 * job exists while it lists /proc. */
Test(isolation, pid1_is_init_and_only_own_processes)
{
	struct brig_result r;
	BRIG(&r, "run", "--", "/bin/sh", "-c",
	     "for p in /proc/[0-9]*; do echo seen=${p#/proc/}; done;"
	     "echo self=$$; echo comm1=$(cat /proc/1/comm); echo commself=$(cat /proc/$$/comm)");
	assert_ran(&r, "listing /proc");

	long self = strtol(kv_get(r.out, "self") ?: "0", NULL, 10);
	cr_assert_neq(self, 1, "the job command itself is PID 1" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_gt(self, 1, "no self= line" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_neq(kv_get(r.out, "comm1") ?: "?", kv_get(r.out, "commself") ?: "?",
			  "PID 1 runs the job's own program" RESULT_FMT, RESULT_ARGS(r));

	bool saw_init = false, saw_self = false;
	for (const char *l = strstr(r.out, "seen="); l; l = strstr(l + 1, "seen=")) {
		long pid = strtol(l + 5, NULL, 10);
		saw_init |= pid == 1;
		saw_self |= pid == self;
		cr_assert(pid == 1 || pid == self, "the job sees process %ld that is neither init nor itself" RESULT_FMT,
			  pid, RESULT_ARGS(r));
	}
	cr_assert(saw_init && saw_self, "/proc lacks PID 1 or the job itself" RESULT_FMT, RESULT_ARGS(r));
}

/* 200 subshells each leave a sleep behind and exit: the sleeps become
 * orphans of PID 1. The job then kills them all at once and init must reap
 * every one. Only the recorded pids are killed (never kill -1): with a
 * broken brig the job would be on the host. */
Test(isolation, orphans_reaped, .timeout = 40)
{
	struct brig_result r;
	struct brig_opts o = { .limit_s = 30 };
	brig_run(&r, &o,
		 BRIG_ARGS("run", "--", "/bin/sh", "-c",
			   "f=/tmp/orphans.$$; i=0;"
			   "while [ $i -lt 200 ]; do (sleep 1000 & echo $! >>$f); i=$((i+1)); done;"
			   "set -- /proc/[0-9]*; echo alive=$#;"
			   "kill -9 $(cat $f); rm -f $f;"
			   "n=0; while [ $n -lt 100 ]; do"
			   "  z=$(grep -l '^State:[[:space:]]*Z' /proc/[0-9]*/status 2>/dev/null | wc -l);"
			   "  set -- /proc/[0-9]*; left=$#;"
			   "  [ $z -eq 0 ] && [ $left -le 2 ] && break;"
			   "  sleep 0.1; n=$((n+1));"
			   "done; echo zombies=$z; echo left=$left"));
	assert_ran(&r, "orphans");
	long alive = strtol(kv_get(r.out, "alive") ?: "0", NULL, 10);
	cr_assert_geq(alive, 202, "the 200 orphans did not all exist at once" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "zombies") ?: "?", "0", "zombies left in the job" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "left") ?: "?", "2", "processes other than init and the job remain" RESULT_FMT,
			 RESULT_ARGS(r));
}

/* First line of an id map as printed by the job: inside, host, count. */
static void parse_map(const struct brig_result *r, const char *key, unsigned long v[3])
{
	char *line = kv_get(r->out, key);
	cr_assert(line && sscanf(line, "%lu %lu %lu", &v[0], &v[1], &v[2]) == 3, "no %s in the output" RESULT_FMT,
		  key, RESULT_ARGS(*r));
}

static void run_id_job(struct brig_result *r, const char *const *extra)
{
	const char *argv[16] = { "run" };
	size_t n = 1;
	for (; extra && *extra; extra++)
		argv[n++] = *extra;
	argv[n++] = "--";
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = "echo uid=$(id -u); echo gid=$(id -g);"
		    "read a b c </proc/self/uid_map; echo uidmap=$a $b $c;"
		    "read a b c </proc/self/gid_map; echo gidmap=$a $b $c";
	argv[n] = NULL;
	brig_run(r, NULL, argv);
	assert_ran(r, "reading the id maps");
}

Test(isolation, root_inside_maps_to_unprivileged_host_uid)
{
	struct brig_result r;
	unsigned long u[3], g[3];
	run_id_job(&r, NULL);
	parse_map(&r, "uidmap", u);
	parse_map(&r, "gidmap", g);
	cr_assert_str_eq(kv_get(r.out, "uid") ?: "?", "0", "the job is not root inside" RESULT_FMT, RESULT_ARGS(r));
	cr_assert(u[0] == 0 && u[1] != 0, "uid 0 inside is host uid %lu" RESULT_FMT, u[1], RESULT_ARGS(r));
	cr_assert(g[0] == 0 && g[1] != 0, "gid 0 inside is host gid %lu" RESULT_FMT, g[1], RESULT_ARGS(r));
	if (harness_unprivileged()) {
		cr_assert(u[1] == harness_brig_uid() && u[2] == 1, "rootless: expected \"0 %u 1\"" RESULT_FMT,
			  (unsigned)harness_brig_uid(), RESULT_ARGS(r));
	} else {
		cr_assert(u[1] == DEFAULT_UID_BASE && u[2] == DEFAULT_UID_COUNT,
			  "default range should be %lu:%lu" RESULT_FMT, DEFAULT_UID_BASE, DEFAULT_UID_COUNT,
			  RESULT_ARGS(r));
	}
}

/* Root: the range is the one asked for. Unprivileged: only the caller's
 * own id can be mapped, so brig must refuse with one clear line. */
Test(isolation, uid_range)
{
	struct brig_result r;
	if (harness_unprivileged()) {
		BRIG(&r, "run", "--uid-range", "2000000000:65536", "--", "/bin/true");
		cr_assert_eq(r.status, 125, "--uid-range without root must fail" RESULT_FMT, RESULT_ARGS(r));
		cr_assert(line_count(r.err) == 1 && strncmp(r.err, "brig: ", 6) == 0 && strstr(r.err, "uid-range"),
			  "expected one `brig: ` line naming --uid-range" RESULT_FMT, RESULT_ARGS(r));
		return;
	}
	unsigned long u[3];
	run_id_job(&r, (const char *[]){ "--uid-range", "2000000000:65536", NULL });
	parse_map(&r, "uidmap", u);
	cr_assert(u[0] == 0 && u[1] == 2000000000ul && u[2] == 65536, "uid_map should be \"0 2000000000 65536\"" RESULT_FMT,
		  RESULT_ARGS(r));
}

Test(isolation, user_option)
{
	harness_need_root("--user needs a mapped id range");
	struct brig_result r;
	BRIG(&r, "run", "--user", "1000:1000", "--", "/bin/sh", "-c", "echo uid=$(id -u); echo gid=$(id -g)");
	assert_ran(&r, "--user 1000:1000");
	cr_assert_str_eq(kv_get(r.out, "uid") ?: "?", "1000", RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "gid") ?: "?", "1000", RESULT_FMT, RESULT_ARGS(r));
}

/* "Name:\tVALUE" from a /proc/PID/status dump, as a number in base. */
static uint64_t status_field(const struct brig_result *r, const char *name, int base)
{
	char key[64];
	snprintf(key, sizeof key, "\n%s:", name);
	const char *l = strstr(r->out, key);
	cr_assert(l, "no %s in /proc/self/status" RESULT_FMT, name, RESULT_ARGS(*r));
	return strtoull(l + strlen(key), NULL, base);
}

Test(isolation, no_capabilities_and_no_new_privs)
{
	struct brig_result r;
	BRIG(&r, "run", "--", "/bin/cat", "/proc/self/status");
	assert_ran(&r, "cat /proc/self/status");
	static const char *const sets[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
		cr_expect_eq(status_field(&r, sets[i], 16), 0, "%s is not empty" RESULT_FMT, sets[i], RESULT_ARGS(r));
	cr_assert_eq(status_field(&r, "NoNewPrivs", 10), 1, "no_new_privs is not set" RESULT_FMT, RESULT_ARGS(r));
}

Test(isolation, cap_add_keeps_only_that_capability)
{
	struct brig_result r;
	BRIG(&r, "run", "--cap-add", "CAP_CHOWN", "--", "/bin/cat", "/proc/self/status");
	assert_ran(&r, "--cap-add CAP_CHOWN");
	const uint64_t chown_bit = 1; /* CAP_CHOWN is capability 0 */
	cr_expect_eq(status_field(&r, "CapEff", 16), chown_bit, "CapEff" RESULT_FMT, RESULT_ARGS(r));
	cr_expect_eq(status_field(&r, "CapPrm", 16), chown_bit, "CapPrm" RESULT_FMT, RESULT_ARGS(r));
	cr_expect_eq(status_field(&r, "CapBnd", 16), chown_bit, "CapBnd" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_eq(status_field(&r, "NoNewPrivs", 10), 1, "no_new_privs" RESULT_FMT, RESULT_ARGS(r));
}

/* The pty is made the controlling terminal of brig's caller, as in an
 * interactive shell; TIOCSTI from the job would type into it. */
Test(isolation, tiocsti_fails, .timeout = 30)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
		harness_unavailable("no pseudo-terminals: %s", strerror(errno));
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert(slave >= 0, "open %s: %s", ptsname(master), strerror(errno));
	struct termios t;
	cr_assert(tcgetattr(slave, &t) == 0);
	cfmakeraw(&t); /* a pushed byte becomes readable at once */
	cr_assert(tcsetattr(slave, TCSANOW, &t) == 0);

	struct brig_result r;
	struct brig_opts o = { .tty_fd = slave };
	brig_run(&r, &o,
		 BRIG_ARGS("run", "--ro-bind", harness_helpers_bind(), "--", JOB_HELPERS "/tiocsti"));
	assert_ran(&r, "tiocsti helper");
	cr_assert_str_eq(kv_get(r.out, "tty") ?: "?", "1", "the job's stdin is not the terminal" RESULT_FMT,
			 RESULT_ARGS(r));
	char *res = kv_get(r.out, "tiocsti") ?: strdup("?");
	cr_assert_str_neq(res, "OK", "TIOCSTI pushed a keystroke into the caller's terminal" RESULT_FMT,
			  RESULT_ARGS(r));
	cr_assert(res[0] == 'E' && strcmp(res, "ENOTTY") && strcmp(res, "EBADF"),
		  "expected a refusal such as EPERM or EIO, got %s" RESULT_FMT, res, RESULT_ARGS(r));

	char c;
	fcntl(slave, F_SETFL, O_NONBLOCK);
	cr_assert(read(slave, &c, 1) < 0 && errno == EAGAIN, "a byte was pushed into the terminal's input");
}

/* The job reads brig's stdin: jobs are often fed a script that way. */
Test(isolation, stdin_reaches_job)
{
	struct brig_result r;
	struct brig_opts o = { .stdin_data = "line one\nline two\n" };
	brig_run(&r, &o, BRIG_ARGS("run", "--", "/bin/sh", "-c", "wc -l"));
	assert_ran(&r, "wc -l");
	cr_assert_eq(strtol(r.out, NULL, 10), 2, "the job did not read brig's stdin" RESULT_FMT, RESULT_ARGS(r));
}

static void run_list_fds(struct brig_result *r, bool pass)
{
	char *dir = tmpdir_make("fds");
	char content[128];
	snprintf(content, sizeof content, "fd-seven-%s\n", harness_marker());
	char *path = file_write(dir, "seven", content, 0644);
	struct brig_opts o = { .inherit_fd = 7, .inherit_path = path, .inherit_flags = O_RDONLY };
	if (pass)
		brig_run(r, &o,
			 BRIG_ARGS("run", "--pass-fd", "7", "--ro-bind", harness_helpers_bind(), "--",
				   JOB_HELPERS "/list-fds", "7"));
	else
		brig_run(r, &o, BRIG_ARGS("run", "--ro-bind", harness_helpers_bind(), "--", JOB_HELPERS "/list-fds", "7"));
	assert_ran(r, "list-fds");
}

Test(isolation, caller_fd_not_visible)
{
	struct brig_result r;
	run_list_fds(&r, false);
	for (const char *l = strstr(r.out, "fd="); l; l = strstr(l + 1, "fd=")) {
		long fd = strtol(l + 3, NULL, 10);
		cr_assert(fd <= 2, "fd %ld is open in the job" RESULT_FMT, fd, RESULT_ARGS(r));
	}
	cr_assert_eq(kv_count(r.out, "fd"), 3, "the job should have exactly 0, 1, 2" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "read") ?: "?", "EBADF", "fd 7 is readable in the job" RESULT_FMT,
			 RESULT_ARGS(r));
}

Test(isolation, pass_fd_keeps_that_fd)
{
	struct brig_result r;
	run_list_fds(&r, true);
	char want[128];
	snprintf(want, sizeof want, "fd-seven-%s", harness_marker());
	cr_assert_str_eq(kv_get(r.out, "read") ?: "?", want, "fd 7 was not passed" RESULT_FMT, RESULT_ARGS(r));
	for (const char *l = strstr(r.out, "fd="); l; l = strstr(l + 1, "fd=")) {
		long fd = strtol(l + 3, NULL, 10);
		cr_assert(fd <= 2 || fd == 7, "fd %ld is open in the job" RESULT_FMT, fd, RESULT_ARGS(r));
	}
}

Test(isolation, hostname)
{
	struct brig_result r;
	BRIG(&r, "run", "--hostname", "brig-it-host", "--", "/bin/uname", "-n");
	assert_ran(&r, "--hostname");
	cr_assert_str_eq(r.out, "brig-it-host\n", RESULT_FMT, RESULT_ARGS(r));

	char host[256] = "";
	gethostname(host, sizeof host - 2);
	strcat(host, "\n");
	BRIG(&r, "run", "--", "/bin/uname", "-n");
	assert_ran(&r, "default hostname");
	cr_assert(strncmp(r.out, "brig-", 5) == 0, "default hostname should be brig-<jobid>" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_neq(r.out, host, "the job has the host's name" RESULT_FMT, RESULT_ARGS(r));
}

/* Environment variables of brig's caller, only some of which are passed. */
static const char *const caller_env[] = {
	"BRIGIT_HOST=host-value", "BRIGIT_P_A=a",	   "BRIGIT_P_B=b",
	"BRIGIT_LEAK=leak",	  "BRIGITX_P_C=no-prefix", "LC_ALL=C.UTF-8",
	NULL,
};

Test(isolation, environment_is_clean)
{
	struct brig_result r;
	struct brig_opts o = { .env = caller_env };
	brig_run(&r, &o,
		 BRIG_ARGS("run", "--env", "BRIGIT_SET=from option", "--env-pass", "BRIGIT_HOST", "--env-pass",
			   "BRIGIT_P_*", "--", "/usr/bin/env"));
	assert_ran(&r, "env");

	static const char *const want[][2] = {
		{ "BRIGIT_SET", "from option" }, { "BRIGIT_HOST", "host-value" }, { "BRIGIT_P_A", "a" }, { "BRIGIT_P_B", "b" }
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		cr_expect_str_eq(kv_get(r.out, want[i][0]) ?: "(unset)", want[i][1], "%s" RESULT_FMT, want[i][0],
				 RESULT_ARGS(r));
	cr_expect(kv_get(r.out, "PATH"), "PATH is not set" RESULT_FMT, RESULT_ARGS(r));

	static const char *const allowed[] = { "PATH", "HOME", "TERM", "LANG", "BRIGIT_SET", "BRIGIT_HOST",
					       "BRIGIT_P_A", "BRIGIT_P_B" };
	for (const char *l = r.out; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != '\0')) {
		size_t name_len = strcspn(l, "=\n");
		if (l[name_len] != '=')
			continue; /* continuation of a multi-line value */
		bool ok = false;
		for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
			ok |= strlen(allowed[i]) == name_len && strncmp(l, allowed[i], name_len) == 0;
		cr_assert(ok, "%.*s leaked into the job" RESULT_FMT, (int)name_len, l, RESULT_ARGS(r));
	}
}

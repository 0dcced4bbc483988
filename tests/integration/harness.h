/* Integration harness: runs the real brig binary ($BRIG) and lets tests look
 * at what the job printed, at the exit status, and at the host around it.
 *
 * Environment:
 *   BRIG            path of the binary under test (required)
 *   BRIG_HELPERS    directory of the helper programs built from tests/helpers
 *   BRIG_TEST_USER  UID[:GID]: run brig as this unprivileged user; tests that
 *                   need host root then skip with "needs root"
 *   BRIG_MUST_WORK  1: a missing kernel feature or tool fails instead of
 *                   skipping (CI must not go green by skipping everything)
 *   BRIG_TEST_TIME_SCALE  N >= 1: every time limit of the suite (Criterion's
 *                   per-test and per-suite timeouts, the harness's waits
 *                   for brig and for leftovers) is N times as long; for
 *                   slow machines (the VM guest under emulation). Default 1.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <criterion/criterion.h>

/* Where tests mount the helper programs inside the job. */
#define JOB_HELPERS "/opt/brig-helpers"

/* Default wall-clock limit for one brig invocation, in seconds. Well below
 * the Criterion per-test timeouts so a hang shows brig's output. */
#define BRIG_DEFAULT_LIMIT_S 10.0

/* ---- setup, skips, modes ---------------------------------------------- */

/* BRIG_TEST_TIME_SCALE, or 1. */
double harness_time_scale(void);
/* The end of a wait for an event: now_ms() + ms, times the scale. A wait
 * that ends early costs nothing; only a failure waits the whole time. */
long long harness_deadline_ms(double ms);

/* Suite .init/.fini: check the environment (binary, helpers, namespaces),
 * and clean up everything the test created, even after a failed assert. */
void harness_setup(void);
void harness_teardown(void);

/* The one place that decides between skip and fail: a missing kernel
 * feature or tool skips, unless BRIG_MUST_WORK=1 where it fails. */
__attribute__((noreturn, format(printf, 1, 2))) void harness_unavailable(const char *fmt, ...);

/* Skips (always, by design) when brig runs as the unprivileged test user. */
void harness_need_root(const char *why);
/* Skips, even with BRIG_MUST_WORK=1: the host lacks it by design (here,
 * cgroup v2 controllers on a hybrid host); the VM rig runs these tests. */
__attribute__((noreturn, format(printf, 1, 2))) void harness_not_on_this_host(const char *fmt, ...);
/* The host's cgroup v2 mount point, or NULL; and whether its root offers
 * controller NAME (memory, pids, cpu, io) to brig's cgroups. */
const char *harness_cgroup2_root(void);
bool harness_cgroup_has(const char *name);

/* True when BRIG_TEST_USER is set: brig runs as that uid/gid. */
bool harness_unprivileged(void);
uid_t harness_brig_uid(void);
gid_t harness_brig_gid(void);

/* The host owner the tests give to directories they bind into jobs: the test
 * user when unprivileged (it can only map itself), else a plain non-root id,
 * so "owned by the directory's owner" cannot pass by accident as root. */
uid_t harness_dir_owner(void);
gid_t harness_dir_group(void);

/* A string unique to this test process, put in job command lines so the
 * host's process table can be searched for the job's processes. */
const char *harness_marker(void);

/* "--ro-bind" argument that makes the helper programs visible at
 * JOB_HELPERS inside the job (a copy readable by the test user). */
const char *harness_helpers_bind(void);

/* ---- running brig ------------------------------------------------------ */

struct brig_opts {
	const char *stdin_data; /* NULL: stdin is /dev/null */
	int tty_fd; /* > 0: a pty slave used as stdin and made brig's controlling tty */
	int inherit_fd; /* > 2: inherit_path is opened on this fd, not close-on-exec */
	const char *inherit_path;
	int inherit_flags; /* open(2) flags for inherit_path */
	const char *const *env; /* extra NAME=VALUE entries for brig's environment */
	double limit_s; /* wall-clock limit; 0: BRIG_DEFAULT_LIMIT_S */
	const char *netns; /* run brig with `ip netns exec NAME` (the network lab) */
};

struct buf {
	char *data; /* always NUL-terminated once allocated */
	size_t len, cap;
};
/* Appends n bytes (n may be 0: an empty, NUL-terminated buffer). */
void buf_append(struct buf *b, const char *data, size_t n);

/* A brig started in the background. */
struct brig_proc {
	pid_t pid;
	int status; /* raw wait status, valid once reaped */
	bool reaped;
	int in_fd, out_fd, err_fd; /* -1 once closed */
	const char *stdin_data;
	size_t stdin_off;
	struct buf out, err;
	long long start_ms, end_ms;
};

struct brig_result {
	int status; /* exit code; 128+N if brig died of signal N; -1 if never reaped */
	bool killed; /* the harness had to SIGKILL brig at the wall-clock limit */
	bool pipes_open; /* something still held brig's stdout/stderr after it ended */
	long long ms; /* wall time from start to reaping */
	char *out, *err; /* never NULL */
};

#define BRIG_ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* argv excludes argv[0]: BRIG_ARGS("run", "--", "/bin/true"). */
void brig_start(struct brig_proc *p, const struct brig_opts *o, const char *const argv[]);
/* Reads output until stdout contains needle; false on timeout or EOF. */
bool brig_wait_stdout(struct brig_proc *p, const char *needle, double limit_s);
/* Sends sig to brig and reaps it (for SIGKILL: the caller checks leftovers). */
void brig_kill_and_reap(struct brig_proc *p, int sig);
/* Reads everything, waits for exit (SIGKILL at the limit), fills r. */
void brig_finish(struct brig_proc *p, struct brig_result *r, double limit_s);
void brig_run(struct brig_result *r, const struct brig_opts *o, const char *const argv[]);

/* brig_run with default options: BRIG(&r, "run", "--", "/bin/true"). */
#define BRIG(r, ...) brig_run((r), NULL, BRIG_ARGS(__VA_ARGS__))

/* For assertion messages: RESULT_FMT with RESULT_ARGS(r). */
#define RESULT_FMT "\n-- brig exit status %d%s\n-- stdout:\n%s\n-- stderr:\n%s"
#define RESULT_ARGS(r) (r).status, (r).killed ? " (killed at the harness limit)" : "", (r).out, (r).err

/* ---- reading what the job printed -------------------------------------- */

/* Value of the first "key=value" line in text, or NULL. Caller frees. */
char *kv_get(const char *text, const char *key);
/* Number of "key=..." lines in text. */
size_t kv_count(const char *text, const char *key);
/* Number of lines in text ("a\nb\n" and "a\nb" are both 2). */
size_t line_count(const char *text);

/* The first line of JSON-lines text whose "event" is event, or NULL. */
char *json_event_line(const char *text, const char *event);
/* The value of key in a flat JSON object line: strings unquoted, other
 * tokens (numbers, null, true, false) as written; NULL if absent. */
char *json_value(const char *line, const char *key);

/* Standard output of `sh -c cmd` (never NULL); its wait status into
 * *status when status is not NULL. */
char *command_output(const char *cmd, int *status);

/* ---- host files and directories ---------------------------------------- */

/* A fresh directory under /var/tmp (not /tmp: the job's /tmp must stay
 * empty, and workspace mount points under it would show up there), mode
 * 0755, owned by harness_dir_owner(); removed at teardown. */
char *tmpdir_make(const char *tag);
/* Writes content to dir/name (mode 0644, owned like dir); returns the path. */
char *file_write(const char *dir, const char *name, const char *content, mode_t mode);
/* Whole file as a string, or NULL if it cannot be read. */
char *file_read(const char *path);
/* Removes path (recursively) at teardown. */
void harness_track(const char *path);
/* Recursive removal without following symlinks. */
void path_remove(const char *path);

/* ---- host state snapshots ---------------------------------------------- */

struct strset {
	char **v;
	size_t n;
};
void strset_free(struct strset *s);

/* Lines of /proc/self/mountinfo (the host's mount table, seen from here). */
void mounts_snapshot(struct strset *s);
/* "PID NSINODE CMDLINE" for every process whose command line contains
 * marker (excluding this test process). */
void procs_snapshot(struct strset *s, const char *marker);
/* Describes the first entry of a missing from b (and of b missing from a)
 * into out; returns true if the sets are equal. */
bool strset_diff(const struct strset *a, const struct strset *b, char *out, size_t len);

/* Inode of the pid namespace of pid (0 if it cannot be read). */
ino_t pidns_of(pid_t pid);
/* Pid namespaces, other than ours, of processes whose command line
 * contains marker: the job's namespace while it runs. */
size_t job_pidns(const char *marker, ino_t *out, size_t max);
/* Processes left: those with marker in their command line, and those in
 * any of the given pid namespaces. Writes a description of the first. */
size_t leftovers(const char *marker, const ino_t *ns, size_t n_ns, char *desc, size_t len);
/* Polls leftovers() for up to limit_ms; returns the final count. */
size_t leftovers_wait(const char *marker, const ino_t *ns, size_t n_ns, long limit_ms, char *desc, size_t len);

long long now_ms(void);

/* Every test file declares its suite with these fixtures. */
#define BRIG_SUITE(name) TestSuite(name, .init = harness_setup, .fini = harness_teardown, .timeout = 60)

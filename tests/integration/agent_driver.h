/* Running brig the way a CI agent does: a given environment only, a given
 * working directory, optionally on a pty, as the test user when the suite
 * runs rootless. Shared by the Buildkite and GitLab tests. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "harness.h"

/* What a test reads from a child: up to two descriptors (-1 once closed),
 * each into its buffer. The CI agents' one log and the GitHub hook's
 * stdout and stderr alike. */
struct agent_pump {
	int *fd[2];
	struct buf *buf[2];
	size_t n;
};
/* One poll for up to ms, reading what is there; false once all are closed. */
bool agent_pump_read(struct agent_pump *p, int ms);
/* Reads until watch contains needle; false on timeout or once all are closed. */
bool agent_pump_until(struct agent_pump *p, const struct buf *watch, const char *needle, double limit_s);
/* Reads while waiting for pid (SIGKILL at the limit), then to the end;
 * the exit code, 128+N for signal N. */
int agent_pump_reap(struct agent_pump *p, pid_t pid, double limit_s);

struct agent_proc {
	pid_t pid;
	int out; /* the pty master, or the read end of the stdout+stderr pipe */
	int status; /* exit code, 128+N for signal N; -1 until reaped */
	struct buf log;
};

/* Starts argv[0] (a path) with exactly env, in dir; with a pty as its
 * stdin, stdout, stderr and controlling terminal when pty, else /dev/null
 * and a pipe. The child leads its own session and process group, as the
 * agents start their jobs. */
void agent_start(struct agent_proc *p, char *const argv[], char *const env[], const char *dir, bool pty);
/* Reads the log until it contains needle; false on timeout or exit. */
bool agent_wait_log(struct agent_proc *p, const char *needle, double limit_s);
/* Reads the log and reaps the process (SIGKILL at the limit); status. */
int agent_finish(struct agent_proc *p, double limit_s);
/* Signals the process group, as both agents do on cancel. */
void agent_signal(struct agent_proc *p, int sig);

/* The cgroup v2 directory (host path) of the process pid, or NULL. */
char *agent_cgroup_of(pid_t pid);
/* The first line of the host's mount table that names path, or NULL
 * (compared by path, not as a whole table: other tests on the host may
 * mount and unmount meanwhile). */
char *agent_mount_under(const char *path);
/* A host process whose command line contains marker, or 0. */
pid_t agent_find_proc(const char *marker);
/* Splits a command line at blanks, as shellwords does for ones without
 * quotes (the tests' paths have no blanks). NULL-terminated, malloc'ed. */
char **agent_split(const char *line);

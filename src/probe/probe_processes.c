/* probe: which processes outside this job are visible and signalable,
 * whether something reaps orphans, and what the command lines and
 * environments of the others tell. "Outside" is every process that is not
 * this one, one of its ancestors, or in its session. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brig/lib/util.h"
#include "brig/probe/checks.h"
#include "brig/probe/verdict.h"

static pid_t parent_of(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	int pp = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "PPid: %d", &pp) == 1)
			break;
	return pp;
}

static bool is_ancestor(pid_t pid)
{
	for (pid_t p = getppid(); p > 0; p = parent_of(p))
		if (p == pid)
			return true;
	return false;
}

/* Calls fn for each outside process until it returns true. */
static size_t outside(bool (*fn)(pid_t, void *), void *data, pid_t *first)
{
	_cleanup_(closedirp) DIR *d = opendir("/proc");
	size_t n = 0;
	if (!d)
		return 0;
	pid_t self = getpid(), sid = getsid(0);
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (*end || v <= 0)
			continue;
		pid_t pid = (pid_t)v;
		if (pid == self || getsid(pid) == sid || is_ancestor(pid))
			continue;
		/* Kernel threads have no memory map; they are visible on any host. */
		if (getsid(pid) == 0)
			continue;
		n++;
		if (first && !*first)
			*first = pid;
		if (fn && fn(pid, data))
			break;
	}
	return n;
}

static void comm_of(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	FILE *f = fopen(path, "re");
	buf[0] = 0;
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}

void probe_processes_visible(struct probe_report *r)
{
	pid_t first = 0;
	size_t n = outside(NULL, NULL, &first);
	char comm[32];
	comm_of(first, comm, sizeof comm);
	if (n)
		probe_set(r, PROBE_EXPOSED, "%zu processes outside this job visible (e.g. %d %s)", n, first, comm);
	else
		probe_set(r, PROBE_BLOCKED, "only this job's processes are visible");
}

/* kill(pid, 0) checks permission and sends nothing. */
static bool signalable(pid_t pid, void *data)
{
	if (kill(pid, 0) == 0) {
		*(pid_t *)data = pid;
		return true;
	}
	return false;
}

void probe_processes_signal(struct probe_report *r)
{
	pid_t hit = 0, first = 0;
	size_t n = outside(signalable, &hit, &first);
	char comm[32];
	comm_of(hit, comm, sizeof comm);
	if (hit)
		probe_set(r, PROBE_EXPOSED, "kill(%d, 0) allowed (%s)", hit, comm);
	else if (n)
		probe_set(r, PROBE_BLOCKED, "%zu outside processes, none may be signalled", n);
	else
		probe_set(r, PROBE_BLOCKED, "no outside process to signal");
}

void probe_processes_reaper(struct probe_report *r)
{
	char comm[32];
	if (getpid() == 1) {
		probe_set(r, PROBE_EXPOSED, "the probe itself is PID 1: nothing reaps orphans");
		return;
	}
	comm_of(1, comm, sizeof comm);
	if (comm[0])
		probe_set(r, PROBE_BLOCKED, "PID 1 is %s", comm);
	else
		probe_set(r, PROBE_NA, "PID 1 not visible");
}

/* A /proc/PID file whole into buf (NUL-separated words); its length, or -1. */
static ssize_t proc_file(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	if (pid)
		snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
	else
		snprintf(path, sizeof path, "/proc/self/%s", name);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0)
			return -1;
		if (n == 0 || (got += (size_t)n) == len)
			break;
	}
	return (ssize_t)got;
}

#define PROC_TEXT_MAX (128 * 1024)

/* Every visible process but this one: what its file `name` tells beyond
 * this process's own (words of the command line but the program's name;
 * variables of the environment). */
static void tells_more(struct probe_report *r, const char *name, bool skip_first, const char *what)
{
	_cleanup_free_ char *ours = malloc(PROC_TEXT_MAX), *theirs = malloc(PROC_TEXT_MAX);
	_cleanup_(closedirp) DIR *d = opendir("/proc");
	if (!ours || !theirs || !d) {
		probe_set(r, PROBE_NA, "cannot read /proc: %s", probe_errno_name(errno));
		return;
	}
	ssize_t olen = proc_file(0, name, ours, PROC_TEXT_MAX);
	if (olen < 0)
		olen = 0;
	pid_t self = getpid();
	size_t seen = 0, readable = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (*end || v <= 0 || v == self)
			continue;
		seen++;
		ssize_t tlen = proc_file((pid_t)v, name, theirs, PROC_TEXT_MAX);
		if (tlen <= 0)
			continue;
		readable++;
		char first[64];
		size_t extra = probe_rule_extra_words(theirs, (size_t)tlen, ours, (size_t)olen, skip_first, first,
						      sizeof first);
		/* What a shell sets by itself tells nothing. */
		if (!skip_first && extra == 1 && strcspn(first, "=") == 3 && strncmp(first, "PWD", 3) == 0)
			extra = 0;
		if (extra) {
			char comm[32];
			comm_of((pid_t)v, comm, sizeof comm);
			/* A variable's name only, a word's start only: either may
			 * hold a secret. */
			char *eq = strchr(first, '=');
			if (!skip_first && eq)
				*eq = 0;
			else if (strlen(first) > 12)
				strcpy(first + 12, "...");
			probe_set(r, PROBE_EXPOSED, "/proc/%ld/%s (%s) tells %zu %s this process was not given (e.g. \"%s\")",
				  v, name, comm, extra, what, first);
			return;
		}
	}
	probe_set(r, PROBE_BLOCKED, "%zu other processes, %zu with a readable %s, none telling more than this one's own",
		  seen, readable, name);
}

/* PID 1 of a sandbox is often its own init with the caller's whole command
 * line (paths, options, values given with -e). */
void probe_processes_cmdline(struct probe_report *r)
{
	tells_more(r, "cmdline", true, "words");
}

void probe_processes_environ(struct probe_report *r)
{
	tells_more(r, "environ", false, "variables");
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * watch: what the watched calls (the hint on refusals for want of an id
 * mapping or a capability, src/seccomp/seccomp_watch.c) cost a job that
 * does not hit them. Both filters of the default policy are compiled as
 * brig compiles them, once without and once with the watch rules of a
 * job with `caps container-root` and 65536 ids; a child loads each and
 * times three loops: fork + execve of /bin/true, getppid, and fchown of
 * its own file to an id inside the range (each watch rule's comparisons
 * run, none matches). Rounds alternate between the two; the minimum of
 * each (the run least disturbed by the rest of the machine) and their
 * ratio are printed. `watch [ROUNDS]`, default 21.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "brig/config/config.h"
#include "brig/seccomp/seccomp.h"

enum { FORK_EXEC, GETPPID, FCHOWN, LOOPS };
static const char *const names[] = { "fork+exec /bin/true x300", "getppid x300000", "fchown x100000" };

static double elapsed_clock_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void loops(double out[LOOPS])
{
	double t = elapsed_clock_ms();
	for (int i = 0; i < 300; i++) {
		pid_t p = fork();
		if (p == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(p, NULL, 0);
	}
	out[FORK_EXEC] = elapsed_clock_ms() - t;
	t = elapsed_clock_ms();
	for (int i = 0; i < 300000; i++)
		syscall(SYS_getppid);
	out[GETPPID] = elapsed_clock_ms() - t;
	char path[] = "/tmp/brig-bench-watch.XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	t = elapsed_clock_ms();
	for (int i = 0; i < 100000; i++)
		syscall(SYS_fchown, fd, 1000, 1000);
	out[FCHOWN] = elapsed_clock_ms() - t;
	close(fd);
}

/* In a child: the filters, then the loops; the times come back by pipe. */
static int measure(const struct seccomp_program *prog, double out[LOOPS])
{
	int p[2];
	if (pipe(p) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid == 0) {
		int listener;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load_job(prog, &listener) < 0)
			_exit(1);
		close(listener);
		double t[LOOPS];
		loops(t);
		_exit(write(p[1], t, sizeof t) == (ssize_t)sizeof t ? 0 : 1);
	}
	close(p[1]);
	ssize_t n = read(p[0], out, sizeof(double) * LOOPS);
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	return n == (ssize_t)(sizeof(double) * LOOPS) && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static int compile(bool watch, struct seccomp_program *prog)
{
	struct brig_config c;
	struct seccomp_policy p = { 0 };
	config_init(&c);
	c.seccomp = strdup("default");
	int fd, r = seccomp_policy_load(&c, &p, NULL);
	if (r >= 0 && watch) {
		struct seccomp_watch w = { .id_count = 65536, .uid_base = 100000, .gid_base = 100000 };
		r = seccomp_policy_watch(&p, &w);
	}
	if (r >= 0 && (r = seccomp_compile(&p, &fd)) >= 0) {
		r = seccomp_program_read(fd, prog);
		close(fd);
	}
	seccomp_policy_free(&p);
	config_free(&c);
	return r;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 21;
	struct seccomp_program prog[2];
	double best[2][LOOPS];
	for (int v = 0; v < 2; v++) {
		if (compile(v == 1, &prog[v]) < 0) {
			fprintf(stderr, "watch: cannot compile the policy\n");
			return 1;
		}
		for (int l = 0; l < LOOPS; l++)
			best[v][l] = 1e300;
	}
	printf("filter length: %u instructions without the watch rules, %u with\n", prog[0].refusals.len,
	       prog[1].refusals.len);
	for (int i = 0; i < rounds; i++)
		for (int v = 0; v < 2; v++) {
			double t[LOOPS];
			if (measure(&prog[v], t) < 0) {
				fprintf(stderr, "watch: a measuring child failed\n");
				return 1;
			}
			for (int l = 0; l < LOOPS; l++)
				if (t[l] < best[v][l])
					best[v][l] = t[l];
		}
	for (int l = 0; l < LOOPS; l++)
		printf("%-28s without %8.1f ms, with %8.1f ms: %.3fx (minimum of %d rounds each)\n", names[l], best[0][l],
		       best[1][l], best[1][l] / best[0][l], rounds);
	for (int v = 0; v < 2; v++)
		seccomp_program_free(&prog[v]);
	return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * launch: a small start-up latency benchmark driver.
 *
 *   launch [-n ROUNDS] [-w WARMUP] [-s SEP] [-r RAWFILE] \
 *          NAME -- COMMAND [ARG...] [SEP NAME -- COMMAND [ARG...]]...
 *
 * Each NAME -- COMMAND... group is one contender; groups are separated by a
 * lone SEP argument (default ";", so quote it in a shell: \; or ';').  Only
 * the first "--" of a group separates the name from the command, so commands
 * may contain "--" themselves (brig run -- /bin/true).
 *
 * The contenders run interleaved: round r runs every command once, starting
 * with command (r mod K) and wrapping around, so each command goes first
 * equally often and slow drift of the machine (other tenants, frequency
 * scaling, page cache) is spread over all of them rather than hitting one
 * block of runs.  Each run is timed from just before fork() to just after
 * waitpid() returns with CLOCK_MONOTONIC; stdin, stdout and stderr of the
 * command are /dev/null.  Any run that does not exit 0 aborts the benchmark
 * with exit status 1, after re-running the command once with its output
 * visible so the reason is on the terminal.
 *
 * Output, per command: median, p10, p90 (ms), the ratio of its median to the
 * first command's median, and the median over rounds of the paired ratio
 * t(cmd, r) / t(first, r), which cancels noise that hits both runs of a round.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct cmd {
	const char *name;
	char **argv;       /* NULL-terminated, points into main's argv */
	double *ms;        /* one sample per measured round */
};

static const char *prog = "launch";
static struct cmd *cmds;    /* file-static: stays reachable on early exits */
static long warmup = 5;
static int report_fd = -1;  /* close-on-exec dup of the real stderr */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-n ROUNDS] [-w WARMUP] [-s SEP] [-r RAWFILE]\n"
		"          NAME -- COMMAND [ARG...] [SEP NAME -- COMMAND [ARG...]]...\n"
		"\n"
		"Runs the commands interleaved (rotated order each round), times each\n"
		"fork+exec+wait and prints median, p10, p90 and ratios to the first\n"
		"command.  Any non-zero exit aborts with status 1.\n"
		"\n"
		"  -n ROUNDS   measured rounds (default 200)\n"
		"  -w WARMUP   unmeasured warm-up rounds first (default 5)\n"
		"  -s SEP      command separator argument (default \";\")\n"
		"  -r RAWFILE  also write every sample as CSV: round,name,ms\n"
		"  -h          this help\n"
		"\n"
		"example:\n"
		"  %s -n 100 true -- /bin/true \\; sh -- /bin/sh -c true\n",
		prog, prog);
}

static long parse_count(const char *s, const char *what, long min)
{
	char *end = NULL;
	long v = 0;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > 10000000) {
		fprintf(stderr, "%s: invalid %s: '%s'\n", prog, what, s);
		exit(2);
	}
	return v;
}

static double now_ms(void)
{
	struct timespec ts = {0};

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
		perror("clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The child: quiet stdio unless asked otherwise, then exec.  On exec failure
 * it says so on the saved stderr (the real one is /dev/null by now). */
static void child_exec(const struct cmd *c, int devnull, int quiet)
{
	if (devnull >= 0) {
		if (dup2(devnull, STDIN_FILENO) < 0)
			_exit(127);
		if (quiet && (dup2(devnull, STDOUT_FILENO) < 0 ||
			      dup2(devnull, STDERR_FILENO) < 0))
			_exit(127);
	}
	execvp(c->argv[0], c->argv);
	if (report_fd >= 0)
		dprintf(report_fd, "%s: %s: cannot execute %s: %s\n", prog,
			c->name, c->argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* One fork+exec+wait.  Returns the wait status; *ms gets the elapsed time. */
static int run_once(const struct cmd *c, int devnull, int quiet, double *ms)
{
	double t0 = 0, t1 = 0;
	pid_t pid = -1, w = -1;
	int status = 0;

	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
		exit(1);
	}
	if (pid == 0)
		child_exec(c, devnull, quiet);
	do
		w = waitpid(pid, &status, 0);
	while (w < 0 && errno == EINTR);
	t1 = now_ms();
	if (w < 0) {
		fprintf(stderr, "%s: waitpid: %s\n", prog, strerror(errno));
		exit(1);
	}
	*ms = t1 - t0;
	return status;
}

static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status 0x%x", status);
}

static void print_argv(FILE *f, char **argv)
{
	for (char **a = argv; *a; a++)
		fprintf(f, "%s%s", a == argv ? "" : " ", *a);
}

static void fail(const struct cmd *c, long round, int status, int devnull)
{
	char why[128] = "";
	double ignored = 0;

	describe_status(status, why, sizeof(why));
	if (round < 0)
		fprintf(stderr, "%s: FAILED: %s %s in warm-up round %ld of %ld\n",
			prog, c->name, why, round + warmup + 1, warmup);
	else
		fprintf(stderr, "%s: FAILED: %s %s in round %ld\n", prog,
			c->name, why, round + 1);
	fprintf(stderr, "%s: command: ", prog);
	print_argv(stderr, c->argv);
	fprintf(stderr, "\n%s: re-running it once with output visible:\n", prog);
	fflush(stderr);
	status = run_once(c, devnull, 0, &ignored);
	describe_status(status, why, sizeof(why));
	fprintf(stderr, "%s: re-run %s\n", prog, why);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Percentile by linear interpolation between closest ranks (the common
 * "type 7" definition; p50 of an even count is the mean of the middle two). */
static double percentile(const double *sorted, long n, double p)
{
	double pos = p * (double)(n - 1);
	long lo = (long)pos;
	double frac = pos - (double)lo;

	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

static double *sorted_copy(const double *v, long n)
{
	double *s = malloc(sizeof(*s) * (size_t)n);

	if (!s) {
		perror("malloc");
		exit(1);
	}
	memcpy(s, v, sizeof(*s) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return s;
}

int main(int argc, char **argv)
{
	long rounds = 200;
	const char *sep = ";", *rawpath = NULL;
	long ncmds = 0;
	int devnull = -1, opt = 0, namew = 4;
	double *tmp = NULL, base_median = 0;

	if (argv[0] && argv[0][0])
		prog = argv[0];

	/* "+": stop at the first non-option, which is the first NAME. */
	while ((opt = getopt(argc, argv, "+n:w:s:r:h")) != -1) {
		switch (opt) {
		case 'n': rounds = parse_count(optarg, "round count", 1); break;
		case 'w': warmup = parse_count(optarg, "warm-up count", 0); break;
		case 's': sep = optarg; break;
		case 'r': rawpath = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}

	/* Split NAME -- ARGV... [SEP ...] in place: each SEP becomes the NULL
	 * that terminates the previous command's argv. */
	cmds = calloc((size_t)(argc + 1), sizeof(*cmds));
	if (!cmds) {
		perror("calloc");
		return 1;
	}
	for (int i = optind; i < argc;) {
		struct cmd *c = &cmds[ncmds];
		int j = 0;

		if (strcmp(argv[i], sep) == 0 || strcmp(argv[i], "--") == 0) {
			fprintf(stderr, "%s: expected a command NAME, got '%s'\n",
				prog, argv[i]);
			usage(stderr);
			return 2;
		}
		c->name = argv[i];
		if (i + 1 >= argc || strcmp(argv[i + 1], "--") != 0) {
			fprintf(stderr, "%s: expected '--' after name '%s'\n",
				prog, c->name);
			usage(stderr);
			return 2;
		}
		c->argv = &argv[i + 2];
		for (j = i + 2; j < argc && strcmp(argv[j], sep) != 0; j++)
			;
		if (j == i + 2) {
			fprintf(stderr, "%s: '%s' has an empty command\n",
				prog, c->name);
			return 2;
		}
		argv[j < argc ? j : argc] = NULL;  /* argv[argc] is NULL already */
		for (long k = 0; k < ncmds; k++)
			if (strcmp(cmds[k].name, c->name) == 0) {
				fprintf(stderr, "%s: duplicate name '%s'\n",
					prog, c->name);
				return 2;
			}
		if ((int)strlen(c->name) > namew)
			namew = (int)strlen(c->name);
		ncmds++;
		i = j + 1;
	}
	if (ncmds == 0) {
		usage(stderr);
		return 2;
	}

	for (long k = 0; k < ncmds; k++) {
		cmds[k].ms = calloc((size_t)rounds, sizeof(double));
		if (!cmds[k].ms) {
			perror("calloc");
			return 1;
		}
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		perror("/dev/null");
		return 1;
	}
	report_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);

	/* Round r (warm-up rounds count from -warmup) starts at command r mod K. */
	for (long r = -warmup; r < rounds; r++) {
		long first = ((r % ncmds) + ncmds) % ncmds;

		for (long i = 0; i < ncmds; i++) {
			struct cmd *c = &cmds[(first + i) % ncmds];
			double ms = 0;
			int status = run_once(c, devnull, 1, &ms);

			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				fail(c, r, status, devnull);
			if (r >= 0)
				c->ms[r] = ms;
		}
	}

	if (rawpath) {
		FILE *f = fopen(rawpath, "w");

		if (!f) {
			fprintf(stderr, "%s: %s: %s\n", prog, rawpath,
				strerror(errno));
			return 1;
		}
		fprintf(f, "round,name,ms\n");
		for (long r = 0; r < rounds; r++)
			for (long k = 0; k < ncmds; k++)
				fprintf(f, "%ld,%s,%.6f\n", r, cmds[k].name,
					cmds[k].ms[r]);
		if (fclose(f) != 0) {
			fprintf(stderr, "%s: %s: write failed\n", prog, rawpath);
			return 1;
		}
	}

	printf("%ld rounds (+%ld warm-up) x %ld commands, interleaved, "
	       "rotated order; times in ms per fork+exec+wait\n",
	       rounds, warmup, ncmds);
	printf("ratios are relative to '%s' (median ratio = median of "
	       "per-round t(cmd)/t(%s))\n\n", cmds[0].name, cmds[0].name);
	printf("%-*s  %9s  %9s  %9s  %9s  %12s\n", namew, "name", "median",
	       "p10", "p90", "ratio", "median ratio");

	tmp = calloc((size_t)rounds, sizeof(double));
	if (!tmp) {
		perror("calloc");
		return 1;
	}
	for (long k = 0; k < ncmds; k++) {
		double *s = sorted_copy(cmds[k].ms, rounds);
		double med = percentile(s, rounds, 0.5);
		double *pr = NULL;

		if (k == 0)
			base_median = med;
		printf("%-*s  %9.3f  %9.3f  %9.3f  %8.3fx", namew,
		       cmds[k].name, med, percentile(s, rounds, 0.1),
		       percentile(s, rounds, 0.9),
		       base_median > 0 ? med / base_median : 0.0);
		if (k == 0) {
			printf("  %12s\n", "(baseline)");
		} else {
			for (long r = 0; r < rounds; r++)
				tmp[r] = cmds[0].ms[r] > 0 ?
					cmds[k].ms[r] / cmds[0].ms[r] : 0.0;
			pr = sorted_copy(tmp, rounds);
			printf("  %11.3fx\n", percentile(pr, rounds, 0.5));
			free(pr);
		}
		free(s);
	}
	printf("\ncommands:\n");
	for (long k = 0; k < ncmds; k++) {
		printf("  %-*s  ", namew, cmds[k].name);
		print_argv(stdout, cmds[k].argv);
		printf("\n");
	}

	free(tmp);
	for (long k = 0; k < ncmds; k++)
		free(cmds[k].ms);
	free(cmds);
	close(devnull);
	return 0;
}

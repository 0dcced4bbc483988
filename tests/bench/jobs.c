/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jobs: a throughput benchmark driver.
 *
 *   jobs [-n JOBS] [-j PARALLEL] [-r ROUNDS] [-s SEP] \
 *        NAME -- COMMAND [ARG...] [SEP NAME -- COMMAND [ARG...]]...
 *
 * Each round runs JOBS (default 200) copies of every contender's command,
 * PARALLEL (default 8) at a time, contender after contender, starting with
 * contender (round mod K) so that each goes first equally often. A batch is
 * timed from its first fork to its last job's exit; its figure is jobs per
 * second. Stdio of the jobs is /dev/null. Any job that does not exit 0
 * fails the benchmark (exit status 1).
 *
 * The driver is a child subreaper: whatever a job leaves running after its
 * own process exits (a janitor, a helper, a daemon) becomes the driver's
 * child. A batch ends when the last of them is gone (their exits are part
 * of its time); one that still runs SETTLE_MS after the batch's last job
 * fails the benchmark, named. So "no process left behind" is checked for
 * exactly the jobs the driver started, whatever else runs on the machine.
 *
 * Output: jobs/s per round and contender, the median per contender, and
 * the median over rounds of the paired ratio rate(first) / rate(cmd).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SETTLE_MS 5000

struct cmd {
	const char *name;
	char **argv;
	double *rate;
};

static const char *prog = "jobs";

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static pid_t start(const struct cmd *c, int devnull)
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0)
			_exit(127);
		execvp(c->argv[0], c->argv);
		_exit(127);
	}
	return pid;
}

static int is_ours(const pid_t *live, long n, pid_t pid)
{
	for (long i = 0; i < n; i++)
		if (live[i] == pid)
			return (int)i;
	return -1;
}

/* Names a child of ours that still runs, and ends it. */
static void name_child(pid_t pid)
{
	char path[64], comm[64] = "?";
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "re");
	if (f && fgets(comm, sizeof comm, f))
		comm[strcspn(comm, "\n")] = '\0';
	if (f)
		fclose(f);
	fprintf(stderr, "\n%s: left behind: process %d (%s)\n", prog, (int)pid, comm);
	kill(pid, SIGKILL);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* After a batch's last job: every process the jobs left to us exits
 * within SETTLE_MS, or the benchmark fails naming them. Their exits are
 * part of the batch's time. Returns how many there were. */
static long settle(void)
{
	long adopted = 0;
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: the wait ends */
	struct itimerval t = { .it_value = { .tv_sec = SETTLE_MS / 1000, .tv_usec = SETTLE_MS % 1000 * 1000 } };
	setitimer(ITIMER_REAL, &t, NULL);
	for (;;) {
		pid_t w = waitpid(-1, NULL, 0);
		if (w > 0) {
			adopted++;
			continue;
		}
		if (errno == ECHILD)
			break;
		if (errno != EINTR) {
			fprintf(stderr, "%s: waitpid: %s\n", prog, strerror(errno));
			exit(1);
		}
		char path[64], buf[4096];
		snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
		FILE *f = fopen(path, "re");
		if (f && fgets(buf, sizeof buf, f))
			for (char *s = strtok(buf, " \n"); s; s = strtok(NULL, " \n"))
				name_child((pid_t)atoi(s));
		if (f)
			fclose(f);
		exit(1);
	}
	struct itimerval off = { 0 };
	setitimer(ITIMER_REAL, &off, NULL);
	return adopted;
}

/* One batch: n jobs, p at a time, until the last process they made is
 * gone; returns jobs per second. */
static double batch(const struct cmd *c, long n, long p, int devnull, long *adopted)
{
	pid_t *live = calloc((size_t)p, sizeof *live);
	long started = 0, done = 0, running = 0;
	if (!live) {
		perror("calloc");
		exit(1);
	}
	double t0 = now_ms();
	while (done < n) {
		while (running < p && started < n) {
			live[running++] = start(c, devnull);
			started++;
		}
		int status;
		pid_t w = waitpid(-1, &status, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: waitpid: %s\n", prog, strerror(errno));
			exit(1);
		}
		int i = is_ours(live, running, w);
		if (i < 0) {
			(*adopted)++;
			continue;
		}
		live[i] = live[--running];
		done++;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "%s: FAILED: a job of %s ended with wait status 0x%x\n", prog, c->name, status);
			exit(1);
		}
	}
	*adopted += settle();
	double ms = now_ms() - t0;
	free(live);
	return (double)n / (ms / 1e3);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, long n)
{
	double *s = malloc(sizeof *s * (size_t)n);
	if (!s) {
		perror("malloc");
		exit(1);
	}
	memcpy(s, v, sizeof *s * (size_t)n);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

static long count(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 1 || v > 1000000) {
		fprintf(stderr, "%s: invalid %s: '%s'\n", prog, what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long n = 200, p = 8, rounds = 3, ncmds = 0;
	const char *sep = ";";
	int opt;
	while ((opt = getopt(argc, argv, "+n:j:r:s:")) != -1) {
		switch (opt) {
		case 'n': n = count(optarg, "job count"); break;
		case 'j': p = count(optarg, "parallel count"); break;
		case 'r': rounds = count(optarg, "round count"); break;
		case 's': sep = optarg; break;
		default:
			fprintf(stderr, "usage: %s [-n JOBS] [-j PARALLEL] [-r ROUNDS] [-s SEP] NAME -- CMD... [SEP ...]\n",
				prog);
			return 2;
		}
	}
	struct cmd *cmds = calloc((size_t)argc + 1, sizeof *cmds);
	if (!cmds) {
		perror("calloc");
		return 1;
	}
	for (int i = optind; i < argc;) {
		struct cmd *c = &cmds[ncmds++];
		if (i + 2 >= argc || strcmp(argv[i + 1], "--") != 0) {
			fprintf(stderr, "%s: expected NAME -- COMMAND at '%s'\n", prog, argv[i]);
			return 2;
		}
		c->name = argv[i];
		c->argv = &argv[i + 2];
		int j = i + 2;
		while (j < argc && strcmp(argv[j], sep) != 0)
			j++;
		argv[j < argc ? j : argc] = NULL;
		c->rate = calloc((size_t)rounds, sizeof *c->rate);
		if (!c->rate) {
			perror("calloc");
			return 1;
		}
		i = j + 1;
	}
	if (ncmds == 0) {
		fprintf(stderr, "%s: no command\n", prog);
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		fprintf(stderr, "%s: cannot become a subreaper: %s\n", prog, strerror(errno));
		return 1;
	}
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0) {
		perror("/dev/null");
		return 1;
	}
	long adopted = 0;
	for (long r = 0; r < rounds; r++) {
		printf("round %ld:", r + 1);
		for (long i = 0; i < ncmds; i++) {
			struct cmd *c = &cmds[(r + i) % ncmds];
			c->rate[r] = batch(c, n, p, devnull, &adopted);
			printf(" %s %.1f", c->name, c->rate[r]);
			fflush(stdout);
		}
		printf(" jobs/s\n");
	}
	printf("%ld jobs, %ld at a time, %ld rounds; every job exited 0; processes the jobs left that exited after "
	       "them: %ld, still running: 0\n",
	       n, p, rounds, adopted);
	double *ratio = calloc((size_t)rounds, sizeof *ratio);
	if (!ratio) {
		perror("calloc");
		return 1;
	}
	for (long i = 0; i < ncmds; i++) {
		printf("%-8s median %.1f jobs/s", cmds[i].name, median(cmds[i].rate, rounds));
		if (i > 0) {
			for (long r = 0; r < rounds; r++)
				ratio[r] = cmds[0].rate[r] / cmds[i].rate[r];
			printf(", paired ratio %s/%s %.3fx (jobs/s; above 1: %s does more)", cmds[0].name, cmds[i].name,
			       median(ratio, rounds), cmds[0].name);
		}
		printf("\n");
	}
	free(ratio);
	for (long i = 0; i < ncmds; i++)
		free(cmds[i].rate);
	free(cmds);
	close(devnull);
	return 0;
}

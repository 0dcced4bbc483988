/* PID 1 of the job's PID namespace. When it exits, the kernel kills every
 * process left in the namespace, so a job's daemons never outlive it. */
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/lib/timings.h"
#include "brig/run/init.h"
#include "brig/run/proctitle.h"
#include "brig/run/sync.h"
#include "brig/lib/util.h"

const int init_forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, 0 };

/* Reaps everything that has ended; true once the job itself has. */
static bool reap(pid_t job, int *job_status)
{
	bool done = false;
	for (;;) {
		int st = 0;
		pid_t p = waitpid(-1, &st, WNOHANG);
		if (p <= 0)
			return done;
		if (p == job) {
			*job_status = st;
			done = true;
		}
	}
}

int init_supervise(pid_t job, int sync_fd, uint64_t *reaped)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (const int *s = init_forwarded_signals; *s; s++)
		sigaddset(&set, *s);
	sigprocmask(SIG_BLOCK, &set, NULL);
	_cleanup_close_ int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	int status = 0;
	/* The job reads /proc/1/cmdline: the caller's arguments are not its. */
	proctitle_set("brig-init");

	while (!reap(job, &status)) {
		struct signalfd_siginfo si;
		ssize_t n = sfd >= 0 ? read(sfd, &si, sizeof si) : -1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof si) {
			/* Without a signalfd, fall back to blocking waits. */
			int st = 0;
			if (waitpid(-1, &st, 0) == job) {
				status = st;
				break;
			}
			continue;
		}
		if (si.ssi_signo == SIGCHLD)
			continue;
		/* The job leads its own session and process group; a job that
		 * has already gone leaves its group to take the signal. */
		if (kill(-job, (int)si.ssi_signo) < 0)
			kill(job, (int)si.ssi_signo);
	}
	*reaped = timings_now();
	sync_send(sync_fd, SYNC_FINAL, 0, status, NULL);
	return status;
}

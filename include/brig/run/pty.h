/* The job's own terminal: a pseudo-terminal from the sandbox's devpts
 * instance, relayed by the supervisor to the terminal brig runs on. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

#include "brig/config/config.h"

/* Supervisor: whether this job gets a terminal (auto: brig's stdin and
 * stdout are both terminals, as under an agent that runs it on a pty). */
bool pty_wanted(const struct brig_config *c);

/* Init, inside the sandbox after its /dev is mounted: opens a new master
 * on the sandbox's /dev/ptmx, sized like brig's own terminal when there is
 * one. The master is close-on-exec. -errno. */
int pty_open(int *master);
/* The job, right after setsid: the master's peer becomes its controlling
 * terminal and its stdin, stdout and stderr. -errno. */
int pty_attach(int master);

/* Supervisor: copies bytes between brig's stdin/stdout and the master,
 * and window-size changes (SIGWINCH), in a thread of its own; the outer
 * terminal is put in raw mode so that keys reach the job's line
 * discipline untouched. Takes ownership of master. */
struct pty_relay {
	int master, stop; /* stop: an eventfd */
	bool running, raw;
	struct termios saved;
	pthread_t thread;
};
#define PTY_RELAY_INIT { .master = -1, .stop = -1 }
int pty_relay_start(struct pty_relay *p, int master);
/* After the job's init has exited: relays what the job wrote last, stops
 * the thread and gives the outer terminal its settings back. Idempotent. */
void pty_relay_finish(struct pty_relay *p);

/* The caller's terminal settings, taken before the relay makes it raw and
 * before the janitor forks, so that a janitor whose supervisor was killed
 * (SIGKILL runs no code) gives the terminal back: a descriptor of it and
 * its settings. fd is -1 when there is no terminal to guard. */
struct pty_guard {
	int fd;
	struct termios saved;
};
#define PTY_GUARD_INIT { .fd = -1 }
void pty_guard_take(struct pty_guard *g, bool pty);
void pty_guard_restore(const struct pty_guard *g);
void pty_guard_release(struct pty_guard *g);

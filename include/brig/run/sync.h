/* Messages between the supervisor, the sandbox's init and the job, over
 * SOCK_SEQPACKET socketpairs: one message per send, EOF when the last
 * holder of the other end is gone (for the job: when execve succeeded). */
#pragma once
#include <stdbool.h>

#include "brig/lib/err.h"

enum sync_type {
	SYNC_GO = 1,       /* supervisor -> init: identity maps written, carry on */
	SYNC_SETUP_FAILED, /* init -> supervisor: err + text; nothing of the job ran */
	SYNC_EXEC_FAILED,  /* job -> supervisor: execve failed; err + text */
	SYNC_FINAL,        /* init -> supervisor: the job's wait status */
	SYNC_LISTENER,     /* job -> supervisor: the seccomp listener, as SCM_RIGHTS */
	SYNC_SECCOMP,      /* supervisor -> init: the compiled filters' memfd, or none */
	SYNC_PTY,          /* init -> supervisor: the master of the job's terminal */
};

struct sync_msg {
	int type;
	int err;
	int status;
	int pid;
	char text[240];
	int fd; /* received with the message (SCM_RIGHTS), else -1; not on the wire */
};

int sync_send(int fd, enum sync_type type, int err, int status, const char *text);
/* SYNC_SETUP_FAILED with the error's errno and line (brig/lib/err.h). */
int sync_send_err(int fd, const struct brig_err *e);
/* Sends a message of type with fd attached (none when passed < 0). */
int sync_send_fd(int fd, enum sync_type type, int passed);
/* 1: a message was read; 0: EOF; -errno on error. A passed fd arrives
 * close-on-exec in msg->fd; the caller owns it. */
int sync_recv(int fd, struct sync_msg *msg);

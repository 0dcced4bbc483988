/* brig's init: PID 1 while the job runs. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

/* Reaps every process that ends in the namespace, forwards the usual
 * termination signals to the job's process group, and when the job itself
 * ends reports its wait status on sync_fd and returns it. The signals it
 * handles must already be blocked. *reaped: when the job was reaped
 * (CLOCK_MONOTONIC ns), for the timing record. */
int init_supervise(pid_t job, int sync_fd, uint64_t *reaped);

/* The signals brig forwards: blocked in the supervisor and in init,
 * unblocked in the job before execve. */
extern const int init_forwarded_signals[];

/* What the CI drivers share: reading a job's end from brig's status
 * events, and the host directories a driver keeps between its calls. */
#pragma once
#include <sys/types.h>

/* The job's exit status from the `exited` event in the status events
 * read from fd (from its start): the job's own code, 128 + N after signal
 * N, 124 after brig's time limit; -1 when there is none (brig failed
 * before or while setting the sandbox up). */
int ci_job_code(int fd);

/* mkdir that accepts an existing directory (never a link to one). */
int ci_mkdir_one(const char *path, mode_t mode);
/* mkdir -p: every missing component with mode. */
int ci_mkdir_parents(const char *path, mode_t mode);

/* What the job sees of its PID 1's command line. */
#pragma once

/* Replaces this process's command line, as /proc/PID/cmdline shows it,
 * with title, and blanks its environment block: PID 1 of a job is a copy
 * of the supervisor, whose arguments (paths, --status-file names, -e
 * NAME=VALUE values) and environment are the caller's, not the job's.
 * The memory is the process's own copy. Returns 0 or -errno. */
int proctitle_set(const char *title);

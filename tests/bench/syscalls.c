/* SPDX-License-Identifier: Apache-2.0 */
/*
 * syscalls: a system-call-heavy loop for measuring what a seccomp filter
 * costs. `syscalls [N]` makes N getppid calls (default 10 000 000), then
 * N/100 rounds of stat, open and close on a file it creates in the current
 * directory's /tmp-like scratch (argument 2, default /tmp). Exits 0.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000000L;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char path[4096];
	struct stat st;

	for (long i = 0; i < n; i++)
		/* Not the libc wrapper, which some libcs cache. */
		syscall(SYS_getppid);
	snprintf(path, sizeof path, "%s/syscalls-bench.%d", dir, (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	close(fd);
	for (long i = 0; i < n / 100; i++) {
		if (stat(path, &st) < 0 || (fd = open(path, O_RDONLY)) < 0) {
			perror(path);
			return 1;
		}
		close(fd);
	}
	unlink(path);
	return 0;
}

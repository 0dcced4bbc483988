/* deny-flood N: N mount(2) calls, each refused by brig's policy, then its
 * own CPU time on stdout as cpu_ms=U+S. For the cost of refusals: what the
 * supervisor spends on them, and that the job's output, status and memory
 * stay bounded. Exits 0 when every call was refused. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000L, refused = 0;
	for (long i = 0; i < n; i++)
		if (syscall(SYS_mount, "none", "/", "tmpfs", 0UL, NULL) < 0 && errno != ENOSYS)
			refused++;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("refused=%ld\ncpu_ms=%.0f\n", refused,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
	return refused == n ? 0 : 1;
}

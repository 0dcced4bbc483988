/* tiocsti: tries to push one keystroke into the terminal on stdin, the
 * classic escape from a sandbox that shares the caller's tty.
 * Prints "tty=0|1" (so a test can tell a real attempt from a missing tty)
 * then "tiocsti=OK" or "tiocsti=<errno name>". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	char c = '#';
	printf("tty=%d\n", isatty(0));
	if (ioctl(0, TIOCSTI, &c) == 0) {
		printf("tiocsti=OK\n");
	} else {
		const char *name = strerrorname_np(errno);
		printf("tiocsti=%s\n", name ? name : "EUNKNOWN");
	}
	return 0;
}

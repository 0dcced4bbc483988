/* list-fds [N]: prints "fd=<n>" for every open file descriptor of this
 * process (its own directory stream excluded); with N, then reads fd N and
 * prints "read=<first line>" or "read=<errno name>". */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		perror("list-fds: /proc/self/fd");
		return 1;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			printf("fd=%s\n", e->d_name);
	closedir(d);

	if (argc > 1) {
		char buf[256] = "";
		ssize_t n = read(atoi(argv[1]), buf, sizeof buf - 1);
		if (n < 0) {
			const char *name = strerrorname_np(errno);
			printf("read=%s\n", name ? name : "EUNKNOWN");
		} else {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			printf("read=%s\n", buf);
		}
	}
	return 0;
}

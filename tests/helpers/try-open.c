/* try-open PATH MODE: what the calling process may do with PATH.
 *
 * MODE  r  open read-only and read once: prints "OK <bytes read>"
 *       w  open write-only, write nothing: prints "OK <file type>"
 *       c  create a new file (O_EXCL): prints "OK"
 * On failure prints the errno name ("EROFS"), so tests compare exact
 * names instead of locale-dependent messages. Always exits 0 after a
 * well-formed call, so a shell job can run several in a row. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *type_name(mode_t m)
{
	return S_ISREG(m) ? "reg" : S_ISCHR(m) ? "chr" : S_ISDIR(m) ? "dir" : "other";
}

static int fail(void)
{
	const char *name = strerrorname_np(errno);
	printf("%s\n", name ? name : "EUNKNOWN");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 || strlen(argv[2]) != 1 || !strchr("rwc", argv[2][0])) {
		fprintf(stderr, "usage: try-open PATH r|w|c\n");
		return 2;
	}
	const char *path = argv[1];
	switch (argv[2][0]) {
	case 'r': {
		char buf[65536];
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail();
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0)
			return fail();
		printf("OK %zd\n", n);
		return 0;
	}
	case 'w': {
		struct stat st;
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return fail();
		printf("OK %s\n", type_name(st.st_mode));
		return 0;
	}
	default:
		if (open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) < 0)
			return fail();
		printf("OK\n");
		return 0;
	}
}

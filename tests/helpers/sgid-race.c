/* sgid-race MS: for MS milliseconds, one thread swaps a directory "d" and
 * a file "f" of the current directory back and forth (renameat2 with
 * RENAME_EXCHANGE), while the main thread asks for the set-group-ID bit on
 * whatever "d" names at that moment, with chmod, fchmodat and fchmod of a
 * descriptor another thread swaps too. A check of the name's type made
 * before the change, and a change made by name after it, would sooner or
 * later mark the file. Prints the number of attempts and granted changes,
 * then "file_sgid=yes" if the file was ever seen with the bit, else "no". */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static int fd_slot = -1; /* a descriptor number the swapper reuses */

static void *swapper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		syscall(SYS_renameat2, AT_FDCWD, "d", AT_FDCWD, "f", 2 /* RENAME_EXCHANGE */);
		/* The descriptor number now names the other one. */
		int other = open(rand() & 1 ? "d" : "f", O_RDONLY | O_CLOEXEC);
		if (other >= 0) {
			dup2(other, fd_slot);
			close(other);
		}
	}
	return NULL;
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	if (mkdir("d", 0755) < 0 && errno != EEXIST)
		return perror("mkdir d"), 2;
	int f = open("f", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (f < 0)
		return perror("f"), 2;
	close(f);
	fd_slot = open("d", O_RDONLY | O_CLOEXEC);
	if (fd_slot < 0)
		return perror("d"), 2;
	pthread_t t;
	if (pthread_create(&t, NULL, swapper, NULL) != 0)
		return 2;
	long tries = 0, granted = 0, marked = 0;
	for (long long end = now_ms() + ms; now_ms() < end; tries += 3) {
		granted += syscall(SYS_chmod, "d", 02755) == 0;
		granted += syscall(SYS_fchmodat, AT_FDCWD, "d", 02755) == 0;
		granted += syscall(SYS_fchmod, fd_slot, 02755) == 0;
		/* Only these calls set the bit, and only the reset below
		 * clears it: a marked file is seen here if it ever was. */
		struct stat st;
		static const char *const names[] = { "d", "f" };
		for (int i = 0; i < 2; i++)
			if (lstat(names[i], &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_ISGID))
				marked++;
		syscall(SYS_chmod, "d", 0755);
		syscall(SYS_chmod, "f", 0755);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("tries=%ld\ngranted=%ld\nfile_sgid=%s\n", tries, granted, marked ? "yes" : "no");
	return 0;
}

/* The floor of a sandbox's start-up on this machine: what the kernel
 * charges for the isolation brig and bubblewrap both ask for, with nothing
 * else. clone3 into new user, mount, pid, uts, ipc, net and cgroup
 * namespaces, the parent writes the id maps, the child execs the command,
 * the parent waits. No mounts, no filter, no cgroup, no libraries (built
 * static): no sandbox that isolates this much can start faster, so its
 * time against bwrap's bounds from below any ratio a sandbox can reach.
 *
 * usage: floor COMMAND [ARG...] */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: floor COMMAND [ARG...]\n");
		return 2;
	}
	int go[2];
	if (pipe2(go, O_CLOEXEC) < 0) {
		perror("floor: pipe2");
		return 1;
	}
	struct clone_args ca = {
		.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
			 CLONE_NEWCGROUP,
		.exit_signal = SIGCHLD,
	};
	pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0) {
		perror("floor: clone3");
		return 1;
	}
	if (pid == 0) {
		char c;
		close(go[1]);
		/* The maps first: exec of a root-owned file needs a mapped id. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	close(go[0]);
	char map[32];
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)getuid());
	int err = write_file(pid, "uid_map", map) ?: write_file(pid, "setgroups", "deny") ?:
		  (snprintf(map, sizeof map, "0 %u 1\n", (unsigned)getgid()), write_file(pid, "gid_map", map));
	if (err)
		fprintf(stderr, "floor: id maps: %s\n", strerror(-err));
	if (write(go[1], "g", 1) != 1)
		perror("floor: write");
	close(go[1]);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("floor: waitpid");
			return 1;
		}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

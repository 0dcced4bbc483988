/* Builds two environments the probe's tests need and no shipped tool
 * gives, then executes the command:
 *
 *   probe-env landlock CMD...  under one Landlock layer that allows all it
 *                              handles (execution beneath /): a domain in
 *                              force that denies nothing
 *   probe-env userns CMD...    as root of a new user namespace made by
 *                              root, mapped to host ids 100000-165535, so
 *                              the namespace's owner (host root) is not
 *                              mapped inside it
 *   probe-env foreignkey CMD...  in a session keyring of its own holding a
 *                              key of uid 1000 that others may view */
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int die(const char *what)
{
	perror(what);
	return 125;
}

static int landlock(char **argv)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE };
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (rs < 0)
		return die("landlock_create_ruleset");
	struct landlock_path_beneath_attr beneath = { .allowed_access = LANDLOCK_ACCESS_FS_EXECUTE,
						      .parent_fd = open("/", O_PATH | O_CLOEXEC) };
	if (beneath.parent_fd < 0 || syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0)
		return die("landlock_add_rule");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		return die("landlock_restrict_self");
	execvp(argv[0], argv);
	return die(argv[0]);
}

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int userns(char **argv)
{
	int go[2], ready[2];
	if (pipe(go) < 0 || pipe(ready) < 0)
		return die("pipe");
	pid_t pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0) {
		char c;
		close(go[1]);
		close(ready[0]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(die("unshare"));
		close(ready[1]);
		/* The parent writes the maps, then closes its end. */
		if (read(go[0], &c, 1) != 0)
			_exit(125);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			_exit(die("setresuid"));
		execvp(argv[0], argv);
		_exit(die(argv[0]));
	}
	close(go[0]);
	close(ready[1]);
	/* The child has unshared when it closes its end of ready. */
	char c;
	if (read(ready[0], &c, 1) != 0)
		return die("unshare");
	if (write_file(pid, "uid_map", "0 100000 65536\n") < 0 || write_file(pid, "gid_map", "0 100000 65536\n") < 0)
		return die("uid_map");
	close(go[1]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int foreignkey(char **argv)
{
	/* A new session keyring: the key must not reach the caller's. */
	if (syscall(SYS_keyctl, 1L /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0)
		return die("keyctl join");
	long key = syscall(SYS_add_key, "user", "brig-probe-foreign", "x", 1L, -3L /* KEY_SPEC_SESSION_KEYRING */);
	if (key < 0)
		return die("add_key");
	/* Possessor everything, owner and others view. */
	if (syscall(SYS_keyctl, 4L /* KEYCTL_CHOWN */, key, 1000L, -1L) < 0 ||
	    syscall(SYS_keyctl, 5L /* KEYCTL_SETPERM */, key, 0x3f010001L) < 0)
		return die("keyctl");
	execvp(argv[0], argv);
	return die(argv[0]);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return fprintf(stderr, "usage: probe-env landlock|userns|foreignkey CMD...\n"), 125;
	if (strcmp(argv[1], "landlock") == 0)
		return landlock(argv + 2);
	if (strcmp(argv[1], "userns") == 0)
		return userns(argv + 2);
	if (strcmp(argv[1], "foreignkey") == 0)
		return foreignkey(argv + 2);
	return fprintf(stderr, "probe-env: %s: unknown environment\n", argv[1]), 125;
}

/* The second wall: a Landlock domain made from the job's mount table
 * (src/fs/landlock.c). Read-only where mounted read-only, writable where
 * mounted writable, and nothing of the host beyond the job's root, even
 * through a descriptor that points there. */
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(landlock);

/* The kernel's ABI, or a skip where brig cannot use it (ABI 1 or none). */
static int need_landlock(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 2)
		harness_not_on_this_host("no Landlock ABI 2 or later here (%ld)", abi);
	return (int)abi;
}

Test(landlock, started_event_says_it_is_in_force)
{
	int abi = need_landlock();
	char *dir = tmpdir_make("ll-status"), status[4200];
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	struct brig_result r;
	BRIG(&r, "run", "--status-file", status, "--", "/bin/true");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	char *text = file_read(status);
	cr_assert(text);
	char *started = json_event_line(text, "started");
	cr_assert(started, "no started event:\n%s", text);
	char want[64];
	snprintf(want, sizeof want, "\"landlock\":{\"in_force\":true,\"abi\":%d}", abi);
	cr_assert(strstr(started, want), "want %s in:\n%s", want, started);
}

/* A directory of the host handed in open stands for what a bug in the
 * mount namespace could reach: the job holds it, and still can neither
 * create, nor list, nor open anything beneath it. Without the domain the
 * job creates the file (the directory is writable by all). */
Test(landlock, nothing_outside_the_root_opens)
{
	need_landlock();
	char *dir = tmpdir_make("ll-outside");
	cr_assert_eq(chmod(dir, 0777), 0);
	char *inside = file_write(dir, "present", "host file\n", 0666);
	struct brig_opts o = { .inherit_fd = 7, .inherit_path = dir, .inherit_flags = O_RDONLY | O_DIRECTORY };
	struct brig_result r;
	brig_run(&r, &o,
		 BRIG_ARGS("run", "--pass-fd", "7", "--", "/bin/sh", "-c",
			   "touch /proc/self/fd/7/made 2>/dev/null; echo create=$?; "
			   "cat /proc/self/fd/7/present >/dev/null 2>&1; echo read=$?; "
			   "ls /proc/self/fd/7/ >/dev/null 2>&1; echo list=$?"));
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	char made[4200];
	snprintf(made, sizeof made, "%s/made", dir);
	cr_expect_neq(access(made, F_OK), 0, "the job created a file outside its root" RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_neq(kv_get(r.out, "create") ?: "0", "0", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_neq(kv_get(r.out, "read") ?: "0", "0", "%s was read" RESULT_FMT, inside, RESULT_ARGS(r));
	cr_expect_str_neq(kv_get(r.out, "list") ?: "0", "0", RESULT_FMT, RESULT_ARGS(r));
}

/* Read-only by its mount and by the domain: /usr and the root refuse
 * writes (the mount alone refuses them too: this holds the two walls
 * together). The job's writable places take every kind of change a build
 * makes: create, rename and hard link across directories (Landlock's
 * refer right), truncate, devices, the workspace; a domain narrower than
 * the mounts fails here. The terminal's ioctls: the pty suite. */
Test(landlock, read_only_stays_so_and_writable_places_work)
{
	need_landlock();
	char *ws = tmpdir_make("ll-ws");
	cr_assert_eq(chmod(ws, 0777), 0);
	struct brig_result r;
	char env[4200];
	snprintf(env, sizeof env, "BRIG_WS=%s", ws);
	const char *envs[] = { env, NULL };
	struct brig_opts o = { .env = envs };
	brig_run(&r, &o,
		 BRIG_ARGS("run", "--workspace", ws, "--env-pass", "BRIG_WS", "--", "/bin/sh", "-c",
			   "touch /usr/brig-landlock 2>/dev/null; echo usr=$?; "
			   "mkdir /brig-landlock 2>/dev/null; echo root=$?; "
			   "set -e; cd /tmp; echo a > a; mkdir d; mv a d/a; ln d/a b; truncate -s 0 b; "
			   "echo x > /dev/null; head -c 4 /dev/urandom >/dev/shm/r; touch \"$HOME/h\"; "
			   "echo w > \"$BRIG_WS/w\"; mv \"$BRIG_WS/w\" \"$BRIG_WS/w2\"; mv /tmp/d/a \"$BRIG_WS/a\"; "
			   "echo writable=ok"));
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_neq(kv_get(r.out, "usr") ?: "0", "0", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_neq(kv_get(r.out, "root") ?: "0", "0", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "writable") ?: "?", "ok", RESULT_FMT, RESULT_ARGS(r));
}

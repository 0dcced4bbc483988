/* Root inside as in a CI container: the capabilities of `caps
 * container-root` (and only for root, only over the job's own ids), the
 * writable root and the package tools' directories of an overlay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(rootinside);

/* chown to another id of the job's range in its /tmp: refused without a
 * capability (the old default), done with container-root. */
Test(rootinside, container_root_chowns_in_tmp)
{
	static const char script[] = "touch /tmp/f && chown 1000:1000 /tmp/f; echo rc=$?; stat -c owner=%u:%g /tmp/f";
	struct brig_result r;
	BRIG(&r, "run", "--caps", "container-root", "--", "/bin/sh", "-c", script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	if (harness_unprivileged()) {
		/* One id mapped: 1000 does not exist in the job's namespace. */
		cr_expect_str_neq(kv_get(r.out, "rc") ?: "?", "0", RESULT_FMT, RESULT_ARGS(r));
		return;
	}
	cr_expect_str_eq(kv_get(r.out, "rc") ?: "?", "0", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "owner") ?: "?", "1000:1000", RESULT_FMT, RESULT_ARGS(r));
	BRIG(&r, "run", "--caps", "none", "--", "/bin/sh", "-c", script);
	cr_expect_str_neq(kv_get(r.out, "rc") ?: "?", "0", "chown without CAP_CHOWN" RESULT_FMT, RESULT_ARGS(r));
}

/* Another user inside gets none of the set; root inside has exactly it,
 * and none of the administrator's capabilities. */
Test(rootinside, container_root_is_for_root_only)
{
	struct brig_result r;
	BRIG(&r, "run", "--caps", "container-root", "--", "/bin/sh", "-c",
	     "grep -E '^Cap(Eff|Bnd)' /proc/self/status | tr -d '\\t' | tr : =");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	/* CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
	 * NET_BIND_SERVICE SYS_CHROOT: bits 0, 1, 3-8, 10, 18. */
	cr_expect_str_eq(kv_get(r.out, "CapEff") ?: "?", "00000000000405fb", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "CapBnd") ?: "?", "00000000000405fb", RESULT_FMT, RESULT_ARGS(r));
	if (harness_unprivileged())
		return;
	BRIG(&r, "run", "--caps", "container-root", "--user", "1000", "--", "/bin/sh", "-c",
	     "grep -E '^Cap(Eff|Bnd)' /proc/self/status | tr -d '\\t' | tr : =");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "CapEff") ?: "?", "0000000000000000", RESULT_FMT, RESULT_ARGS(r));
}

/* In overlay mode the root directory is writable, and what is written
 * there is gone with the job; without an overlay it stays read-only. */
Test(rootinside, overlay_root_directory_is_writable_and_vanishes)
{
	harness_need_root("an overlay of the host's /usr maps the tree's ids (idmapped mounts)");
	char name[64], script[512];
	snprintf(name, sizeof name, "brig-root-%d", (int)getpid());
	snprintf(script, sizeof script,
		 "echo hi > /%s && mkdir /app && touch /app/x && cat /%s && "
		 "for d in /etc/apt /etc/dpkg /var/lib/apt /var/lib/dpkg /var/cache /var/log; do "
		 "test -d $d && touch $d/.w && echo ok=$d; done",
		 name, name);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", "host", "--rootfs-mode", "overlay", "--", "/bin/sh", "-c", script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect(strstr(r.out, "hi\n"), RESULT_FMT, RESULT_ARGS(r));
	cr_expect_eq(kv_count(r.out, "ok"), 6, "package directories missing or read-only" RESULT_FMT, RESULT_ARGS(r));
	char host[128];
	snprintf(host, sizeof host, "/%s", name);
	cr_expect_neq(access(host, F_OK), 0, "%s reached the host", host);
	cr_expect_neq(access("/var/lib/dpkg/.w", F_OK), 0, "a write reached the host's dpkg database");
	snprintf(script, sizeof script, "test -e /%s || test -e /app; echo rc=$?", name);
	BRIG(&r, "run", "--rootfs", "host", "--rootfs-mode", "overlay", "--", "/bin/sh", "-c", script);
	cr_expect_str_eq(kv_get(r.out, "rc") ?: "?", "1", "the previous job's files are still there" RESULT_FMT,
			 RESULT_ARGS(r));
	BRIG(&r, "run", "--", "/bin/sh", "-c", "mkdir /app; echo rc=$?");
	cr_expect_str_neq(kv_get(r.out, "rc") ?: "?", "0", "the root is writable without an overlay" RESULT_FMT,
			  RESULT_ARGS(r));
}

/* Files the job gives to other ids of its range in the workspace (tar x of
 * foreign owners, chown -R) work inside and belong to the workspace's
 * owner on the host afterwards; a link is changed itself, never its
 * target. */
Test(rootinside, workspace_files_of_other_ids_go_back_to_the_owner)
{
	harness_need_root("idmapped workspaces need root");
	char *ws = tmpdir_make("handback");
	char *outside = tmpdir_make("handback-target");
	char *target = file_write(outside, "target", "x\n", 0644);
	struct stat before;
	cr_assert_eq(stat(target, &before), 0);
	char script[2048];
	snprintf(script, sizeof script,
		 "set -e; mkdir -p src/d && echo hi > src/d/f && "
		 "tar --owner=1000 --group=1000 -cf t.tar -C src . && mkdir out && tar xf t.tar -C out && "
		 "stat -c in=%%u:%%g out/d/f && chown -R 4242:4343 src && mkdir -m 700 priv && touch priv/x && "
		 "chown -R 555:555 priv && ln -s %s link && chown -h 77:77 link && echo done=1",
		 target);
	struct brig_result r;
	BRIG(&r, "run", "--caps", "container-root", "--workspace", ws, "--", "/bin/sh", "-c", script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "in") ?: "?", "1000:1000", RESULT_FMT, RESULT_ARGS(r));
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "find '%s' -printf '%%U:%%G %%p\\n' | grep -v '^%u:%u '", ws,
		 (unsigned)harness_dir_owner(), (unsigned)harness_dir_group());
	char *left = command_output(cmd, NULL);
	cr_expect_str_eq(left, "", "files still owned by the job's ids:\n%s", left);
	struct stat after;
	cr_assert_eq(stat(target, &after), 0);
	cr_expect(after.st_uid == before.st_uid && after.st_gid == before.st_gid, "the link's target changed owner");
}

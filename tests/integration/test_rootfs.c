/* --rootfs and its modes: a prepared tree read-only, under a per-job
 * overlay, or writable; the checks before a tree is used; caches; and the
 * host's /usr under an overlay. Trees come from rootfs/mkrootfs busybox
 * (offline, in a second) or from the host's own shell. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(rootfs);

static void run_or_fail(const char *cmd)
{
	int rc = system(cmd);
	cr_assert_eq(rc, 0, "'%s' exited with %d", cmd, rc);
}

static const char *mkrootfs(void)
{
	const char *m = getenv("BRIG_MKROOTFS");
	return m && *m ? m : "rootfs/mkrootfs";
}

/* A tree must belong to root, or to brig's unprivileged caller. */
static void give_tree(const char *tree)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "chown -R %u:%u '%s'", harness_unprivileged() ? (unsigned)harness_brig_uid() : 0,
		 harness_unprivileged() ? (unsigned)harness_brig_gid() : 0, tree);
	run_or_fail(cmd);
}

/* tree/bin/sh plus every library `ldd` names, at the same paths. */
static char *make_tree(void)
{
	char *tree = tmpdir_make("rootfs");
	char cmd[8192];
	snprintf(cmd, sizeof cmd,
		 "set -e; t='%s'; sh=$(readlink -f /bin/sh); mkdir -p \"$t/bin\" \"$t/etc\"; "
		 "cp \"$sh\" \"$t/bin/sh\"; "
		 "for l in $(ldd \"$sh\" | grep -o '/[^ ]*'); do mkdir -p \"$t$(dirname \"$l\")\"; "
		 "cp -L \"$l\" \"$t$l\"; done; "
		 "echo tree-secret > \"$t/etc/shadow\"; chmod -R a+rX,go-w \"$t\"",
		 tree);
	run_or_fail(cmd);
	give_tree(tree);
	return tree;
}

/* A busybox tree from rootfs/mkrootfs, in a fresh directory. */
static char *busybox_tree(void)
{
	char *parent = tmpdir_make("bb"), *tree = NULL;
	cr_assert(asprintf(&tree, "%s/tree", parent) > 0);
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "'%s' busybox '%s' 2>/dev/null", mkrootfs(), tree);
	if (system(cmd) != 0) {
		if (access("/bin/busybox", X_OK) != 0)
			harness_unavailable("no /bin/busybox (apt-get install busybox-static)");
		cr_assert_fail("'%s' failed", cmd);
	}
	give_tree(tree);
	return tree;
}

static char *listing(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "cd '%s' && find . | sort", dir);
	return command_output(cmd, NULL);
}

/* Every name, type, mode, owner, size and link target, and every file's
 * contents: equal digests mean a byte-for-byte equal tree. */
static char *digest(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && { find . -printf '%%p %%y %%m %%U %%G %%s %%l\\n' | LC_ALL=C sort; "
		 "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; } | sha256sum",
		 dir);
	return command_output(cmd, NULL);
}

static size_t entries(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
	char *out = command_output(cmd, NULL);
	return (size_t)strtoul(out, NULL, 10);
}

#define ONE_LINE_125(r, needle)                                                                        \
	do {                                                                                           \
		cr_assert_eq((r).status, 125, RESULT_FMT, RESULT_ARGS(r));                             \
		cr_assert_eq(line_count((r).err), 1, RESULT_FMT, RESULT_ARGS(r));                      \
		cr_assert_not_null(strstr((r).err, needle), "no '%s' in" RESULT_FMT, needle, RESULT_ARGS(r)); \
	} while (0)

Test(rootfs, job_runs_on_the_tree_read_only)
{
	char *tree = make_tree();
	char *before = listing(tree);
	struct brig_result r;
	/* dash builtins only: the tree has nothing else. */
	BRIG(&r, "run", "--rootfs", tree, "--rootfs-mode", "ro", "--", "/bin/sh", "-c",
	     "set -- /*; echo \"top=$*\"; if [ -e /usr ]; then echo usr=yes; else echo usr=no; fi; "
	     "if echo x > /bin/planted 2>/dev/null; then echo bin=writable; else echo bin=read-only; fi; "
	     "if [ -e /etc/shadow ]; then echo shadow=visible; else echo shadow=hidden; fi; "
	     "read h < /etc/hostname; echo host=$h");
	cr_assert_eq(r.status, 0, "the job failed" RESULT_FMT, RESULT_ARGS(r));
	char *top = kv_get(r.out, "top");
	cr_assert_not_null(top, RESULT_FMT, RESULT_ARGS(r));
	for (const char *want = "/bin /dev /etc /proc /tmp"; *want;) {
		size_t n = strcspn(want, " ");
		char entry[16];
		snprintf(entry, sizeof entry, "%.*s", (int)n, want);
		cr_expect_not_null(strstr(top, entry), "%s missing from the job's / (%s)", entry, top);
		want += n + (want[n] == ' ');
	}
	cr_expect_str_eq(kv_get(r.out, "usr"), "no", "the host's /usr leaked into a --rootfs job");
	cr_expect_str_eq(kv_get(r.out, "bin"), "read-only", "the tree is writable from the job");
	cr_expect_str_eq(kv_get(r.out, "shadow"), "hidden", "the tree's /etc/shadow reached the generated /etc");
	cr_expect_eq(strncmp(kv_get(r.out, "host"), "brig-", 5), 0, "no generated /etc/hostname");
	char *after = listing(tree);
	cr_assert_str_eq(before, after, "the tree changed during the job");
}

/* The job writes, deletes and changes modes everywhere it can; the tree
 * stays byte-for-byte the same, and the next job finds it so. */
Test(rootfs, overlay_writes_vanish_and_the_tree_is_unchanged)
{
	char *tree = busybox_tree();
	char *before = digest(tree);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", tree, "--", "/bin/sh", "-c",
	     "for d in / /bin /sbin /usr /usr/bin /var /var/tmp /etc /root /tmp; do "
	     "  if echo x > $d/planted 2>/dev/null; then echo \"w$d=yes\"; else echo \"w$d=no\"; fi; done; "
	     "echo changed >> /bin/busybox.copy; cp /bin/busybox /bin/busybox.copy; echo tail >> /bin/busybox; "
	     "rm -f /bin/ls /sbin/ifconfig; mkdir -p /usr/new/deep; chmod 0700 /usr/bin; chown 1:1 /var/tmp; "
	     "ln -s /bin/sh /usr/new/sh; echo removed=$([ -e /bin/ls ] && echo no || echo yes); "
	     "echo hostname=$(cat /etc/hostname); echo hosts=$(grep -c \"$(cat /etc/hostname)\" /etc/hosts); "
	     "echo resolv=$(grep -c brig /etc/resolv.conf)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "w/bin") ?: "?", "yes", "the overlay is not writable" RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "w/usr/bin") ?: "?", "yes", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "w/var") ?: "?", "yes", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "removed") ?: "?", "yes", RESULT_FMT, RESULT_ARGS(r));
	/* brig's /etc files are there, the tree's /etc untouched (digest). */
	cr_expect_eq(strncmp(kv_get(r.out, "hostname") ?: "?", "brig-", 5), 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "hosts") ?: "?", "1", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "resolv") ?: "?", "1", RESULT_FMT, RESULT_ARGS(r));
	char *after = digest(tree);
	cr_assert_str_eq(before, after, "the tree changed under an overlay job" RESULT_FMT, RESULT_ARGS(r));

	BRIG(&r, "run", "--rootfs", tree, "--", "/bin/sh", "-c",
	     "ls /bin/planted /usr/planted /usr/new 2>/dev/null; echo ls=$([ -e /bin/ls ] && echo yes || echo no)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "ls") ?: "?", "yes", "a write of the first job survived it" RESULT_FMT,
			 RESULT_ARGS(r));
	cr_assert_eq(line_count(r.out), 1, "the first job's files are visible" RESULT_FMT, RESULT_ARGS(r));
}

Test(rootfs, concurrent_overlay_jobs_do_not_see_each_others_writes)
{
	char *tree = busybox_tree();
	struct brig_proc a;
	brig_start(&a, NULL, BRIG_ARGS("run", "--rootfs", tree, "--", "/bin/sh", "-c",
				       "echo a > /usr/from-a; echo ready; sleep 3; "
				       "echo a-sees-b=$([ -e /usr/from-b ] && echo yes || echo no)"));
	cr_assert(brig_wait_stdout(&a, "ready", 10), "the first job did not start: %s", a.err.data);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", tree, "--", "/bin/sh", "-c",
	     "echo b > /usr/from-b; echo b-sees-a=$([ -e /usr/from-a ] && echo yes || echo no)");
	struct brig_result ra;
	brig_finish(&a, &ra, 15);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_eq(ra.status, 0, RESULT_FMT, RESULT_ARGS(ra));
	cr_expect_str_eq(kv_get(r.out, "b-sees-a") ?: "?", "no", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(ra.out, "a-sees-b") ?: "?", "no", RESULT_FMT, RESULT_ARGS(ra));
}

Test(rootfs, overlay_size_bounds_the_writes)
{
	char *tree = busybox_tree();
	char *before = digest(tree);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", tree, "--overlay-size", "16M", "--", "/bin/sh", "-c",
	     "dd if=/dev/zero of=/usr/big bs=1M count=64 2>&1; echo dd=$?; "
	     "echo size=$(($(wc -c < /usr/big) >> 20))");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_not_null(strstr(r.out, "No space left on device"), RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_neq(kv_get(r.out, "dd") ?: "0", "0", RESULT_FMT, RESULT_ARGS(r));
	char *size = kv_get(r.out, "size");
	cr_assert_not_null(size, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_leq(atoi(size), 16, "more than the overlay size was written" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(before, digest(tree), "the tree changed");
}

/* The upper layer lives under overlay-dir while the job runs and is gone
 * after it, also when the job's setup fails. */
Test(rootfs, overlay_dir_holds_the_writes_until_the_job_ends)
{
	char *tree = busybox_tree();
	char *dir = tmpdir_make("upper");
	struct brig_proc a;
	brig_start(&a, NULL, BRIG_ARGS("run", "--rootfs", tree, "--overlay-dir", dir, "--", "/bin/sh", "-c",
				       "dd if=/dev/zero of=/usr/big bs=1M count=20 2>/dev/null; echo ready; sleep 2"));
	cr_assert(brig_wait_stdout(&a, "ready", 10), "the job did not start: %s", a.err.data);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "find '%s' -name big -size +19M | wc -l", dir);
	char *found = command_output(cmd, NULL);
	struct brig_result r;
	brig_finish(&a, &r, 15);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_eq(atoi(found), 1, "the job's write is not under overlay-dir");
	cr_assert_eq(entries(dir), 0, "the per-job directory was left behind");

	BRIG(&r, "run", "--rootfs", tree, "--overlay-dir", dir, "--chdir", "/nonexistent", "--", "/bin/true");
	cr_assert_eq(r.status, 125, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_eq(entries(dir), 0, "a failed job left its per-job directory behind");
}

Test(rootfs, rw_writes_persist_and_need_the_tree_alone)
{
	char *tree = busybox_tree();
	struct brig_proc a;
	brig_start(&a, NULL, BRIG_ARGS("run", "--rootfs", tree, "--rootfs-mode", "rw", "--", "/bin/sh", "-c",
				       "echo persisted > /usr/rw-file; echo ready; sleep 3"));
	cr_assert(brig_wait_stdout(&a, "ready", 10), "the rw job did not start: %s", a.err.data);
	struct brig_result r2, r3;
	BRIG(&r2, "run", "--rootfs", tree, "--rootfs-mode", "rw", "--", "/bin/true");
	BRIG(&r3, "run", "--rootfs", tree, "--", "/bin/true");
	struct brig_result r;
	brig_finish(&a, &r, 15);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	ONE_LINE_125(r2, "in use by another job");
	ONE_LINE_125(r3, "another job is writing to it");

	char path[4200];
	snprintf(path, sizeof path, "%s/usr/rw-file", tree);
	cr_assert_str_eq(file_read(path) ?: "(missing)", "persisted\n");
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	uid_t owner = harness_unprivileged() ? harness_brig_uid() : 0;
	cr_expect_eq(st.st_uid, owner, "the job's root wrote as host uid %u, not %u", (unsigned)st.st_uid,
		     (unsigned)owner);

	/* The lock went with the job. */
	BRIG(&r, "run", "--rootfs", tree, "--rootfs-mode", "rw", "--", "/bin/sh", "-c", "rm /usr/rw-file");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_neq(access(path, F_OK), 0, "rm in an rw job did not reach the tree");
}

Test(rootfs, missing_tree_is_refused)
{
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", "/nonexistent-brig-tree", "--", "/bin/sh", "-c", "true");
	cr_assert_str_eq(r.out, "", "the job ran" RESULT_FMT, RESULT_ARGS(r));
	ONE_LINE_125(r, "--rootfs /nonexistent-brig-tree");
}

Test(rootfs, world_writable_tree_is_refused)
{
	char *tree = busybox_tree();
	cr_assert_eq(chmod(tree, 0777), 0);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", tree, "--", "/bin/true");
	ONE_LINE_125(r, "writable by others");
}

Test(rootfs, tree_without_a_shell_is_refused)
{
	char *tree = tmpdir_make("empty");
	give_tree(tree);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", tree, "--", "/bin/true");
	cr_assert_str_eq(r.out, "", "the job ran" RESULT_FMT, RESULT_ARGS(r));
	ONE_LINE_125(r, "has neither /bin/sh nor /bin/true");
}

Test(rootfs, tree_of_another_user_is_refused)
{
	char *tree = busybox_tree();
	cr_assert_eq(chown(tree, 4243, 4243), 0);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", tree, "--", "/bin/true");
	ONE_LINE_125(r, "owned by uid 4243");
}

Test(rootfs, caches_persist_per_key)
{
	char *base = tmpdir_make("cache");
	char dir[4200];
	snprintf(dir, sizeof dir, "%s/caches", base);
	struct brig_result r;
	BRIG(&r, "run", "--cache-dir", dir, "--cache", "key-one:/cache", "--", "sh", "-c",
	     "echo one > /cache/file; echo first=$(cat /cache/file)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	BRIG(&r, "run", "--cache-dir", dir, "--cache", "key-one:/cache", "--", "sh", "-c",
	     "echo again=$(cat /cache/file)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "again") ?: "?", "one", "the cache did not persist" RESULT_FMT, RESULT_ARGS(r));
	BRIG(&r, "run", "--cache-dir", dir, "--cache", "key-two:/cache", "--", "sh", "-c",
	     "echo other=$(ls -A /cache | wc -l)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "other") ?: "?", "0", "keys share a cache" RESULT_FMT, RESULT_ARGS(r));

	/* A key cannot name a path. */
	BRIG(&r, "run", "--cache-dir", dir, "--cache", "../escape /cache", "--", "sh", "-c", "touch /cache/x");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	char path[4400];
	snprintf(path, sizeof path, "%s/escape", base);
	cr_assert_neq(access(path, F_OK), 0, "a cache key escaped cache-dir");
	snprintf(path, sizeof path, "%s/%%2E.%%2Fescape/x", dir);
	cr_assert_eq(access(path, F_OK), 0, "the escaped key's directory is not %s", path);
}

/* A writable /usr (and dpkg database) whose changes vanish: a package
 * installs inside, and the host's files and database do not change. */
Test(rootfs, host_overlay_lets_dpkg_install_and_leaves_the_host_alone)
{
	harness_need_root("the host's /usr belongs to root, whom an unprivileged job cannot become");
	if (access("/usr/bin/dpkg-deb", X_OK) != 0)
		harness_unavailable("no dpkg-deb");
	if (access("/var/lib/dpkg/status", R_OK) != 0)
		harness_not_on_this_host("no dpkg database in /var/lib/dpkg");
	char *dir = tmpdir_make("deb");
	char pkg[64], cmd[8192];
	snprintf(pkg, sizeof pkg, "brig-test-%s", harness_marker());
	for (char *p = pkg; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	snprintf(cmd, sizeof cmd,
		 "set -e; cd '%s'; mkdir -p p/DEBIAN p/usr/share/%s p/etc; echo payload > p/usr/share/%s/file; "
		 "echo setting=1 > p/etc/%s.conf; echo /etc/%s.conf > p/DEBIAN/conffiles; "
		 "printf 'Package: %s\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: brig tests <t@example.invalid>\\n"
		 "Description: brig test package\\n' > p/DEBIAN/control; dpkg-deb --build p pkg.deb >/dev/null; "
		 "chmod -R a+rX .",
		 dir, pkg, pkg, pkg, pkg, pkg);
	run_or_fail(cmd);
	char *status_before = command_output("sha256sum /var/lib/dpkg/status", NULL);
	char *usr_before = command_output("ls -la /usr/share | sha256sum", NULL);
	char bind[4200], script[512];
	snprintf(bind, sizeof bind, "%s:/deb", dir);
	snprintf(script, sizeof script,
		 "dpkg -i /deb/pkg.deb >/dev/null && echo installed=$(cat /usr/share/%s/file) && "
		 "echo conf=$(cat /etc/%s.conf) && dpkg-query -W -f='status=${Status}\\n' %s",
		 pkg, pkg, pkg);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", "host", "--rootfs-mode", "overlay", "--ro-bind", bind, "--", "sh", "-c", script);
	if (r.status == 125 && strstr(r.err, "idmapped mount"))
		harness_not_on_this_host("the host's /usr cannot be idmapped: %s", r.err);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "installed") ?: "?", "payload", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "conf") ?: "?", "setting=1", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "status") ?: "?", "install ok installed", RESULT_FMT, RESULT_ARGS(r));

	char path[256];
	snprintf(path, sizeof path, "/usr/share/%s", pkg);
	cr_assert_neq(access(path, F_OK), 0, "the package reached the host's /usr");
	snprintf(path, sizeof path, "/etc/%s.conf", pkg);
	cr_assert_neq(access(path, F_OK), 0, "the package's conffile reached the host's /etc");
	cr_assert_str_eq(status_before, command_output("sha256sum /var/lib/dpkg/status", NULL),
			 "the host's dpkg database changed");
	cr_assert_str_eq(usr_before, command_output("ls -la /usr/share | sha256sum", NULL), "the host's /usr changed");
	snprintf(cmd, sizeof cmd, "dpkg-query -W '%s' >/dev/null 2>&1", pkg);
	cr_assert_neq(system(cmd), 0, "the host's dpkg knows the package");
}

/* overlay-upper DIR: what one job writes under the host's /usr is there
 * for the next job given DIR, the host's /usr never changes, and a job
 * without DIR sees nothing of it. */
Test(rootfs, host_overlay_upper_keeps_the_writes_for_the_next_job)
{
	harness_need_root("the host's /usr belongs to root, whom an unprivileged job cannot become");
	char *upper = tmpdir_make("upper");
	give_tree(upper); /* like a tree: root's, or the caller's */
	char name[128], path[256], script[512];
	snprintf(name, sizeof name, "brig-upper-%s", harness_marker());
	snprintf(path, sizeof path, "/usr/share/%s", name);
	char *usr_before = command_output("ls -la /usr/share | sha256sum", NULL);
	snprintf(script, sizeof script, "echo kept > %s && echo wrote=yes", path);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", "host", "--rootfs-mode", "overlay", "--overlay-upper", upper, "--", "sh", "-c",
	     script);
	if (r.status == 125 && strstr(r.err, "idmapped mount"))
		harness_not_on_this_host("the host's /usr cannot be idmapped: %s", r.err);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "wrote") ?: "?", "yes", RESULT_FMT, RESULT_ARGS(r));
	cr_assert_neq(access(path, F_OK), 0, "the write reached the host's /usr");

	snprintf(script, sizeof script, "echo seen=$(cat %s 2>/dev/null || echo none)", path);
	BRIG(&r, "run", "--rootfs", "host", "--rootfs-mode", "overlay", "--overlay-upper", upper, "--", "sh", "-c",
	     script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "seen") ?: "?", "kept", "the second job does not see the first's write"
			 RESULT_FMT, RESULT_ARGS(r));

	BRIG(&r, "run", "--rootfs", "host", "--rootfs-mode", "overlay", "--", "sh", "-c", script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "seen") ?: "?", "none", "a job without the upper sees its writes"
			 RESULT_FMT, RESULT_ARGS(r));
	cr_assert_neq(access(path, F_OK), 0, "the write reached the host's /usr");
	cr_assert_str_eq(usr_before, command_output("ls -la /usr/share | sha256sum", NULL), "the host's /usr changed");
}

/* On a tree, for root and unprivileged callers alike: the writes outlive
 * the job, the tree does not change, one job at a time holds DIR, and a
 * DIR others may write to is refused. */
Test(rootfs, overlay_upper_on_a_tree_persists_and_takes_one_job_at_a_time)
{
	char *tree = busybox_tree();
	char *upper = tmpdir_make("upper");
	give_tree(upper); /* like a tree: root's, or the caller's */
	char *before = digest(tree);
	struct brig_proc a;
	brig_start(&a, NULL, BRIG_ARGS("run", "--rootfs", tree, "--overlay-upper", upper, "--", "/bin/sh", "-c",
				       "echo kept > /usr/upper-file; echo ready; sleep 2"));
	cr_assert(brig_wait_stdout(&a, "ready", 10), "the job did not start: %s", a.err.data);
	struct brig_result r2, r;
	BRIG(&r2, "run", "--rootfs", tree, "--overlay-upper", upper, "--", "/bin/true");
	brig_finish(&a, &r, 15);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	ONE_LINE_125(r2, "in use by another job");

	BRIG(&r, "run", "--rootfs", tree, "--overlay-upper", upper, "--", "/bin/sh", "-c",
	     "echo seen=$(cat /usr/upper-file 2>/dev/null || echo none)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "seen") ?: "?", "kept", RESULT_FMT, RESULT_ARGS(r));
	BRIG(&r, "run", "--rootfs", tree, "--", "/bin/sh", "-c",
	     "echo seen=$(cat /usr/upper-file 2>/dev/null || echo none)");
	cr_assert_str_eq(kv_get(r.out, "seen") ?: "?", "none", RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(before, digest(tree), "the tree changed");

	cr_assert_eq(chmod(upper, 0757), 0);
	BRIG(&r, "run", "--rootfs", tree, "--overlay-upper", upper, "--", "/bin/true");
	ONE_LINE_125(r, "writable by others");
	cr_assert_eq(chmod(upper, 0755), 0);
	BRIG(&r, "run", "--rootfs", tree, "--overlay-upper", upper, "--overlay-size", "16M", "--", "/bin/true");
	ONE_LINE_125(r, "cannot be combined with --overlay-size");
	BRIG(&r, "run", "--rootfs", tree, "--rootfs-mode", "ro", "--overlay-upper", upper, "--", "/bin/true");
	ONE_LINE_125(r, "only applies with rootfs-mode overlay");
}

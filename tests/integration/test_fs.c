/* The job's filesystem: what is visible, what is writable, and what the
 * host keeps afterwards. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(fs);

static void assert_ran(const struct brig_result *r, const char *what)
{
	cr_assert_eq(r->status, 0, "%s: the job failed" RESULT_FMT, what, RESULT_ARGS(*r));
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* A host file at dir/brig-it-<marker>, removed at teardown. */
static char *host_marker_file(const char *dir)
{
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/brig-it-%s", dir, harness_marker()) > 0);
	harness_track(path);
	file_write(dir, strrchr(path, '/') + 1, "host secret\n", 0644);
	cr_assert(exists(path), "could not create %s on the host", path);
	return path;
}

/* "visible"/"hidden" for a path, as seen by a job. */
static char *visibility_in_job(const char *path)
{
	char script[4200];
	struct brig_result r;
	snprintf(script, sizeof script, "if [ -e '%s' ]; then echo seen=visible; else echo seen=hidden; fi", path);
	BRIG(&r, "run", "--", "/bin/sh", "-c", script);
	assert_ran(&r, "checking a path");
	return kv_get(r.out, "seen") ?: strdup("?");
}

Test(fs, host_root_home_not_visible)
{
	char *path = host_marker_file("/root");
	cr_assert_str_eq(visibility_in_job(path), "hidden", "%s of the host is visible in the job", path);
}

Test(fs, usr_is_read_only)
{
	char script[512], host[256], host_bin[256];
	struct brig_result r;
	/* Removed at teardown should a broken brig let the job write there. */
	snprintf(host, sizeof host, "/usr/brig-it-%s", harness_marker());
	snprintf(host_bin, sizeof host_bin, "/usr/bin/brig-it-%s", harness_marker());
	harness_track(host);
	harness_track(host_bin);
	snprintf(script, sizeof script,
		 "echo usr=$(" JOB_HELPERS "/try-open /usr/brig-it-%s c);"
		 "echo usrbin=$(" JOB_HELPERS "/try-open /usr/bin/brig-it-%s c);"
		 "echo ls=$(" JOB_HELPERS "/try-open /usr/bin/ls r)",
		 harness_marker(), harness_marker());
	BRIG(&r, "run", "--ro-bind", harness_helpers_bind(), "--", "/bin/sh", "-c", script);
	assert_ran(&r, "try-open under /usr");
	cr_expect_str_eq(kv_get(r.out, "usr") ?: "?", "EROFS", "create in /usr" RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "usrbin") ?: "?", "EROFS", "create in /usr/bin" RESULT_FMT, RESULT_ARGS(r));
	/* The host's /usr is there, not an empty stand-in. */
	cr_expect(strncmp(kv_get(r.out, "ls") ?: "?", "OK ", 3) == 0, "/usr/bin/ls unreadable" RESULT_FMT,
		  RESULT_ARGS(r));
	cr_assert(!exists(host) && !exists(host_bin), "%s appeared on the host", host);
}

Test(fs, tmp_is_fresh_and_private)
{
	char *host_file = host_marker_file("/tmp");
	char job_file[256], script[1024];
	snprintf(job_file, sizeof job_file, "/tmp/brig-it-job-%s", harness_marker());
	harness_track(job_file);
	snprintf(script, sizeof script,
		 "ls -A /tmp | sed 's/^/entry=/'; echo data > '%s' && echo wrote=yes; cat '%s'", job_file, job_file);

	struct brig_result r;
	BRIG(&r, "run", "--", "/bin/sh", "-c", script);
	assert_ran(&r, "writing /tmp");
	cr_assert_eq(kv_count(r.out, "entry"), 0, "/tmp is not empty at the start (host file %s)" RESULT_FMT, host_file,
		     RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "wrote") ?: "no", "yes", "/tmp is not writable" RESULT_FMT, RESULT_ARGS(r));
	cr_assert(!exists(job_file), "the job's %s is on the host", job_file);
}

Test(fs, run_is_fresh_and_private)
{
	char *host_file = host_marker_file("/run");
	char job_file[256], script[1024];
	snprintf(job_file, sizeof job_file, "/run/brig-it-job-%s", harness_marker());
	harness_track(job_file);
	snprintf(script, sizeof script,
		 "if [ -e '%s' ]; then echo seen=visible; else echo seen=hidden; fi; echo x > '%s' && echo wrote=yes",
		 host_file, job_file);

	struct brig_result r;
	BRIG(&r, "run", "--", "/bin/sh", "-c", script);
	assert_ran(&r, "writing /run");
	cr_assert_str_eq(kv_get(r.out, "seen") ?: "?", "hidden", "the host's /run is visible" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "wrote") ?: "no", "yes", "/run is not writable" RESULT_FMT, RESULT_ARGS(r));
	cr_assert(!exists(job_file), "the job's %s is on the host", job_file);
}

/* What the job writes is owned on the host by the owner of the tree it
 * wrote into: no files of a foreign uid appear in the caller's checkout. */
static void assert_host_file(const char *path, const char *content, uid_t uid, gid_t gid)
{
	struct stat st;
	cr_assert(lstat(path, &st) == 0, "%s is not on the host: %s", path, strerror(errno));
	char *got = file_read(path);
	cr_assert_str_eq(got ?: "(unreadable)", content, "content of %s", path);
	cr_assert(st.st_uid == uid && st.st_gid == gid, "%s is owned by %u:%u on the host, expected %u:%u", path,
		  (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)uid, (unsigned)gid);
}

Test(fs, workspace_writes_persist)
{
	char *ws = tmpdir_make("ws");
	char script[8400];
	/* Writes relative to the cwd only once it is the workspace: a broken
	 * brig must not make the job write into whatever directory it got. */
	snprintf(script, sizeof script,
		 "echo cwd=$(pwd); [ \"$(pwd)\" = '%s' ] || exit 3;"
		 "echo hello > out.txt && mkdir sub && echo deep > sub/f && echo wrote=yes",
		 ws);
	struct brig_result r;
	BRIG(&r, "run", "--workspace", ws, "--", "/bin/sh", "-c", script);
	assert_ran(&r, "writing the workspace");
	cr_assert_str_eq(kv_get(r.out, "cwd") ?: "?", ws, "the workspace is not the working directory" RESULT_FMT,
			 RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "wrote") ?: "no", "yes", RESULT_FMT, RESULT_ARGS(r));

	char path[4200];
	snprintf(path, sizeof path, "%s/out.txt", ws);
	assert_host_file(path, "hello\n", harness_dir_owner(), harness_dir_group());
	snprintf(path, sizeof path, "%s/sub/f", ws);
	assert_host_file(path, "deep\n", harness_dir_owner(), harness_dir_group());
}

Test(fs, ro_bind_is_read_only_and_bind_is_writable)
{
	char *ro = tmpdir_make("ro");
	char *rw = tmpdir_make("rw");
	char *same = tmpdir_make("same");
	file_write(ro, "a.txt", "from-ro\n", 0644);
	file_write(same, "s.txt", "same-path\n", 0644);
	char ro_arg[4200], rw_arg[4200], script[8400];
	snprintf(ro_arg, sizeof ro_arg, "%s:/mnt/ro", ro);
	snprintf(rw_arg, sizeof rw_arg, "%s:/mnt/rw", rw);
	snprintf(script, sizeof script,
		 "echo roread=$(cat /mnt/ro/a.txt); echo same=$(cat '%s/s.txt');"
		 "echo rocreate=$(" JOB_HELPERS "/try-open /mnt/ro/new c);"
		 "echo samecreate=$(" JOB_HELPERS "/try-open '%s/new' c);"
		 "echo rwcreate=$(" JOB_HELPERS "/try-open /mnt/rw/new c);"
		 "echo data > /mnt/rw/file && echo rwwrite=yes",
		 same, same);

	struct brig_result r;
	BRIG(&r, "run", "--ro-bind", harness_helpers_bind(), "--ro-bind", ro_arg, "--ro-bind", same, "--bind", rw_arg,
	     "--", "/bin/sh", "-c", script);
	assert_ran(&r, "binds");
	cr_expect_str_eq(kv_get(r.out, "roread") ?: "?", "from-ro", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "same") ?: "?", "same-path", "--ro-bind SRC without DST" RESULT_FMT,
			 RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "rocreate") ?: "?", "EROFS", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "samecreate") ?: "?", "EROFS", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "rwcreate") ?: "?", "OK", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "rwwrite") ?: "no", "yes", RESULT_FMT, RESULT_ARGS(r));

	char path[4200];
	snprintf(path, sizeof path, "%s/file", rw);
	assert_host_file(path, "data\n", harness_dir_owner(), harness_dir_group());
	snprintf(path, sizeof path, "%s/new", ro);
	cr_assert(!exists(path), "a file appeared in the read-only source");
}

Test(fs, tmpfs_option)
{
	const char *dst = "/brig-it-scratch", *dst2 = "/brig-it-scratch2";
	bool host_had = exists(dst) || exists(dst2);
	char arg[64];
	snprintf(arg, sizeof arg, "%s:1M", dst);
	struct brig_result r;
	BRIG(&r, "run", "--tmpfs", arg, "--tmpfs", dst2, "--", "/bin/sh", "-c",
	     "echo x > /brig-it-scratch/f && echo x > /brig-it-scratch2/f && echo wrote=yes;"
	     "echo fs=$(stat -f -c %T /brig-it-scratch); echo fs2=$(stat -f -c %T /brig-it-scratch2);"
	     "echo bytes=$(( $(stat -f -c '%b * %S' /brig-it-scratch) ))");
	assert_ran(&r, "--tmpfs");
	cr_expect_str_eq(kv_get(r.out, "wrote") ?: "no", "yes", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "fs") ?: "?", "tmpfs", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "fs2") ?: "?", "tmpfs", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "bytes") ?: "?", "1048576", "size 1M" RESULT_FMT, RESULT_ARGS(r));
	if (!host_had)
		cr_assert(!exists(dst) && !exists(dst2), "the tmpfs mount point was created on the host");
}

Test(fs, chdir_option)
{
	struct brig_result r;
	BRIG(&r, "run", "--chdir", "/usr/share", "--", "/bin/pwd");
	assert_ran(&r, "--chdir");
	cr_assert_str_eq(r.out, "/usr/share\n", RESULT_FMT, RESULT_ARGS(r));

	char *ws = tmpdir_make("chdir");
	BRIG(&r, "run", "--workspace", ws, "--chdir", "/tmp", "--", "/bin/pwd");
	assert_ran(&r, "--chdir with --workspace");
	cr_assert_str_eq(r.out, "/tmp\n", "--chdir should win over the workspace" RESULT_FMT, RESULT_ARGS(r));
}

/* Mount options of every mount at /sys, read from the job's mountinfo. */
#define SYS_PROBE                                                                                                  \
	"echo entries=$(ls -A /sys 2>/dev/null | wc -l);"                                                          \
	"while read id parent dev root mp opts rest; do [ \"$mp\" = /sys ] && echo sysopts=$opts; done "           \
	"</proc/self/mountinfo;"                                                                                    \
	"echo create=$(" JOB_HELPERS "/try-open /sys/brig-it-new c)"

Test(fs, no_sys_by_default)
{
	struct brig_result r;
	BRIG(&r, "run", "--ro-bind", harness_helpers_bind(), "--", "/bin/sh", "-c", SYS_PROBE);
	assert_ran(&r, "/sys probe");
	cr_assert_str_eq(kv_get(r.out, "entries") ?: "?", "0", "/sys has content without --sys" RESULT_FMT,
			 RESULT_ARGS(r));
	cr_assert_eq(kv_count(r.out, "sysopts"), 0, "something is mounted at /sys" RESULT_FMT, RESULT_ARGS(r));
}

Test(fs, sys_option_is_read_only)
{
	struct stat st;
	if (stat("/sys/kernel", &st) < 0)
		harness_unavailable("the host has no sysfs at /sys");
	struct brig_result r;
	BRIG(&r, "run", "--sys", "--ro-bind", harness_helpers_bind(), "--", "/bin/sh", "-c", SYS_PROBE);
	assert_ran(&r, "/sys probe with --sys");
	cr_assert_neq(strtol(kv_get(r.out, "entries") ?: "0", NULL, 10), 0, "/sys is empty with --sys" RESULT_FMT,
		      RESULT_ARGS(r));
	cr_assert_gt(kv_count(r.out, "sysopts"), 0, "nothing mounted at /sys" RESULT_FMT, RESULT_ARGS(r));
	for (const char *l = strstr(r.out, "sysopts="); l; l = strstr(l + 1, "sysopts="))
		cr_assert(strncmp(l + 8, "ro,", 3) == 0 || strncmp(l + 8, "ro\n", 3) == 0,
			  "a /sys mount is not read-only" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "create") ?: "?", "EROFS", RESULT_FMT, RESULT_ARGS(r));
}

/* Masked entries either refuse to open or are empty stand-ins: reading
 * gives nothing, and opening for writing never reaches the real file. */
Test(fs, proc_sensitive_entries_unusable)
{
	static const char *const real_files[] = { "/proc/kcore", "/proc/sysrq-trigger" };
	for (size_t i = 0; i < 2; i++)
		if (!exists(real_files[i]))
			cr_log_info("%s does not exist on this host: its check is weaker", real_files[i]);
	struct brig_result r;
	BRIG(&r, "run", "--ro-bind", harness_helpers_bind(), "--", "/bin/sh", "-c",
	     "echo kcore=$(" JOB_HELPERS "/try-open /proc/kcore r);"
	     "echo sysrq=$(" JOB_HELPERS "/try-open /proc/sysrq-trigger w);"
	     "echo self=$(" JOB_HELPERS "/try-open /proc/self/status r)");
	assert_ran(&r, "/proc probe");
	/* A control: /proc is there and readable, so refusals mean something. */
	cr_assert(strncmp(kv_get(r.out, "self") ?: "?", "OK ", 3) == 0, "/proc is not mounted" RESULT_FMT,
		  RESULT_ARGS(r));
	char *kcore = kv_get(r.out, "kcore") ?: strdup("?");
	cr_expect(kcore[0] == 'E' || strcmp(kcore, "OK 0") == 0, "/proc/kcore is readable: %s" RESULT_FMT, kcore,
		  RESULT_ARGS(r));
	char *sysrq = kv_get(r.out, "sysrq") ?: strdup("?");
	cr_expect(sysrq[0] == 'E' || strcmp(sysrq, "OK chr") == 0, "/proc/sysrq-trigger is writable: %s" RESULT_FMT,
		  sysrq, RESULT_ARGS(r));
}

Test(fs, etc_has_no_host_secrets)
{
	if (!exists("/etc/shadow"))
		cr_log_info("the host has no /etc/shadow: the check cannot tell copying from absence");
	struct brig_result r;
	BRIG(&r, "run", "--", "/bin/sh", "-c",
	     "for f in shadow gshadow shadow- sudoers ssh machine-id; do [ -e /etc/$f ] && echo present=$f; done;"
	     "echo root=$(grep -c '^root:' /etc/passwd)");
	assert_ran(&r, "/etc probe");
	cr_assert_eq(kv_count(r.out, "present"), 0, "host secrets in the job's /etc" RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "root") ?: "?", "1", "/etc/passwd lacks root" RESULT_FMT, RESULT_ARGS(r));
}

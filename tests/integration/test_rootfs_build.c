/* rootfs/mkrootfs: trees from tarballs, extracted safely, and a Debian
 * tree through debootstrap that jobs run on. The Debian tree is slow to
 * build, so it is kept between runs in DEBIAN_TREE (rebuilt when missing
 * or built differently). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define DEBIAN_TREE "/var/cache/brig-test/debian-bookworm"
#define DEBIAN_PACKAGES "gcc"

BRIG_SUITE(mkrootfs);
/* debootstrap: minutes the first time, on a cold mirror. */
TestSuite(mkrootfs_debian, .init = harness_setup, .fini = harness_teardown, .timeout = 1800);

static const char *mkrootfs(void)
{
	const char *m = getenv("BRIG_MKROOTFS");
	return m && *m ? m : "rootfs/mkrootfs";
}

/* Runs a shell command; its exit code, with stdout+stderr in *out. */
static int sh(char **out, const char *fmt, ...)
{
	char cmd[16384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	char *full = NULL;
	cr_assert(asprintf(&full, "{ %s ; } 2>&1", cmd) > 0);
	FILE *p = popen(full, "r");
	cr_assert_not_null(p);
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	char line[4096];
	while (fgets(line, sizeof line, p))
		fputs(line, o);
	int st = pclose(p);
	fclose(o);
	free(full);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A tarball that tries everything: an absolute path, a link out of the
 * tree and a write through it, device nodes, a set-user-ID file, and a
 * hard link; and one that climbs out with "..". Names carry the test's
 * marker, so a leak onto the host is unambiguous. */
static void make_tarballs(const char *dir, const char *bb_tree)
{
	char *out = NULL;
	int rc = sh(&out,
		    "cd '%s' && python3 - '%s' <<'PY'\n"
		    "import io, sys, tarfile\n"
		    "m = sys.argv[1]\n"
		    "def add(tf, name, kind=tarfile.REGTYPE, data=b'', mode=0o644, link='', dev=(0, 0)):\n"
		    "    ti = tarfile.TarInfo(name); ti.type = kind; ti.mode = mode; ti.linkname = link\n"
		    "    ti.devmajor, ti.devminor = dev\n"
		    "    ti.size = len(data) if kind == tarfile.REGTYPE else 0\n"
		    "    tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)\n"
		    "with tarfile.open('evil.tar', 'w') as tf:\n"
		    "    add(tf, 'bin', tarfile.DIRTYPE, mode=0o755)\n"
		    "    add(tf, '/abs-' + m, data=b'abs\\n')\n"
		    "    add(tf, 'out', tarfile.SYMTYPE, link='../../../../../../tmp')\n"
		    "    add(tf, 'out/through-' + m, data=b'through\\n')\n"
		    "    add(tf, 'etc-link', tarfile.SYMTYPE, link='/etc')\n"
		    "    add(tf, 'sda', tarfile.BLKTYPE, mode=0o666, dev=(8, 0))\n"
		    "    add(tf, 'mem', tarfile.CHRTYPE, mode=0o666, dev=(1, 1))\n"
		    "    add(tf, 'suid', data=b'#!/bin/sh\\n', mode=0o4755)\n"
		    "    add(tf, 'sgid', data=b'#!/bin/sh\\n', mode=0o2755)\n"
		    "    add(tf, 'hard', tarfile.LNKTYPE, link='suid')\n"
		    "with tarfile.open('dotdot.tar', 'w') as tf:\n"
		    "    add(tf, 'fine', data=b'x')\n"
		    "    add(tf, '../../dotdot-' + m, data=b'x')\n"
		    "with tarfile.open('hardout.tar', 'w') as tf:\n"
		    "    add(tf, 'shadow', tarfile.LNKTYPE, link='/etc/shadow')\n"
		    "PY\n"
		    "tar -C '%s' -czf bb.tar.gz .",
		    dir, harness_marker(), bb_tree);
	if (rc != 0 && sh(NULL, "command -v python3") != 0)
		harness_unavailable("python3 is needed to build the test tarballs");
	cr_assert_eq(rc, 0, "%s", out);
}

static bool exists(const char *fmt, const char *a, const char *b)
{
	char path[4400];
	struct stat st;
	snprintf(path, sizeof path, fmt, a, b);
	return lstat(path, &st) == 0;
}

Test(mkrootfs, from_tar_neutralises_or_refuses_a_malicious_tarball)
{
	char *dir = tmpdir_make("tar");
	char *out = NULL;
	char bb[4200];
	snprintf(bb, sizeof bb, "%s/bb", dir);
	cr_assert_eq(sh(&out, "'%s' busybox '%s'", mkrootfs(), bb), 0, "%s", out);
	make_tarballs(dir, bb);
	const char *m = harness_marker();

	int rc = sh(&out, "cd '%s' && '%s' from-tar tree evil.tar", dir, mkrootfs());
	cr_assert_eq(rc, 0, "%s", out);
	cr_expect_not_null(strstr(out, "device nodes left out: 2"), "%s", out);
	cr_expect_not_null(strstr(out, "set-user-ID/set-group-ID bits removed"), "%s", out);
	cr_expect(exists("%s/tree/abs-%s", dir, m), "the absolute member was not made relative");
	cr_expect(!exists("/abs-%s%s", m, ""), "an absolute member reached the host's /");
	cr_expect(!exists("/tmp/through-%s%s", m, ""), "a member was written through a link out of the tree");
	cr_expect(!exists("%s/tree/sda%s", dir, ""), "a block device was extracted");
	cr_expect(!exists("%s/tree/mem%s", dir, ""), "a character device was extracted");
	char path[4400], target[4400];
	snprintf(path, sizeof path, "%s/tree/suid", dir);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & (S_ISUID | S_ISGID), 0, "set-user-ID kept: %o", st.st_mode);
	snprintf(path, sizeof path, "%s/tree/sgid", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & (S_ISUID | S_ISGID), 0, "set-group-ID kept: %o", st.st_mode);
	/* Every link, resolved on the host, stays in the tree. */
	for (const char *l = "out\0etc-link\0"; *l; l += strlen(l) + 1) {
		snprintf(path, sizeof path, "%s/tree/%s", dir, l);
		ssize_t n = readlink(path, target, sizeof target - 1);
		cr_assert_gt(n, 0, "%s: %s", path, strerror(errno));
		target[n] = '\0';
		cr_expect_neq(target[0], '/', "%s -> %s is absolute", l, target);
		char *real = realpath(path, NULL), *base = NULL;
		snprintf(path, sizeof path, "%s/tree", dir);
		base = realpath(path, NULL);
		if (real)
			cr_expect_eq(strncmp(real, base, strlen(base)), 0, "%s -> %s leaves the tree", l, real);
	}

	rc = sh(&out, "cd '%s' && '%s' from-tar tree evil.tar", dir, mkrootfs());
	cr_assert_eq(rc, 0, "%s", out);
	cr_expect_not_null(strstr(out, "up to date"), "not idempotent: %s", out);

	rc = sh(&out, "cd '%s' && '%s' from-tar kept evil.tar --keep-setuid", dir, mkrootfs());
	cr_assert_eq(rc, 0, "%s", out);
	snprintf(path, sizeof path, "%s/kept/suid", dir);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_neq(st.st_mode & S_ISUID, 0, "--keep-setuid dropped the bit");

	rc = sh(&out, "cd '%s' && '%s' from-tar up dotdot.tar", dir, mkrootfs());
	cr_assert_neq(rc, 0, "a '..' member was accepted: %s", out);
	cr_expect_not_null(strstr(out, "climbs out"), "%s", out);
	cr_expect(!exists("%s/up%s", dir, ""), "a refused tarball left a tree");
	cr_expect(!exists("%s/up.partial%s", dir, ""), "a refused tarball left a partial tree");
	cr_expect(!exists("/var/dotdot-%s%s", m, ""), "a '..' member reached the host");

	rc = sh(&out, "cd '%s' && '%s' from-tar hard hardout.tar", dir, mkrootfs());
	cr_assert_neq(rc, 0, "a hard link to a host file was accepted: %s", out);
	cr_expect(!exists("%s/hard%s", dir, ""), "a refused tarball left a tree");
}

/* An exported tree comes back as a tree jobs run on. */
Test(mkrootfs, from_tar_of_a_busybox_tree_runs_a_job)
{
	char *dir = tmpdir_make("tarbb");
	char *out = NULL;
	char bb[4200], tree[4200];
	snprintf(bb, sizeof bb, "%s/bb", dir);
	snprintf(tree, sizeof tree, "%s/tree", dir);
	cr_assert_eq(sh(&out, "'%s' busybox '%s'", mkrootfs(), bb), 0, "%s", out);
	make_tarballs(dir, bb);
	cr_assert_eq(sh(&out, "cd '%s' && '%s' from-tar tree bb.tar.gz", dir, mkrootfs()), 0, "%s", out);
	if (harness_unprivileged())
		cr_assert_eq(sh(&out, "chown -R %u '%s'", (unsigned)harness_brig_uid(), tree), 0, "%s", out);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", tree, "--", "sh", "-c", "echo hello > /usr/x && cat /usr/x && busybox | head -1");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_not_null(strstr(r.out, "hello\nBusyBox"), RESULT_FMT, RESULT_ARGS(r));
}

Test(mkrootfs, bad_requests_fail_clearly)
{
	char *dir = tmpdir_make("bad");
	char *out = NULL;
	cr_assert_eq(sh(&out, "'%s' nonsense '%s/x'", mkrootfs(), dir), 2, "%s", out);
	cr_expect_not_null(strstr(out, "usage:"), "%s", out);
	cr_assert_neq(sh(&out, "'%s' from-tar '%s/x' '%s/missing.tar'", mkrootfs(), dir, dir), 0, "%s", out);
	cr_expect_not_null(strstr(out, "missing.tar: no such file"), "%s", out);
	cr_assert_neq(sh(&out, "'%s' debian '%s/x' --suite 'a b'", mkrootfs(), dir), 0, "%s", out);
	cr_expect_not_null(strstr(out, "not a suite name"), "%s", out);
}

/* The Debian tree, built once (rootfs/mkrootfs is idempotent: an up to
 * date tree costs nothing), then used by jobs. */
Test(mkrootfs_debian, a_debian_tree_runs_apt_gcc_and_a_script)
{
	char *out = NULL;
	char stamp[4096] = "";
	FILE *f = fopen(DEBIAN_TREE "/.brig-rootfs", "re");
	if (f) {
		if (!fgets(stamp, sizeof stamp, f))
			stamp[0] = '\0';
		fclose(f);
	}
	if (!strstr(stamp, "include=" DEBIAN_PACKAGES " ")) {
		if (sh(NULL, "command -v debootstrap") != 0)
			harness_unavailable("debootstrap is not installed (make deps)");
		if (sh(&out, "'%s' mirror", mkrootfs()) != 0)
			harness_not_on_this_host("no Debian mirror in the apt sources: %s", out);
		out[strcspn(out, "\n")] = '\0';
		char *mirror = out;
		/* No network is no missing kernel feature or tool: a skip even
		 * under BRIG_MUST_WORK (the VM guest has no network at all). */
		if (sh(NULL, "curl -sfI --max-time 20 '%s/dists/bookworm/Release' >/dev/null", mirror) != 0)
			harness_not_on_this_host("the Debian mirror %s is unreachable and %s is not built", mirror,
						 DEBIAN_TREE);
	}
	int rc = sh(&out, "mkdir -p \"$(dirname '%s')\" && '%s' debian '%s' --include " DEBIAN_PACKAGES, DEBIAN_TREE,
		    mkrootfs(), DEBIAN_TREE);
	cr_assert_eq(rc, 0, "mkrootfs debian failed:\n%s", out);

	char *ws = tmpdir_make("debws");
	char *script = file_write(ws, "job.sh",
				  "#!/bin/sh\nset -eu\ncd /tmp\n"
				  "printf 'int answer(void) { return 42; }\\n' > a.c\n"
				  "gcc -c a.c -o a.o\n[ -s a.o ] && echo compiled=yes\n"
				  "n=0; for i in 1 2 3; do n=$((n + i)); done; echo sum=$n\n"
				  "echo packages=$(dpkg-query -W | wc -l)\n",
				  0755);
	(void)script;
	/* At a mount point the tree has: unprivileged, brig cannot make one in
	 * a tree that root owns. */
	char bind[4200];
	snprintf(bind, sizeof bind, "%s:/mnt", ws);
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", DEBIAN_TREE, "--ro-bind", bind, "--", "sh", "-c",
	     "apt-get --version | head -n1; gcc --version | head -n1; sh /mnt/job.sh");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect_not_null(strstr(r.out, "apt "), RESULT_FMT, RESULT_ARGS(r));
	cr_expect_not_null(strstr(r.out, "gcc (Debian"), RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "compiled") ?: "?", "yes", RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(kv_get(r.out, "sum") ?: "?", "6", RESULT_FMT, RESULT_ARGS(r));
	char *packages = kv_get(r.out, "packages");
	cr_expect(packages && atoi(packages) > 50, "dpkg sees %s packages" RESULT_FMT, packages ?: "no",
		  RESULT_ARGS(r));
}

/* --rootfs: a prepared tree instead of the host's /usr. The tree is made
 * here from the host's own shell and the libraries it links, so the test
 * needs nothing but what the host runs. */
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
	return tree;
}

static char *listing(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "cd '%s' && find . | sort", dir);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	char line[4096];
	while (fgets(line, sizeof line, p))
		fputs(line, out);
	pclose(p);
	fclose(out);
	return buf;
}

Test(rootfs, job_runs_on_the_tree_read_only)
{
	char *tree = make_tree();
	char *before = listing(tree);
	struct brig_result r;
	/* dash builtins only: the tree has nothing else. */
	BRIG(&r, "run", "--rootfs", tree, "--", "/bin/sh", "-c",
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

Test(rootfs, missing_tree_is_refused)
{
	struct brig_result r;
	BRIG(&r, "run", "--rootfs", "/nonexistent-brig-tree", "--", "/bin/sh", "-c", "true");
	cr_assert_eq(r.status, 125, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_eq(line_count(r.err), 1, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_not_null(strstr(r.err, "--rootfs /nonexistent-brig-tree"), RESULT_FMT, RESULT_ARGS(r));
}

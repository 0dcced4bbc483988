/* Real build work under the default syscall policy: compilers, build
 * tools, version control, interpreters, archivers. Each must work, in a
 * workspace, without a single refused call: a refusal an ordinary tool
 * meets would be noise in every job's log, or a build that fails. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(workloads);

/* The job sees the host's /usr: a tool missing there is missing inside. */
static void need(const char *tool)
{
	char path[256];
	snprintf(path, sizeof path, "/usr/bin/%s", tool);
	if (access(path, X_OK) != 0)
		harness_unavailable("%s is not installed on this host", path);
}

struct workload {
	struct brig_result r;
	char *ws; /* the workspace on the host */
};

/* Runs script with sh in a fresh workspace (prepare: files to put there
 * first, NULL-terminated name/content pairs) and checks that it exited 0
 * and that nothing was refused. */
static void run_in_workspace(struct workload *w, const char *const *prepare, const char *script)
{
	w->ws = tmpdir_make("work");
	for (; prepare && prepare[0]; prepare += 2)
		file_write(w->ws, prepare[0], prepare[1], 0644);
	char *dir = tmpdir_make("workstatus");
	char status[4200];
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	struct brig_opts o = { .limit_s = 90 };
	brig_run(&w->r, &o,
		 BRIG_ARGS("run", "--workspace", w->ws, "--status-file", status, "--", "/bin/sh", "-c", script));
	cr_assert_eq(w->r.status, 0, "the job failed" RESULT_FMT, RESULT_ARGS(w->r));
	cr_assert_null(strstr(w->r.err, "brig: denied"), "a call was refused" RESULT_FMT, RESULT_ARGS(w->r));
	char *text = file_read(status);
	char *exited = text ? json_event_line(text, "exited") : NULL;
	cr_assert(exited, "no exited event in the status file" RESULT_FMT, RESULT_ARGS(w->r));
	cr_assert_str_eq(json_value(exited, "denials") ?: "?", "0", "%s", exited);
}

static void expect_kv(const struct workload *w, const char *key, const char *want)
{
	cr_assert_str_eq(kv_get(w->r.out, key) ?: "(not printed)", want, "%s" RESULT_FMT, key, RESULT_ARGS(w->r));
}

static const char hello_c[] = "#include <pthread.h>\n"
			      "#include <stdio.h>\n"
			      "static void *work(void *p) { *(int *)p = 42; return NULL; }\n"
			      "int main(void)\n"
			      "{\n"
			      "\tint v = 0;\n"
			      "\tpthread_t t;\n"
			      "\tpthread_create(&t, NULL, work, &v);\n"
			      "\tpthread_join(t, NULL);\n"
			      "\tprintf(\"hello=%d\\n\", v);\n"
			      "\treturn 0;\n"
			      "}\n";

Test(workloads, gcc_builds_and_runs, .timeout = 120)
{
	need("gcc");
	struct workload w;
	run_in_workspace(&w, (const char *const[]){ "hello.c", hello_c, NULL },
			 "gcc -O2 -Wall -Werror -pthread -o hello hello.c && ./hello");
	expect_kv(&w, "hello", "42");
}

Test(workloads, make_builds_and_runs, .timeout = 120)
{
	need("make");
	need("gcc");
	static const char makefile[] = "CFLAGS = -O2 -Wall -pthread\n"
				       "hello: hello.o\n"
				       "\t$(CC) $(CFLAGS) -o $@ $^\n"
				       "check: hello\n"
				       "\t./hello\n";
	struct workload w;
	run_in_workspace(&w, (const char *const[]){ "hello.c", hello_c, "Makefile", makefile, NULL },
			 "make -s -j2 CC=gcc check && make -q CC=gcc hello && echo uptodate=yes");
	expect_kv(&w, "hello", "42");
	/* Timestamps work: a second make has nothing to do. */
	expect_kv(&w, "uptodate", "yes");
	char path[4200];
	snprintf(path, sizeof path, "%s/hello", w.ws);
	cr_assert_eq(access(path, X_OK), 0, "the binary is not in the workspace on the host");
}

Test(workloads, git_init_commit_log, .timeout = 120)
{
	need("git");
	struct workload w;
	run_in_workspace(&w, NULL,
			 "set -e; git init -q -b main repo; cd repo;"
			 "git config user.name 'A Builder'; git config user.email builder@example.invalid;"
			 "echo one > f; git add f; git commit -q -m first;"
			 "echo two >> f; git commit -q -a -m second;"
			 "echo log=$(git log --format=%s | tr '\\n' ' ');"
			 "echo count=$(git rev-list --count HEAD); echo clean=$(git status --porcelain | wc -l)");
	expect_kv(&w, "log", "second first");
	expect_kv(&w, "count", "2");
	expect_kv(&w, "clean", "0");
}

Test(workloads, python_threads_and_subprocesses, .timeout = 120)
{
	need("python3");
	static const char script[] = "import concurrent.futures, multiprocessing, subprocess, threading\n"
				     "def square(n):\n"
				     "    return n * n\n"
				     "with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:\n"
				     "    print('threads=%d' % sum(ex.map(square, range(10))))\n"
				     "out = subprocess.run(['sh', '-c', 'echo child'], capture_output=True, text=True,\n"
				     "                     check=True)\n"
				     "print('subprocess=' + out.stdout.strip())\n"
				     "with multiprocessing.Pool(2) as pool:\n"
				     "    print('pool=%d' % sum(pool.map(square, range(5))))\n";
	struct workload w;
	run_in_workspace(&w, (const char *const[]){ "job.py", script, NULL }, "python3 job.py");
	expect_kv(&w, "threads", "285");
	expect_kv(&w, "subprocess", "child");
	expect_kv(&w, "pool", "30");
}

Test(workloads, tar_gzip_xz_round_trip, .timeout = 120)
{
	need("tar");
	need("gzip");
	need("xz");
	struct workload w;
	run_in_workspace(&w, NULL,
			 "set -e; mkdir -p src/sub; seq 1 20000 > src/numbers; echo hi > src/sub/hi;"
			 "tar -czf a.tgz src; tar -cJf a.txz src;"
			 "gzip -t a.tgz; xz -t a.txz;"
			 "mkdir gz xz; tar -xzf a.tgz -C gz; tar -xJf a.txz -C xz;"
			 "cmp src/numbers gz/src/numbers; cmp src/numbers xz/src/numbers;"
			 "cmp src/sub/hi gz/src/sub/hi; cmp src/sub/hi xz/src/sub/hi;"
			 "gzip -k src/numbers; gzip -dc src/numbers.gz | cmp - src/numbers;"
			 "echo roundtrip=ok");
	expect_kv(&w, "roundtrip", "ok");
}

/* Started only: the job has no network. */
Test(workloads, curl_starts, .timeout = 120)
{
	need("curl");
	struct workload w;
	run_in_workspace(&w, NULL, "curl --version > v; echo first=$(head -n 1 v | cut -d' ' -f1)");
	expect_kv(&w, "first", "curl");
}

Test(workloads, openssl_starts, .timeout = 120)
{
	need("openssl");
	struct workload w;
	run_in_workspace(&w, NULL,
			 "openssl version > v; echo first=$(head -n 1 v | cut -d' ' -f1);"
			 "echo digest=$(printf abc | openssl dgst -sha256 -r | cut -d' ' -f1)");
	expect_kv(&w, "first", "OpenSSL");
	expect_kv(&w, "digest", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(workloads, find_sed_awk_sort, .timeout = 120)
{
	need("find");
	need("sed");
	need("awk");
	need("sort");
	struct workload w;
	run_in_workspace(&w, NULL,
			 "set -e; mkdir -p t/a t/b; printf '3\\n1\\n' > t/a/x.txt; printf '2\\n' > t/b/y.txt; touch t/b/z.log;"
			 "echo files=$(find t -type f -name '*.txt' | sort | tr '\\n' ' ');"
			 "echo sorted=$(cat t/a/x.txt t/b/y.txt | sort -n | tr '\\n' ' ');"
			 "echo sum=$(cat t/a/x.txt t/b/y.txt | awk '{ s += $1 } END { print s }');"
			 "echo renamed=$(find t -name '*.log' | sed 's/[.]log$/.txt/')");
	expect_kv(&w, "files", "t/a/x.txt t/b/y.txt");
	expect_kv(&w, "sorted", "1 2 3");
	expect_kv(&w, "sum", "6");
	expect_kv(&w, "renamed", "t/b/z.txt");
}

/* ---- what CI scripts do as root, compared with the same command bare ---- */

/* Runs script bare (sh -c in a fresh directory, as the test's user) and in
 * brig (the default profile, the same script in a fresh workspace): same
 * exit status and output. */
static void same_as_bare(const char *script)
{
	char *bare_dir = tmpdir_make("bare");
	char cmd[8192];
	int bare_status = 0;
	snprintf(cmd, sizeof cmd, "cd '%s' && sh -c '%s' 2>&1", bare_dir, script);
	char *bare = command_output(cmd, &bare_status);
	char *ws = tmpdir_make("inbrig");
	char profile[512];
	snprintf(profile, sizeof profile, "%s/default", getenv("BRIG_PROFILES") ?: "profiles");
	struct brig_result r;
	struct brig_opts o = { .limit_s = 120 };
	brig_run(&r, &o, BRIG_ARGS("run", "--profile", profile, "--quiet", "--workspace", ws, "--", "/bin/sh", "-c",
				   script));
	cr_assert_eq(r.status, WEXITSTATUS(bare_status), "bare exited %d:\n%s" RESULT_FMT, WEXITSTATUS(bare_status),
		     bare, RESULT_ARGS(r));
	cr_assert_str_eq(r.out, bare, "output differs from bare" RESULT_FMT, RESULT_ARGS(r));
}

Test(workloads, tarball_with_foreign_owners_as_bare, .timeout = 120)
{
	harness_need_root("bare, only root restores other owners");
	same_as_bare("set -e; mkdir -p s/d; echo x > s/d/f; tar --owner=1000 --group=1000 -czf t.tgz -C s .; "
		     "mkdir o; tar xzf t.tgz -C o; stat -c \"%u:%g %n\" o/d o/d/f; mkdir /tmp/o$$; "
		     "tar xzf t.tgz -C /tmp/o$$; stat -c \"%u:%g\" /tmp/o$$/d/f; rm -rf /tmp/o$$");
}

Test(workloads, chown_recursive_as_bare, .timeout = 120)
{
	harness_need_root("bare, only root gives files away");
	same_as_bare("set -e; mkdir -p a/b; touch a/b/c; chown -R 4242:4243 a; find a -printf \"%U:%G %p\\n\" | sort");
}

Test(workloads, setpriv_to_an_unprivileged_user_as_bare, .timeout = 120)
{
	harness_need_root("bare, only root switches users");
	need("setpriv");
	same_as_bare("setpriv --reuid=1000 --regid=1000 --clear-groups id -u; "
		     "setpriv --reuid=1000 --regid=1000 --clear-groups sh -c \"touch /root/x\" 2>/dev/null; echo rc=$?");
}

Test(workloads, python_multiprocessing_as_bare, .timeout = 120)
{
	need("python3");
	same_as_bare("python3 -c \"import multiprocessing as m\nwith m.Pool(4) as p: print(sum(p.map(abs, range(-1000, 1000))))\"");
}

/* git's t0001 `init --shared=group`: the set-group-ID bit on the
 * repository's directories (a refused chmod used to end it with "Could not
 * make .git/hooks/ writable by group", exit 128). The commit's dates are
 * fixed: the count of object directories depends on the objects' names, and
 * a commit made in another second than the bare one is another object, whose
 * name shares its first two digits with the blob's or the tree's about once
 * in a hundred runs. */
Test(workloads, git_init_shared_group_as_bare, .timeout = 120)
{
	need("git");
	same_as_bare("set -e; export GIT_AUTHOR_DATE=2000-01-01T00:00:00+0000 GIT_COMMITTER_DATE=2000-01-01T00:00:00+0000;"
		     "git init -q --shared=group r; git -C r config core.sharedRepository;"
		     "stat -c \"%A %n\" r/.git r/.git/objects r/.git/refs r/.git/hooks;"
		     "cd r; echo a > a; git add a; git -c user.name=n -c user.email=n@example.org commit -q -m m;"
		     "find .git/objects -mindepth 1 -maxdepth 1 -type d -name \"??\" -perm -2000 | wc -l | tr -d \" \"");
}

/* A clone from a local bare repository, as a CI checkout does from a
 * mirror: the same history and files as bare. */
Test(workloads, git_clone_from_a_local_bare_repository_as_bare, .timeout = 120)
{
	need("git");
	same_as_bare("set -e; export GIT_CONFIG_NOSYSTEM=1 HOME=$PWD; git init -q -b main src; cd src;"
		     "echo one > f; git add f; git -c user.name=n -c user.email=n@example.org commit -q -m first;"
		     "echo two >> f; git -c user.name=n -c user.email=n@example.org commit -q -a -m second; cd ..;"
		     "git clone -q --bare src mirror.git; git clone -q mirror.git work; cd work;"
		     "git log --format=%s | tr \"\\n\" \" \"; echo; cat f; git status --porcelain | wc -l | tr -d \" \"");
}

/* A test and its outcome, "[PASS] suite::name", from a verbose Criterion
 * log: every test that ran or was skipped by its own judgment (not the
 * disabled ones the unit suite's filter leaves out). */
#define OUTCOMES(log) \
	"grep -E '^\\[(PASS|FAIL|SKIP)\\] ' '" log "' | grep -v 'Test is disabled$' | sed 's/: .*//' | sort"

/* brig itself, as a CI job builds it: the checkout copied into a
 * workspace, `make` and the unit suite as root inside brig under the
 * default profile; then the same unit binary bare on the host (with a
 * clean environment, as the job has: Criterion's own variables of this
 * suite make a nested Criterion binary abort), and a bare
 * `make` of the same targets, which must compile nothing: the build is
 * complete and up to date as make sees it from outside. Every unit test
 * passes in both, and none skips inside that runs bare: openat2 answers
 * ENOSYS under the default policy, and brig's path resolution beneath a
 * directory then runs in user space (lib/resolve.c), so the hook's
 * response file, the --rootfs check and the Alpine detection are tested
 * inside too. Measured: 194 s and 294 s for the job at load averages of
 * 7 to 14 on two cores (about 2 min of CPU). */
Test(workloads, brig_builds_and_passes_its_unit_suite_inside_brig_as_bare, .timeout = 2400)
{
	harness_need_root("one run is enough: the build does not depend on brig's user");
	const char *flag = getenv("BRIG_SELF_BUILD");
	if (flag && strcmp(flag, "0") == 0)
		harness_not_on_this_host("the self-build is not part of this run (BRIG_SELF_BUILD=0)");
	need("make");
	need("gcc");
	need("pkg-config");
	char src[4096];
	cr_assert(getcwd(src, sizeof src));
	char probe[4200];
	snprintf(probe, sizeof probe, "%s/src/main.c", src);
	if (access(probe, R_OK) != 0)
		harness_unavailable("the suite does not run from a brig checkout (no %s)", probe);
	char *ws = tmpdir_make("selfbuild");
	char cmd[16384];
	snprintf(cmd, sizeof cmd,
		 "tar -C '%s' -c --exclude=./build --exclude=./.git . | tar -C '%s' -x && chown -R %u:%u '%s'", src, ws,
		 (unsigned)harness_dir_owner(), (unsigned)harness_dir_group(), ws);
	int st = 0;
	free(command_output(cmd, &st));
	cr_assert_eq(st, 0, "copying the checkout failed: %s", cmd);

	char profile[512];
	snprintf(profile, sizeof profile, "%s/default", getenv("BRIG_PROFILES") ?: "profiles");
	struct brig_result r;
	struct brig_opts o = { .limit_s = 2000 };
	long long t0 = now_ms();
	brig_run(&r, &o,
		 BRIG_ARGS("run", "--profile", profile, "--quiet", "--workspace", ws, "--", "/bin/sh", "-c",
			   "make -j2 > make.log 2>&1 && make -j2 build/tests/unit >> make.log 2>&1; echo make=$?;"
			   " build/tests/unit --verbose > unit-inside.log 2>&1;"
			   " echo unit=$?; tail -n 20 make.log"));
	cr_log_info("make and the unit suite inside brig: %.1f s", (double)(now_ms() - t0) / 1000);
	char *v = kv_get(r.out, "make");
	cr_assert_str_eq(v ?: "?", "0", "make failed inside" RESULT_FMT, RESULT_ARGS(r));
	free(v);

	snprintf(cmd, sizeof cmd, "cd '%s' && echo bare_rebuilt=$(make build/brig build/tests/unit 2>&1 | grep -c '^cc '); env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root"
		 " build/tests/unit --verbose < /dev/null > unit-bare.log 2>&1;"
		 " echo bare_unit=$?; " OUTCOMES("unit-inside.log") " > inside; " OUTCOMES("unit-bare.log") " > bare;"
		 " echo inside_fail=$(grep -c '^\\[FAIL\\]' inside); echo bare_fail=$(grep -c '^\\[FAIL\\]' bare);"
		 " echo tests=$(wc -l < inside)/$(wc -l < bare);"
		 " echo names=$(sed 's/^[^ ]* //' inside | sort | cmp -s - <(sed 's/^[^ ]* //' bare | sort) && echo same || echo differ);"
		 " echo skipped_inside=$(comm -13 bare inside | grep -c '^\\[SKIP\\]');"
		 " comm -3 bare inside | head -20",
		 ws);
	char *script = file_write(ws, "compare.sh", cmd, 0644);
	snprintf(probe, sizeof probe, "bash '%s'", script);
	char *bare = command_output(probe, NULL);
	v = kv_get(r.out, "unit");
	char *bare_unit = kv_get(bare, "bare_unit");
	cr_expect_str_eq(v ?: "?", bare_unit ?: "?", "the unit suite's status inside and bare:\n%s" RESULT_FMT, bare,
			 RESULT_ARGS(r));
	cr_expect_str_eq(bare_unit ?: "?", "0", "%s", bare);
	cr_expect_str_eq(kv_get(bare, "bare_rebuilt") ?: "?", "0", "bare make rebuilt what brig built:\n%s", bare);
	cr_expect_str_eq(kv_get(bare, "inside_fail") ?: "?", "0", "unit tests fail inside brig:\n%s", bare);
	cr_expect_str_eq(kv_get(bare, "names") ?: "?", "same", "not the same tests inside and bare:\n%s", bare);
	cr_expect_str_eq(kv_get(bare, "skipped_inside") ?: "?", "0", "unit tests skip inside brig but run bare:\n%s", bare);
	char *tests = kv_get(bare, "tests");
	cr_expect(tests && atoi(tests) > 500, "too few unit tests ran: %s\n%s", tests ?: "?", bare);
	cr_log_info("unit tests inside/bare: %s; skipped inside only: %s", tests ?: "?",
		    kv_get(bare, "skipped_inside") ?: "?");
}

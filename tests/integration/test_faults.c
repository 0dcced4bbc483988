/* Fault injection: supervisors killed with SIGKILL at random points of
 * their start and run, over many jobs of every kind (no network, veth,
 * overlay, terminal), and then nothing of any of them may be left on the
 * host once the janitors have run and `brig gc` has swept: no process, no
 * mount, no cgroup directory, no veth link, no firewall chain or map
 * element, no lease, no overlay directory, no job record.
 *
 * What concurrent tests of the same run hold is told apart three ways:
 * what names a job still running (a populated cgroup, a lease or job
 * record a live brig holds locked) is theirs, however long they run (the
 * one-million-refusal test runs for minutes beside this one under load);
 * a cgroup, lease or record made after the last of this test's
 * supervisors was reaped is theirs (a test that kills a supervisor and
 * its janitor leaves an empty cgroup that gc takes only at 60 s); anything
 * else that appeared during this test must go within the settle time; a
 * leftover never goes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(faults);

enum kind { K_NONE, K_VETH, K_OVERLAY, K_PTY, N_KINDS };
static const char *const kind_name[N_KINDS] = { "none", "veth", "overlay", "pty" };

/* ---- what the host holds, as sets of strings ---- */

struct names {
	char **v;
	size_t n;
};

static void names_add(struct names *s, const char *what, const char *name)
{
	s->v = realloc(s->v, (s->n + 1) * sizeof *s->v);
	cr_assert(s->v);
	cr_assert(asprintf(&s->v[s->n++], "%s %s", what, name) > 0);
}

static bool names_has(const struct names *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return true;
	return false;
}

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void add_dir(struct names *s, const char *what, const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && (!prefix || strncmp(e->d_name, prefix, strlen(prefix)) == 0))
			names_add(s, what, e->d_name);
	if (d)
		closedir(d);
}

/* Subdirectories of brig's cgroup parent, at any depth. */
static void add_cgroups(struct names *s, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		char sub[4200], subrel[4200];
		snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
		snprintf(subrel, sizeof subrel, "%s%s/", rel, e->d_name);
		names_add(s, "cgroup", subrel);
		add_cgroups(s, sub, subrel);
	}
	if (d)
		closedir(d);
}

/* Lines of brig's firewall naming a job: its chains and map elements. */
static void add_firewall(struct names *s)
{
	FILE *f = popen("nft list ruleset 2>/dev/null", "r");
	char line[1024];
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		const char *t = line + strspn(line, " \t");
		if (strstr(t, "job-") || strstr(t, "jobin-"))
			names_add(s, "nft", t);
	}
	if (f)
		pclose(f);
}

/* Whether /proc/PID/FILE holds needle (NULs read as spaces). */
static bool proc_file_has(const char *pid, const char *file, const char *needle, char *text, size_t len)
{
	char path[300];
	snprintf(path, sizeof path, "/proc/%s/%s", pid, file);
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(text, 1, len - 1, f) : 0;
	if (f)
		fclose(f);
	for (size_t i = 0; i < n; i++)
		if (text[i] == '\0')
			text[i] = ' ';
	text[n] = '\0';
	return needle && strstr(text, needle);
}

/* A retitled process of ours (the job's init shows only "brig-init"):
 * one of its children carries the marker. */
static bool child_has(const char *pid, const char *marker)
{
	char path[300], kids[4096], text[8192];
	snprintf(path, sizeof path, "task/%s/children", pid);
	proc_file_has(pid, path, NULL, kids, sizeof kids);
	for (char *k = strtok(kids, " "); k; k = strtok(NULL, " "))
		if (proc_file_has(k, "cmdline", marker, text, sizeof text))
			return true;
	return false;
}

/* Every process that runs the brig under test and is of this test's
 * jobs: its command line names the marker or the overlay directory, or it
 * was retitled and its job carries the marker. By the binary, not by a
 * name: brig's forks before any rename (the idmap helper, the clone
 * child, the job before execve, the job's init, whose name stays "brig")
 * would pass a check of names like brig-janitor. A dead process waiting
 * to be reaped holds nothing. */
static void add_brig_processes(struct names *s, const char *brig, const char *marker, const char *overlay_dir)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		char path[300], exe[4200], stat[1024], cmd[8192];
		snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
		ssize_t n = readlink(path, exe, sizeof exe - 1);
		if (n <= 0)
			continue;
		exe[n] = '\0';
		if (strcmp(exe, brig) != 0)
			continue;
		proc_file_has(e->d_name, "stat", NULL, stat, sizeof stat);
		const char *st = strrchr(stat, ')');
		if (!st || st[1] != ' ' || st[2] == 'Z' || st[2] == 'X')
			continue;
		bool ours = proc_file_has(e->d_name, "cmdline", marker, cmd, sizeof cmd) || strstr(cmd, overlay_dir) ||
			    (strncmp(cmd, "brig-", 5) == 0 && child_has(e->d_name, marker));
		if (ours) {
			char what[400];
			snprintf(what, sizeof what, "%.12s (state %c): %.300s", e->d_name, st[2], cmd);
			names_add(s, "process", what);
		}
	}
	if (d)
		closedir(d);
}

/* The brig under test and the test's marker, for the processes. */
static char brig_path[4200];
static const char *test_marker;

/* A failed run must not leave its residue on a shared host for hours:
 * every process of this test's jobs (the marker or the overlay directory
 * in its command line, or brig's retitled init of such a job) is killed,
 * and then brig gc does what their janitors could not. */
static void kill_ours(const char *overlay_dir)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char cmd[8192];
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || atoi(e->d_name) == getpid())
			continue;
		if (proc_file_has(e->d_name, "cmdline", test_marker, cmd, sizeof cmd) || strstr(cmd, overlay_dir) ||
		    (strncmp(cmd, "brig-", 5) == 0 && child_has(e->d_name, test_marker)))
			kill(atoi(e->d_name), SIGKILL);
	}
	if (d)
		closedir(d);
	int status;
	usleep(500 * 1000);
	free(command_output("\"$BRIG\" gc >/dev/null 2>&1", &status));
}

static void host_state(struct names *s, const char *cg_parent, const char *overlay_dir)
{
	memset(s, 0, sizeof *s);
	struct strset m;
	mounts_snapshot(&m);
	for (size_t i = 0; i < m.n; i++) {
		/* the mount point and what is mounted, not the ids that change */
		const char *sep = strstr(m.v[i], " - ");
		char point[4200] = "";
		if (sscanf(m.v[i], "%*s %*s %*s %*s %4199s", point) == 1 && sep) {
			char what[4400];
			snprintf(what, sizeof what, "%s %s", point, sep + 3);
			names_add(s, "mount", what);
		}
	}
	strset_free(&m);
	if (cg_parent)
		add_cgroups(s, cg_parent, "");
	add_dir(s, "link", "/sys/class/net", "brig-");
	add_dir(s, "lease", "/run/brig/net", NULL);
	add_dir(s, "record", "/run/brig/jobs", NULL);
	add_dir(s, "overlay", overlay_dir, NULL);
	add_firewall(s);
	add_brig_processes(s, brig_path, test_marker, overlay_dir);
}

/* What is in now and was not before (only of kind what, when given),
 * into desc; how many. */
/* ---- what belongs to a live job ---- */

/* Files some process holds a lock on, as "DEV INODE" (/proc/locks): read,
 * never taken, so no brig that is choosing a lease meets our lock. */
static void locked_files(struct names *s)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		unsigned maj, min;
		unsigned long ino;
		char *p = strchr(line, ':');
		if (!p)
			continue;
		p++;
		/* "N: [-> ]FLOCK ADVISORY WRITE PID MAJ:MIN:INODE START END" */
		if (strstr(p, "->"))
			continue;
		if (sscanf(p, " %*s %*s %*s %*d %x:%x:%lu", &maj, &min, &ino) == 3) {
			char key[64];
			snprintf(key, sizeof key, "%u:%u %lu", maj, min, ino);
			names_add(s, "lock", key);
		}
	}
	if (f)
		fclose(f);
}

static bool is_locked(const struct names *locks, int dir, const char *name)
{
	struct stat st;
	char key[64], entry[80];
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	snprintf(key, sizeof key, "%u:%u %lu", major(st.st_dev), minor(st.st_dev), (unsigned long)st.st_ino);
	snprintf(entry, sizeof entry, "lock %s", key);
	return names_has(locks, entry);
}

/* Jobs alive now, by id, and their leases: a populated cgroup, a lease or
 * job record a live supervisor or janitor holds locked. None of them can
 * be this test's: its jobs' processes are gone (checked before, and any
 * janitor of its own still alive is residue itself), so what they name is
 * another test's job at work, however long it runs. */
static void live_jobs(struct names *live, const char *cg_parent)
{
	struct names locks = { 0 };
	locked_files(&locks);
	DIR *d = cg_parent ? opendir(cg_parent) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char events[4300], text[256];
		if (strncmp(e->d_name, "job-", 4) != 0)
			continue;
		snprintf(events, sizeof events, "%s/%s/cgroup.events", cg_parent, e->d_name);
		FILE *f = fopen(events, "re");
		size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
		if (f)
			fclose(f);
		text[n] = '\0';
		if (strstr(text, "populated 1"))
			names_add(live, "id", e->d_name + 4);
	}
	if (d)
		closedir(d);
	d = opendir("/run/brig/net");
	while (d && (e = readdir(d))) {
		char id[64] = "";
		if (e->d_name[0] == '.' || !is_locked(&locks, dirfd(d), e->d_name))
			continue;
		names_add(live, "lease", e->d_name);
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		ssize_t n = fd >= 0 ? read(fd, id, sizeof id - 1) : -1;
		if (fd >= 0)
			close(fd);
		id[n > 0 ? n : 0] = '\0';
		id[strcspn(id, "\n")] = '\0';
		if (id[0])
			names_add(live, "id", id);
	}
	if (d)
		closedir(d);
	d = opendir("/run/brig/jobs");
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && is_locked(&locks, dirfd(d), e->d_name))
			names_add(live, "id", e->d_name);
	if (d)
		closedir(d);
	names_free(&locks);
}

/* Whether what names a live job: its lease, or its id (links carry the
 * id's first 10 characters). */
static bool of_live_job(const struct names *live, const char *what)
{
	if (names_has(live, what))
		return true;
	for (size_t i = 0; i < live->n; i++) {
		const char *id = live->v[i] + 3;
		char prefix[11];
		if (strncmp(live->v[i], "id ", 3) != 0 || strlen(id) < 10)
			continue;
		snprintf(prefix, sizeof prefix, "%.10s", id);
		if (strstr(what, prefix))
			return true;
	}
	return false;
}

/* When the last of this test's supervisors was reaped (realtime; 0 until
 * then). A cgroup, lease or job record made after it cannot be of this
 * test's jobs, which were all dead by then and whose janitors make
 * nothing: it is another test's. That test may itself leave it for a
 * while on purpose (a supervisor and janitor both killed, their empty
 * cgroup left to a gc that removes it only once 60 s old), so waiting for
 * it to go does not tell; its birth does. */
static struct timespec last_kill_at;

static bool born_after_last_kill(const char *cg_parent, const char *entry)
{
	char path[4400];
	if (!last_kill_at.tv_sec)
		return false;
	if (cg_parent && strncmp(entry, "cgroup ", 7) == 0)
		snprintf(path, sizeof path, "%s/%s", cg_parent, entry + 7);
	else if (strncmp(entry, "lease ", 6) == 0)
		snprintf(path, sizeof path, "/run/brig/net/%s", entry + 6);
	else if (strncmp(entry, "record ", 7) == 0)
		snprintf(path, sizeof path, "/run/brig/jobs/%s", entry + 7);
	else
		return false;
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	return st.st_mtim.tv_sec > last_kill_at.tv_sec ||
	       (st.st_mtim.tv_sec == last_kill_at.tv_sec && st.st_mtim.tv_nsec > last_kill_at.tv_nsec);
}

/* What is in now and was not before (only of kind what, when given), and
 * names no live job of another test, into desc; how many. */
static size_t residue(const struct names *before, const char *cg_parent, const char *overlay_dir, const char *what,
		      char *desc, size_t len)
{
	struct names now, live = { 0 };
	host_state(&now, cg_parent, overlay_dir);
	live_jobs(&live, cg_parent);
	size_t n = 0, off = 0;
	desc[0] = '\0';
	for (size_t i = 0; i < now.n; i++)
		if (!names_has(before, now.v[i]) && (!what || strncmp(now.v[i], what, strlen(what)) == 0) &&
		    (strncmp(now.v[i], "process ", 8) == 0 ||
		     (!of_live_job(&live, now.v[i]) && !born_after_last_kill(cg_parent, now.v[i])))) {
			if (n++ < 8 && off < len)
				off += (size_t)snprintf(desc + off, len - off, "\n  %s", now.v[i]);
		}
	names_free(&now);
	names_free(&live);
	return n;
}

/* ---- the jobs ---- */

static bool kind_available(enum kind k, const char *overlay_dir, char *why, size_t len)
{
	if (k == K_VETH) {
		const char *lab = getenv("BRIG_NET_LAB");
		if (lab && strcmp(lab, "0") == 0) {
			snprintf(why, len, "BRIG_NET_LAB=0: no veth in this run");
			return false;
		}
		if (system("command -v nft >/dev/null 2>&1") != 0) {
			snprintf(why, len, "no nft");
			return false;
		}
	}
	if (k == K_OVERLAY) {
		struct brig_result r;
		struct brig_opts o = { .limit_s = 30 };
		brig_run(&r, &o,
			 BRIG_ARGS("run", "--rootfs-mode", "overlay", "--overlay-dir", overlay_dir, "--", "/bin/true"));
		if (r.status != 0 && strstr(r.err, "idmapped mount")) {
			snprintf(why, len, "the host's /usr cannot be idmapped");
			return false;
		}
		cr_assert_eq(r.status, 0, "an overlay job does not run here" RESULT_FMT, RESULT_ARGS(r));
	}
	return true;
}

static void start_job(struct brig_proc *p, enum kind k, const char *overlay_dir, const char *marker)
{
	/* The marker as the shell's $0: every process of the job carries it. */
	switch (k) {
	case K_NONE:
		brig_start(p, NULL, BRIG_ARGS("run", "--", "/bin/sh", "-c", "sleep 1000", marker));
		return;
	case K_VETH:
		brig_start(p, NULL, BRIG_ARGS("run", "--net", "veth", "--", "/bin/sh", "-c", "sleep 1000", marker));
		return;
	case K_OVERLAY:
		brig_start(p, NULL,
			   BRIG_ARGS("run", "--rootfs-mode", "overlay", "--overlay-dir", overlay_dir, "--", "/bin/sh", "-c",
				     "echo x > /usr/brig-fault; sleep 1000", marker));
		return;
	case K_PTY:
		brig_start(p, NULL, BRIG_ARGS("run", "--pty", "always", "--", "/bin/sh", "-c", "sleep 1000", marker));
		return;
	case N_KINDS:
		break;
	}
}

/* BRIG_FAULT_JOBS per kind (default 200), each supervisor killed a
 * random 0 to 300 ms after it started: from before its namespaces exist
 * to a job that runs (a start takes about 100 ms here, unloaded). One job
 * of each kind at a time, killed in random order. */
Test(faults, sigkill_anywhere_leaves_nothing, .timeout = 900)
{
	harness_need_root("veth, overlays of /usr, brig's cgroups and brig gc need root");
	const char *marker = harness_marker();
	test_marker = marker;
	cr_assert(realpath(getenv("BRIG") ?: "", brig_path), "$BRIG: %s", strerror(errno));
	long per_kind = strtol(getenv("BRIG_FAULT_JOBS") ?: "200", NULL, 10);
	cr_assert_gt(per_kind, 0, "BRIG_FAULT_JOBS=%s: a number of jobs per kind, at least 1", getenv("BRIG_FAULT_JOBS"));
	char *overlay_dir = tmpdir_make("faults-overlay");
	const char *root = harness_cgroup2_root();
	char cg_parent[4200] = "";
	if (root)
		snprintf(cg_parent, sizeof cg_parent, "%s/brig", root);

	bool use[N_KINDS];
	char skipped[512] = "";
	for (int k = 0; k < N_KINDS; k++) {
		char why[200];
		use[k] = kind_available(k, overlay_dir, why, sizeof why);
		if (!use[k])
			snprintf(skipped + strlen(skipped), sizeof skipped - strlen(skipped), " %s (%s)", kind_name[k], why);
	}
	if (skipped[0])
		fprintf(stderr, "faults: kinds not run here:%s\n", skipped);

	struct names before;
	host_state(&before, cg_parent[0] ? cg_parent : NULL, overlay_dir);
	unsigned seed = (unsigned)now_ms();
	srand(seed);
	long long start = now_ms();
	size_t jobs = 0;
	for (long i = 0; i < per_kind; i++) {
		struct brig_proc p[N_KINDS];
		long delay[N_KINDS];
		long long t0 = now_ms();
		for (int k = 0; k < N_KINDS; k++)
			if (use[k]) {
				start_job(&p[k], k, overlay_dir, marker);
				delay[k] = rand() % 301;
				jobs++;
			}
		for (int done = 0; done < N_KINDS;) {
			/* the next one due */
			int next = -1;
			for (int k = 0; k < N_KINDS; k++)
				if (use[k] && delay[k] >= 0 && (next < 0 || delay[k] < delay[next]))
					next = k;
			if (next < 0)
				break;
			long long due = t0 + delay[next];
			if (now_ms() < due)
				usleep((useconds_t)(due - now_ms()) * 1000);
			if (!p[next].reaped)
				kill(p[next].pid, SIGKILL);
			struct brig_result r;
			brig_finish(&p[next], &r, 30);
			delay[next] = -1;
			done++;
		}
	}
	long long last_kill = now_ms(), killing = last_kill - start;
	clock_gettime(CLOCK_REALTIME, &last_kill_at);

	/* The janitors have their jobs' processes gone first, then the rest. */
	char desc[4096];
	size_t left = leftovers_wait(marker, NULL, 0, 60000, desc, sizeof desc);
	if (left)
		kill_ours(overlay_dir);
	cr_assert_eq(left, 0, "%zu job processes outlive their killed supervisors, e.g. %s", left, desc);
	/* The janitors end when their job's state is gone: wait for them
	 * (and brig's other processes), then see what they left to gc. */
	const char *cg = cg_parent[0] ? cg_parent : NULL;
	long long end = harness_deadline_ms(60000);
	while (residue(&before, cg, overlay_dir, "process", desc, sizeof desc) > 0 && now_ms() < end)
		usleep(100 * 1000);
	size_t after_janitors = residue(&before, cg, overlay_dir, NULL, desc, sizeof desc);
	if (after_janitors)
		fprintf(stderr, "faults: left for brig gc:%s\n", desc);
	/* gc leaves a job's empty cgroup until it is 60 s old (a sibling
	 * brig may be between its mkdir and its clone3: src/cgroup/cgroup.c),
	 * and the last one was made before the last kill. */
	long long stale_at = last_kill + 61000;
	if (now_ms() < stale_at)
		usleep((useconds_t)(stale_at - now_ms()) * 1000);
	int status;
	char *out = command_output("\"$BRIG\" gc 2>&1", &status);
	/* What a test running beside this one holds goes when it ends. */
	size_t n;
	end = harness_deadline_ms(60000);
	while ((n = residue(&before, cg, overlay_dir, NULL, desc, sizeof desc)) > 0 && now_ms() < end)
		usleep(200 * 1000);
	fprintf(stderr,
		"faults: %zu supervisors killed in %lld ms (seed %u); left after the janitors: %zu, after gc: %zu\n",
		jobs, killing, seed, after_janitors, n);
	names_free(&before);
	cr_expect_eq(status, 0, "brig gc failed:\n%s", out);
	/* What is left, last: CI shows the end of the output. */
	if (n)
		kill_ours(overlay_dir);
	cr_assert_eq(n, 0, "-- gc said (%zu lines):\n%s\n%zu things left on the host after the janitors and brig gc (seed %u):%s",
		     line_count(out), out, n, seed, desc);
}

#include "harness.h"
#include <criterion/hooks.h>
#include <criterion/internal/ordered-set.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- state of this test process ---------------------------------------- */

/* Criterion forks one process per test, so this is per-test state. */
static struct {
	char brig[PATH_MAX];
	const char *helpers_src;
	char *helpers_copy;
	char helpers_bind[PATH_MAX + 32];
	char marker[64];
	bool checked;
	char *tracked[64];
	size_t n_tracked;
	pid_t live[64]; /* started brig processes not reaped yet */
	size_t n_live;
} H;

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double harness_time_scale(void)
{
	const char *v = getenv("BRIG_TEST_TIME_SCALE");
	double k = v ? strtod(v, NULL) : 1;
	return k >= 1 ? k : 1;
}

long long harness_deadline_ms(double ms)
{
	return now_ms() + (long long)(ms * harness_time_scale());
}

/* Criterion's timeouts are constants of each Test(); the runner reads them
 * after this hook, before the first test. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	double k = harness_time_scale();
	if (k == 1)
		return;
	FOREACH_SET(struct criterion_suite_set *s, set->suites) {
		if (s->suite.data)
			s->suite.data->timeout *= k;
		FOREACH_SET(struct criterion_test *t, s->tests)
			if (t->data)
				t->data->timeout *= k;
	}
}

static bool env_true(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0;
}

void harness_unavailable(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (env_true("BRIG_MUST_WORK"))
		cr_assert_fail("%s (a failure because BRIG_MUST_WORK=1)", msg);
	cr_skip_test("%s", msg);
	abort(); /* not reached: both calls above leave the test */
}

void harness_not_on_this_host(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cr_skip_test("not on this host: %s", msg);
	abort();
}

const char *harness_cgroup2_root(void)
{
	static char root[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	root[0] = '\0';
	while (f && fgets(line, sizeof line, f)) {
		char mnt[4096];
		const char *sep = strstr(line, " - ");
		if (sep && strncmp(sep + 3, "cgroup2 ", 8) == 0 && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
		    (!root[0] || strcmp(mnt, "/sys/fs/cgroup") == 0))
			snprintf(root, sizeof root, "%s", mnt);
	}
	if (f)
		fclose(f);
	return root[0] ? root : NULL;
}

bool harness_cgroup_has(const char *name)
{
	const char *root = harness_cgroup2_root();
	char path[4200], buf[512] = "";
	if (!root)
		return false;
	snprintf(path, sizeof path, "%s/cgroup.controllers", root);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool found = false;
	if (fgets(buf, sizeof buf, f))
		for (char *t = strtok(buf, " \n"); t && !found; t = strtok(NULL, " \n"))
			found = strcmp(t, name) == 0;
	fclose(f);
	return found;
}

/* ---- the unprivileged mode ---------------------------------------------- */

static bool test_user(uid_t *uid, gid_t *gid)
{
	const char *v = getenv("BRIG_TEST_USER");
	if (!v || !*v)
		return false;
	char *end = NULL;
	unsigned long u = strtoul(v, &end, 10);
	unsigned long g = u;
	if (*end == ':')
		g = strtoul(end + 1, &end, 10);
	cr_assert(*end == '\0' && u > 0, "BRIG_TEST_USER=%s: expected UID[:GID], not root", v);
	if (uid)
		*uid = (uid_t)u;
	if (gid)
		*gid = (gid_t)g;
	return true;
}

bool harness_unprivileged(void)
{
	return test_user(NULL, NULL);
}

uid_t harness_brig_uid(void)
{
	uid_t u = 0;
	test_user(&u, NULL);
	return u;
}

gid_t harness_brig_gid(void)
{
	gid_t g = 0;
	test_user(NULL, &g);
	return g;
}

/* Any id outside the job's default range and not root will do. */
#define ROOT_MODE_DIR_OWNER 4242

uid_t harness_dir_owner(void)
{
	return harness_unprivileged() ? harness_brig_uid() : ROOT_MODE_DIR_OWNER;
}

gid_t harness_dir_group(void)
{
	return harness_unprivileged() ? harness_brig_gid() : ROOT_MODE_DIR_OWNER;
}

void harness_need_root(const char *why)
{
	if (harness_unprivileged())
		cr_skip_test("needs root: %s (brig runs as uid %u)", why, (unsigned)harness_brig_uid());
}

/* In a forked child: become the test user, for good. */
static int drop_to_test_user(void)
{
	uid_t u;
	gid_t g;
	if (!test_user(&u, &g))
		return 0;
	if (setgroups(0, NULL) < 0 || setresgid(g, g, g) < 0 || setresuid(u, u, u) < 0)
		return -errno;
	return 0;
}

/* ---- environment checks, done once per test before it uses brig ------- */

/* Runs fn in a child (as the test user when set); returns its exit code. */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		if (drop_to_test_user() < 0)
			_exit(200);
		_exit(fn(arg) & 0xff);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static int try_userns(void *arg)
{
	(void)arg;
	return unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) < 0 ? errno
														      : 0;
}

static int can_exec(void *path)
{
	return access(path, X_OK) < 0 ? errno : 0;
}

static void harness_check(void)
{
	if (H.checked)
		return;
	const char *brig = getenv("BRIG");
	if (!brig || !*brig)
		harness_unavailable("BRIG is not set: run the suite through `make integration`");
	if (!realpath(brig, H.brig))
		harness_unavailable("BRIG=%s: %s (build it first)", brig, strerror(errno));
	H.helpers_src = getenv("BRIG_HELPERS");
	struct stat st;
	if (!H.helpers_src || stat(H.helpers_src, &st) < 0 || !S_ISDIR(st.st_mode))
		harness_unavailable("BRIG_HELPERS does not name the built helpers directory");
	cr_assert(geteuid() == 0, "the integration suite runs as root (BRIG_TEST_USER picks brig's user)");

	int e = in_child(try_userns, NULL);
	if (e == 200)
		harness_unavailable("cannot switch to BRIG_TEST_USER=%s", getenv("BRIG_TEST_USER"));
	if (e)
		harness_unavailable("the kernel refuses new namespaces to uid %u: %s",
				    (unsigned)harness_brig_uid(), strerror(e));
	/* Only the test user can lack the right to run it: to root, a refusal
	 * means the binary is being rebuilt, and execv will say so. */
	e = harness_unprivileged() ? in_child(can_exec, H.brig) : 0;
	if (e)
		harness_unavailable("uid %u cannot execute %s: %s (put the build tree where it can)",
				    (unsigned)harness_brig_uid(), H.brig, strerror(e));
	H.checked = true;
}

/* ---- cleanup ------------------------------------------------------------ */

static void cleanup(void)
{
	for (size_t i = 0; i < H.n_live; i++) {
		kill(H.live[i], SIGKILL);
		waitpid(H.live[i], NULL, 0);
	}
	H.n_live = 0;
	while (H.n_tracked > 0) {
		char *p = H.tracked[--H.n_tracked];
		path_remove(p);
		free(p);
	}
	free(H.helpers_copy);
	H.helpers_copy = NULL;
}

void harness_setup(void)
{
	static bool registered;
	/* Skips leave the test through exit(), bypassing .fini. */
	if (!registered && atexit(cleanup) == 0)
		registered = true;
	/* Output pipes may close under us; errors are better than SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	/* Distinct terminators: no marker is a substring of another one. */
	snprintf(H.marker, sizeof H.marker, "brigit%dx%llxz", (int)getpid(), now_ms() & 0xffffffull);
	H.checked = false;
}

void harness_teardown(void)
{
	cleanup();
}

const char *harness_marker(void)
{
	return H.marker;
}

void harness_track(const char *path)
{
	cr_assert(H.n_tracked < sizeof H.tracked / sizeof H.tracked[0], "too many tracked paths");
	H.tracked[H.n_tracked++] = strdup(path);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

void path_remove(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- files and directories ---------------------------------------------- */

char *tmpdir_make(const char *tag)
{
	char *path = NULL;
	cr_assert(asprintf(&path, "/var/tmp/brig-it-%s-XXXXXX", tag) > 0);
	cr_assert(mkdtemp(path), "mkdtemp %s: %s", path, strerror(errno));
	harness_track(path);
	cr_assert(chmod(path, 0755) == 0);
	cr_assert(chown(path, harness_dir_owner(), harness_dir_group()) == 0, "chown %s: %s", path,
		  strerror(errno));
	return path;
}

char *file_write(const char *dir, const char *name, const char *content, mode_t mode)
{
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/%s", dir, name) > 0);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert(fd >= 0, "create %s: %s", path, strerror(errno));
	size_t len = strlen(content);
	cr_assert(write(fd, content, len) == (ssize_t)len, "write %s", path);
	close(fd);
	cr_assert(chmod(path, mode) == 0); /* umask-proof */
	struct stat st;
	if (stat(dir, &st) == 0)
		cr_assert(chown(path, st.st_uid, st.st_gid) == 0);
	return path;
}

char *file_read(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char chunk[4096];
	ssize_t n;
	size_t total = 0;
	char *data = calloc(1, 1);
	while ((n = read(fd, chunk, sizeof chunk)) > 0) {
		data = realloc(data, total + (size_t)n + 1);
		memcpy(data + total, chunk, (size_t)n);
		total += (size_t)n;
		data[total] = '\0';
	}
	close(fd);
	return data;
}

/* Copies the helpers where the test user can reach them: the build tree may
 * sit in a directory only root can traverse. */
static void copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	cr_assert(in >= 0, "open %s: %s", from, strerror(errno));
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	cr_assert(out >= 0, "create %s: %s", to, strerror(errno));
	char chunk[65536];
	ssize_t n;
	while ((n = read(in, chunk, sizeof chunk)) > 0)
		cr_assert(write(out, chunk, (size_t)n) == n, "write %s", to);
	close(in);
	close(out);
	cr_assert(chmod(to, 0755) == 0);
}

const char *harness_helpers_bind(void)
{
	harness_check();
	if (H.helpers_copy)
		return H.helpers_bind;
	H.helpers_copy = strdup(tmpdir_make("helpers"));
	DIR *d = opendir(H.helpers_src);
	cr_assert(d, "opendir %s: %s", H.helpers_src, strerror(errno));
	struct dirent *e;
	size_t copied = 0;
	while ((e = readdir(d))) {
		char from[PATH_MAX], to[PATH_MAX];
		struct stat st;
		snprintf(from, sizeof from, "%s/%s", H.helpers_src, e->d_name);
		if (stat(from, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(to, sizeof to, "%s/%s", H.helpers_copy, e->d_name);
		copy_file(from, to);
		copied++;
	}
	closedir(d);
	cr_assert(copied > 0, "no helper programs in %s (make builds them)", H.helpers_src);
	snprintf(H.helpers_bind, sizeof H.helpers_bind, "%s:%s", H.helpers_copy, JOB_HELPERS);
	return H.helpers_bind;
}

/* ---- running brig -------------------------------------------------------- */

void buf_append(struct buf *b, const char *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = realloc(b->data, b->cap);
		cr_assert(b->data, "out of memory");
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

/* In the forked child: everything up to execve of brig. Never returns. */
static void child_exec(const struct brig_opts *o, int in_r, int out_w, int err_w, const char *const argv[])
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);

	if (o->tty_fd > 0) {
		/* The caller's terminal: what a job must not type into. */
		if (setsid() < 0 || ioctl(o->tty_fd, TIOCSCTTY, 0) < 0 || dup2(o->tty_fd, 0) < 0)
			goto fail;
	} else if (dup2(in_r, 0) < 0) {
		goto fail;
	}
	if (dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
		goto fail;
	if (o->inherit_fd > 2) {
		/* dup2 leaves the new fd without FD_CLOEXEC, like a careless caller. */
		int fd = open(o->inherit_path, o->inherit_flags, 0644);
		if (fd < 0 || dup2(fd, o->inherit_fd) < 0)
			goto fail;
		if (fd != o->inherit_fd)
			close(fd);
	}
	/* The job's own PATH: brig warns about directories of the caller's
	 * that the job does not see (a test that wants it sets PATH). */
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	for (const char *const *e = o->env; e && *e; e++)
		putenv((char *)*e);
	if (chdir("/") < 0 || drop_to_test_user() < 0)
		goto fail;
	/* After the uid change, which would clear it: brig dies with the test. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	size_t n = 0;
	while (argv[n])
		n++;
	const char **full = calloc(n + 6, sizeof *full);
	if (!full)
		goto fail;
	size_t k = 0;
	/* ip(8) also binds /etc/netns/NAME/ files over /etc: the lab's
	 * resolv.conf is what brig reads. */
	if (o->netns) {
		full[k++] = "ip";
		full[k++] = "netns";
		full[k++] = "exec";
		full[k++] = o->netns;
	}
	full[k++] = H.brig;
	memcpy(full + k, argv, n * sizeof *full);
	if (o->netns)
		execvp("ip", (char *const *)full);
	else
		execv(H.brig, (char *const *)full);
fail:
	dprintf(2, "harness: cannot start %s: %s\n", H.brig, strerror(errno));
	_exit(255);
}

void brig_start(struct brig_proc *p, const struct brig_opts *o, const char *const argv[])
{
	static const struct brig_opts defaults = { 0 };
	int in[2], out[2], err[2];
	harness_check();
	if (!o)
		o = &defaults;
	memset(p, 0, sizeof *p);
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	cr_assert(H.n_live < sizeof H.live / sizeof H.live[0], "too many brig processes at once");

	p->start_ms = now_ms();
	p->pid = fork();
	cr_assert(p->pid >= 0, "fork: %s", strerror(errno));
	if (p->pid == 0)
		child_exec(o, in[0], out[1], err[1], argv);
	H.live[H.n_live++] = p->pid;

	close(in[0]);
	close(out[1]);
	close(err[1]);
	p->stdin_data = o->stdin_data;
	p->in_fd = in[1];
	if (!p->stdin_data) {
		close(p->in_fd);
		p->in_fd = -1;
	}
	p->out_fd = out[0];
	p->err_fd = err[0];
	fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
	if (p->in_fd >= 0)
		fcntl(p->in_fd, F_SETFL, O_NONBLOCK);
	buf_append(&p->out, "", 0);
	buf_append(&p->err, "", 0);
}

static void forget_live(pid_t pid)
{
	for (size_t i = 0; i < H.n_live; i++)
		if (H.live[i] == pid) {
			H.live[i] = H.live[--H.n_live];
			return;
		}
}

static void try_reap(struct brig_proc *p, bool block)
{
	if (p->reaped)
		return;
	pid_t r;
	while ((r = waitpid(p->pid, &p->status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == p->pid) {
		p->reaped = true;
		p->end_ms = now_ms();
		forget_live(p->pid);
	}
}

static void drain(int *fd, struct buf *b)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(*fd, chunk, sizeof chunk);
		if (n > 0) {
			buf_append(b, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close(*fd); /* EOF or a real error: either way this stream is done */
		*fd = -1;
		return;
	}
}

static void feed_stdin(struct brig_proc *p)
{
	size_t left = strlen(p->stdin_data) - p->stdin_off;
	ssize_t n = left ? write(p->in_fd, p->stdin_data + p->stdin_off, left) : 0;
	if (n > 0)
		p->stdin_off += (size_t)n;
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0 || p->stdin_off == strlen(p->stdin_data)) {
		close(p->in_fd); /* all written, or brig stopped reading */
		p->in_fd = -1;
	}
}

/* One round of I/O: waits up to ms for any stream, then services them. */
static void pump(struct brig_proc *p, int ms)
{
	struct pollfd fds[3];
	nfds_t n = 0;
	if (p->out_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN };
	if (p->err_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->err_fd, .events = POLLIN };
	if (p->in_fd >= 0)
		fds[n++] = (struct pollfd){ .fd = p->in_fd, .events = POLLOUT };
	if (n == 0) {
		usleep((useconds_t)ms * 1000);
		return;
	}
	if (poll(fds, n, ms) <= 0)
		return;
	for (nfds_t i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		if (fds[i].fd == p->out_fd)
			drain(&p->out_fd, &p->out);
		else if (fds[i].fd == p->err_fd)
			drain(&p->err_fd, &p->err);
		else
			feed_stdin(p);
	}
}

bool brig_wait_stdout(struct brig_proc *p, const char *needle, double limit_s)
{
	long long deadline = harness_deadline_ms(limit_s * 1000);
	while (!strstr(p->out.data, needle)) {
		if (now_ms() > deadline || (p->out_fd < 0 && p->reaped))
			return false;
		pump(p, 20);
		try_reap(p, false);
	}
	return true;
}

void brig_kill_and_reap(struct brig_proc *p, int sig)
{
	cr_assert(!p->reaped, "brig already exited before the signal" RESULT_FMT, p->status, "", p->out.data,
		  p->err.data);
	cr_assert(kill(p->pid, sig) == 0, "kill %d: %s", (int)p->pid, strerror(errno));
	try_reap(p, true);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void brig_finish(struct brig_proc *p, struct brig_result *r, double limit_s)
{
	long long deadline = harness_deadline_ms((limit_s > 0 ? limit_s : BRIG_DEFAULT_LIMIT_S) * 1000);
	long long grace_end = 0;
	memset(r, 0, sizeof *r);
	for (;;) {
		try_reap(p, false);
		if (p->reaped && p->out_fd < 0 && p->err_fd < 0)
			break;
		if (!p->reaped && now_ms() > deadline) {
			kill(p->pid, SIGKILL);
			r->killed = true;
			try_reap(p, true);
		}
		/* Once brig is gone, only a leaked job process can hold the pipes. */
		if (p->reaped && !grace_end)
			grace_end = harness_deadline_ms(2000);
		if (grace_end && now_ms() > grace_end) {
			r->pipes_open = true;
			break;
		}
		pump(p, 20);
	}
	close_fd(&p->in_fd);
	close_fd(&p->out_fd);
	close_fd(&p->err_fd);
	if (WIFEXITED(p->status))
		r->status = WEXITSTATUS(p->status);
	else if (WIFSIGNALED(p->status))
		r->status = 128 + WTERMSIG(p->status);
	else
		r->status = -1;
	r->ms = p->end_ms - p->start_ms;
	r->out = p->out.data;
	r->err = p->err.data;
}

void brig_run(struct brig_result *r, const struct brig_opts *o, const char *const argv[])
{
	struct brig_proc p;
	brig_start(&p, o, argv);
	brig_finish(&p, r, o ? o->limit_s : 0);
}

/* ---- parsing what the job printed ---------------------------------------- */

static const char *find_line_with_prefix(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);
	for (const char *l = text; l && *l;) {
		if (strncmp(l, prefix, plen) == 0)
			return l;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return NULL;
}

char *kv_get(const char *text, const char *key)
{
	char prefix[256];
	snprintf(prefix, sizeof prefix, "%s=", key);
	const char *l = find_line_with_prefix(text, prefix);
	if (!l)
		return NULL;
	l += strlen(prefix);
	return strndup(l, strcspn(l, "\n"));
}

size_t kv_count(const char *text, const char *key)
{
	char prefix[256];
	size_t n = 0;
	snprintf(prefix, sizeof prefix, "%s=", key);
	for (const char *l = find_line_with_prefix(text, prefix); l; l = find_line_with_prefix(l, prefix)) {
		n++;
		l = strchr(l, '\n');
		if (!l)
			break;
		l++;
	}
	return n;
}

size_t line_count(const char *text)
{
	size_t n = 0;
	for (const char *c = text; *c; c++)
		n += *c == '\n';
	if (*text && text[strlen(text) - 1] != '\n')
		n++;
	return n;
}

char *json_value(const char *line, const char *key)
{
	char quoted[256];
	snprintf(quoted, sizeof quoted, "\"%s\"", key);
	for (const char *k = strstr(line, quoted); k; k = strstr(k + 1, quoted)) {
		const char *v = k + strlen(quoted);
		while (isspace((unsigned char)*v))
			v++;
		if (*v != ':')
			continue; /* the key text appeared as a value */
		v++;
		while (isspace((unsigned char)*v))
			v++;
		if (*v == '"') {
			const char *end = v + 1;
			while (*end && *end != '"')
				end += *end == '\\' && end[1] ? 2 : 1;
			return strndup(v + 1, (size_t)(end - v - 1));
		}
		return strndup(v, strcspn(v, ",} \t\n"));
	}
	return NULL;
}

char *json_event_line(const char *text, const char *event)
{
	for (const char *l = text; l && *l;) {
		size_t len = strcspn(l, "\n");
		char *line = strndup(l, len);
		char *ev = json_value(line, "event");
		bool match = ev && strcmp(ev, event) == 0;
		free(ev);
		if (match)
			return line;
		free(line);
		l += len;
		if (*l)
			l++;
	}
	return NULL;
}

/* ---- host snapshots ------------------------------------------------------ */

static void strset_add(struct strset *s, const char *v)
{
	s->v = realloc(s->v, (s->n + 1) * sizeof *s->v);
	cr_assert(s->v, "out of memory");
	s->v[s->n++] = strdup(v);
}

void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

char *command_output(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f, "popen %s: %s", cmd, strerror(errno));
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	cr_assert_not_null(m);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, m);
	int st = pclose(f);
	fclose(m);
	if (status)
		*status = st;
	return out;
}

void mounts_snapshot(struct strset *s)
{
	memset(s, 0, sizeof *s);
	char *all = file_read("/proc/self/mountinfo");
	cr_assert(all, "read /proc/self/mountinfo: %s", strerror(errno));
	for (char *save = NULL, *l = strtok_r(all, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		/* Named network namespaces (ip netns) are the network lab's,
		 * which tests running beside this one build and remove. */
		if (strstr(l, " /run/netns/") && strstr(l, " - nsfs "))
			continue;
		strset_add(s, l);
	}
	free(all);
}

ino_t pidns_of(pid_t pid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* Command line with NULs turned into spaces; NULL for kernel threads,
 * zombies and processes that vanished. */
static char *cmdline_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *data = calloc(1, 8192);
	ssize_t n = read(fd, data, 8191);
	close(fd);
	if (n <= 0) {
		free(data);
		return NULL;
	}
	for (ssize_t i = 0; i < n; i++)
		if (data[i] == '\0')
			data[i] = ' ';
	return data;
}

/* Calls fn for every process on the host but this one. */
static void for_each_pid(void (*fn)(pid_t, void *), void *arg)
{
	DIR *d = opendir("/proc");
	cr_assert(d, "opendir /proc: %s", strerror(errno));
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end = NULL;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid())
			continue;
		fn((pid_t)pid, arg);
	}
	closedir(d);
}

struct snap_ctx {
	struct strset *s;
	const char *marker;
};

static void snap_one(pid_t pid, void *arg)
{
	struct snap_ctx *c = arg;
	char *cmd = cmdline_of(pid);
	if (cmd && strstr(cmd, c->marker)) {
		char line[8300];
		snprintf(line, sizeof line, "%d %lu %s", (int)pid, (unsigned long)pidns_of(pid), cmd);
		strset_add(c->s, line);
	}
	free(cmd);
}

void procs_snapshot(struct strset *s, const char *marker)
{
	memset(s, 0, sizeof *s);
	struct snap_ctx c = { s, marker };
	for_each_pid(snap_one, &c);
}

static bool strset_has(const struct strset *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], v) == 0)
			return true;
	return false;
}

bool strset_diff(const struct strset *a, const struct strset *b, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < a->n; i++)
		if (!strset_has(b, a->v[i])) {
			snprintf(out, len, "gone: %s", a->v[i]);
			return false;
		}
	for (size_t i = 0; i < b->n; i++)
		if (!strset_has(a, b->v[i])) {
			snprintf(out, len, "new: %s", b->v[i]);
			return false;
		}
	return true;
}

size_t job_pidns(const char *marker, ino_t *out, size_t max)
{
	struct strset s;
	size_t n = 0;
	ino_t self = pidns_of(getpid());
	procs_snapshot(&s, marker);
	for (size_t i = 0; i < s.n && n < max; i++) {
		unsigned long ns = 0;
		if (sscanf(s.v[i], "%*d %lu", &ns) != 1 || ns == 0 || ns == self)
			continue;
		bool seen = false;
		for (size_t j = 0; j < n; j++)
			seen |= out[j] == ns;
		if (!seen)
			out[n++] = ns;
	}
	strset_free(&s);
	return n;
}

/* State letter from /proc/PID/stat ('?' if gone). The command name is in
 * parentheses and may itself contain spaces and parentheses. */
static char proc_state(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	char *end = strrchr(buf, ')');
	return end && end[1] == ' ' ? end[2] : '?';
}

struct left_ctx {
	const char *marker;
	const ino_t *ns;
	size_t n_ns, found;
	char *desc;
	size_t len;
};

static void left_one(pid_t pid, void *arg)
{
	struct left_ctx *c = arg;
	/* A dead process waiting for the host's init to reap it is not a
	 * leftover of the job: it holds no resources and runs nothing. */
	char state = proc_state(pid);
	if (state == 'Z' || state == 'X' || state == '?')
		return;
	char *cmd = cmdline_of(pid);
	bool hit = cmd && strstr(cmd, c->marker);
	ino_t ns = hit ? 0 : pidns_of(pid);
	for (size_t i = 0; !hit && ns && i < c->n_ns; i++)
		hit = ns == c->ns[i];
	if (hit && c->found++ == 0)
		snprintf(c->desc, c->len, "pid %d: %s", (int)pid, cmd ? cmd : "(no command line)");
	free(cmd);
}

size_t leftovers(const char *marker, const ino_t *ns, size_t n_ns, char *desc, size_t len)
{
	struct left_ctx c = { marker, ns, n_ns, 0, desc, len };
	desc[0] = '\0';
	for_each_pid(left_one, &c);
	return c.found;
}

size_t leftovers_wait(const char *marker, const ino_t *ns, size_t n_ns, long limit_ms, char *desc, size_t len)
{
	long long deadline = harness_deadline_ms((double)limit_ms);
	size_t n;
	while ((n = leftovers(marker, ns, n_ns, desc, len)) > 0 && now_ms() < deadline)
		usleep(20 * 1000);
	return n;
}

/* The job's cgroup v2 directory. brig only ever creates and removes its own
 * directories; on a hybrid host it uses the v2 tree as it finds it and never
 * touches the v1 hierarchies. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "brig/cgroup/cgroup.h"
#include "brig/lib/log.h"
#include "brig/lib/util.h"


static const struct {
	unsigned bit;
	const char *name;
	const char *directives; /* for messages: what asked for it */
} controllers[] = {
	{ CG_MEMORY, "memory", "memory/memory-swap" },
	{ CG_PIDS, "pids", "pids" },
	{ CG_CPU, "cpu", "cpus/cpu-weight" },
	{ CG_IO, "io", "io-read-bps/io-write-bps/io-read-iops/io-write-iops" },
};

#define DEFAULT_PARENT_NAME "brig"
/* How long the emptied cgroup may take to report itself empty. */
#define DRAIN_TIMEOUT_MS 5000

unsigned cgroup_needed(const struct cgroup_limits *l)
{
	unsigned n = 0;
	if (l->memory || l->memory_swap_set)
		n |= CG_MEMORY;
	if (l->pids)
		n |= CG_PIDS;
	if (l->cpu_quota_us || l->cpu_weight)
		n |= CG_CPU;
	if (l->n_io)
		n |= CG_IO;
	return n;
}

int cgroup_v2_root(char *buf, size_t len)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	*buf = '\0';
	if (!f)
		return -errno;
	while (fgets(line, sizeof line, f)) {
		char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		char mnt[4096];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		/* A unified host mounts it at /sys/fs/cgroup: prefer that. */
		if (!*buf || strcmp(mnt, "/sys/fs/cgroup") == 0)
			snprintf(buf, len, "%s", mnt);
	}
	return *buf ? 0 : -ENOENT;
}

static int write_at(int dirfd, const char *file, const char *value)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t len = (ssize_t)strlen(value);
	return write(fd, value, (size_t)len) == len ? 0 : -errno;
}

static int read_at(int dirfd, const char *file, char *buf, size_t len)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = pread(fd, buf, len - 1, 0);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = strstr(list, word); p; p = strstr(p + 1, word))
		if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

/* Controllers the parent can hand to its children: those it has, made
 * available to its children's level. */
static unsigned enable_controllers(int parent, unsigned wanted)
{
	char have[512], procs[16];
	unsigned got = 0;
	/* A parent with processes of its own (brig's delegated cgroup) must
	 * hand down none: even a threaded controller such as pids would make
	 * it a thread root, and its job children invalid domains. */
	if (read_at(parent, "cgroup.procs", procs, sizeof procs) < 0 || procs[0])
		return 0;
	if (read_at(parent, "cgroup.controllers", have, sizeof have) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
		if (!(wanted & controllers[i].bit) || !has_word(have, controllers[i].name))
			continue;
		char op[32];
		snprintf(op, sizeof op, "+%s", controllers[i].name);
		if (write_at(parent, "cgroup.subtree_control", op) == 0)
			got |= controllers[i].bit;
	}
	return got;
}

/* The cgroup brig itself runs in, when it may make children there: the
 * subtree a systemd service or user session was delegated. */
static int delegated_own(const char *root, char **path)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (asprintf(path, "%s%s", root, line + 3) < 0)
			return -ENOMEM;
		if (access(*path, W_OK) == 0)
			return 0;
		free(*path);
		*path = NULL;
		return -EACCES;
	}
	return -ENOENT;
}

static int open_parent(const struct cgroup_limits *l, bool rootless, char **path, bool *ours)
{
	char root[4096];
	*ours = false;
	if (l->parent) {
		*path = strdup(l->parent);
	} else if (cgroup_v2_root(root, sizeof root) < 0) {
		return -ENOENT;
	} else if (rootless) {
		/* Unprivileged: only a subtree brig was delegated. */
		int r = delegated_own(root, path);
		if (r < 0)
			return r;
	} else {
		if (asprintf(path, "%s/%s", root, DEFAULT_PARENT_NAME) < 0)
			*path = NULL;
		if (*path && mkdir(*path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*ours = true;
	}
	if (!*path)
		return -ENOMEM;
	int fd = open(*path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int write_limits(const struct cgroup_limits *l, int dir, unsigned have, const char **what)
{
	char v[128];
	int r;
	if (l->memory && (have & CG_MEMORY)) {
		snprintf(v, sizeof v, "%llu", (unsigned long long)l->memory);
		if ((r = write_at(dir, "memory.max", v)) < 0)
			return *what = "memory.max", r;
	}
	/* With a memory limit and no word on swap, no swap: a job at its
	 * limit should be killed, not thrash the host's swap device. */
	if ((l->memory || l->memory_swap_set) && (have & CG_MEMORY)) {
		snprintf(v, sizeof v, "%llu", (unsigned long long)(l->memory_swap_set ? l->memory_swap : 0));
		if ((r = write_at(dir, "memory.swap.max", v)) < 0 && r != -ENOENT)
			return *what = "memory.swap.max", r;
	}
	if (l->pids && (have & CG_PIDS)) {
		snprintf(v, sizeof v, "%llu", (unsigned long long)l->pids);
		if ((r = write_at(dir, "pids.max", v)) < 0)
			return *what = "pids.max", r;
	}
	if (l->cpu_quota_us && (have & CG_CPU)) {
		snprintf(v, sizeof v, "%llu %u", (unsigned long long)l->cpu_quota_us, CGROUP_CPU_PERIOD_US);
		if ((r = write_at(dir, "cpu.max", v)) < 0)
			return *what = "cpu.max", r;
	}
	if (l->cpu_weight && (have & CG_CPU)) {
		snprintf(v, sizeof v, "%u", l->cpu_weight);
		if ((r = write_at(dir, "cpu.weight", v)) < 0)
			return *what = "cpu.weight", r;
	}
	for (size_t i = 0; i < l->n_io && (have & CG_IO); i++) {
		const struct cgroup_io_limit *io = &l->io[i];
		const struct {
			const char *key;
			uint64_t value;
		} keys[] = { { "rbps", io->rbps }, { "wbps", io->wbps }, { "riops", io->riops }, { "wiops", io->wiops } };
		int n = snprintf(v, sizeof v, "%u:%u", io->major, io->minor);
		for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
			if (keys[k].value)
				n += snprintf(v + n, sizeof v - (size_t)n, " %s=%llu", keys[k].key,
					      (unsigned long long)keys[k].value);
		if ((r = write_at(dir, "io.max", v)) < 0)
			return *what = "io.max", r;
	}
	return 0;
}

static int missing(const struct cgroup_limits *l, unsigned missing_bits, const char *parent, struct cgroup_job *job,
		   struct brig_err *e)
{
	/* Kept for the started event: a reader of JSON alone must know. */
	job->dropped = missing_bits;
	snprintf(job->dropped_reason, sizeof job->dropped_reason, "no cgroup v2 controller in %s", parent);
	for (size_t i = 0; i < ARRAY_SIZE(controllers); i++) {
		if (!(missing_bits & controllers[i].bit))
			continue;
		if (!l->best_effort)
			return err_set(e, -EOPNOTSUPP,
				       "%s: the cgroup v2 controller '%s' is not available in %s (limits required; "
				       "say 'limits best-effort' to run without it)",
				       controllers[i].directives, controllers[i].name, parent);
		log_warn("%s: the cgroup v2 controller '%s' is not available in %s; running without this limit",
			 controllers[i].directives, controllers[i].name, parent);
	}
	return 0;
}

static uint64_t key_value(const char *text, const char *key)
{
	size_t len = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, len) == 0 && p[len] == ' ')
			return strtoull(p + len + 1, NULL, 10);
	return 0;
}

static bool populated(int dir)
{
	char buf[256];
	if (read_at(dir, "cgroup.events", buf, sizeof buf) < 0)
		return false;
	return key_value(buf, "populated") != 0;
}

/* A supervisor killed with SIGKILL cannot remove its job's directory (its
 * processes died with the PID namespace). The next brig removes such
 * directories: empty, and older than any set-up takes, so that a sibling
 * brig between its mkdir and its clone3 is never touched. */
#define STALE_AFTER_S 60

void cgroup_sweep_stale(int parent)
{
	_cleanup_close_ int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d)
		return;
	fd = -1; /* the DIR owns it now */
	time_t now = time(NULL);
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (strncmp(e->d_name, "job-", 4) != 0 || fstatat(parent, e->d_name, &st, 0) < 0 ||
		    now - st.st_mtime < STALE_AFTER_S)
			continue;
		_cleanup_close_ int job = openat(parent, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (job >= 0 && !populated(job))
			(void)unlinkat(parent, e->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

/* io limits name devices by path or MAJ:MIN; a path must be a block
 * device, checked before anything starts. */
static int resolve_devices(const struct cgroup_limits *l, struct brig_err *e)
{
	for (size_t i = 0; i < l->n_io; i++) {
		struct cgroup_io_limit *io = &l->io[i];
		if (io->dev[0] != '/')
			continue;
		struct stat st;
		if (stat(io->dev, &st) < 0)
			return err_set(e, -errno, "io limit %s: %s", io->dev, strerror(errno));
		if (!S_ISBLK(st.st_mode))
			return err_set(e, -ENOTBLK, "io limit %s: not a block device", io->dev);
		io->major = major(st.st_rdev);
		io->minor = minor(st.st_rdev);
	}
	return 0;
}

int cgroup_create(const struct cgroup_limits *l, const char *job_id, bool rootless, struct cgroup_job *job,
		  struct brig_err *e)
{
	unsigned needed = cgroup_needed(l);
	_cleanup_free_ char *parent_path = NULL;
	*job = (struct cgroup_job){ .fd = -1, .parent = -1 };
	int rd = resolve_devices(l, e);
	if (rd < 0)
		return rd;

	bool ours = false;
	int parent = open_parent(l, rootless, &parent_path, &ours);
	if (parent < 0) {
		const char *where = l->parent ? l->parent : rootless ? "(none: brig runs unprivileged in a cgroup it was not delegated)" : "(no cgroup2 mount)";
		if (l->parent)
			return err_set(e, parent, "cgroup-parent %s: %s", l->parent, strerror(-parent));
		/* Without limits, the PID namespace still ends every process. */
		return needed ? missing(l, needed, where, job, e) : 0;
	}
	/* Every controller the host offers, for the usage figures too;
	 * only those a limit needs must be there. */
	unsigned have = enable_controllers(parent, CG_MEMORY | CG_PIDS | CG_CPU | CG_IO);
	int r = missing(l, needed & ~have, parent_path, job, e);
	if (r < 0) {
		close(parent);
		/* brig's own parent goes unless other jobs use it. */
		if (ours)
			(void)rmdir(parent_path);
		return r;
	}
	cgroup_sweep_stale(parent);
	snprintf(job->name, sizeof job->name, "job-%s", job_id);
	int made = mkdirat(parent, job->name, 0755);
	/* Another brig removed the shared parent as its last job ended:
	 * make it again, once. */
	if (made < 0 && errno == ENOENT && ours) {
		close(parent);
		free(parent_path);
		parent_path = NULL;
		parent = open_parent(l, rootless, &parent_path, &ours);
		if (parent < 0)
			return needed ? missing(l, needed, "(the cgroup parent vanished)", job, e) : 0;
		have = enable_controllers(parent, CG_MEMORY | CG_PIDS | CG_CPU | CG_IO);
		made = mkdirat(parent, job->name, 0755);
	}
	if (made < 0) {
		r = -errno;
		close(parent);
		if (ours)
			(void)rmdir(parent_path);
		/* No limit needs it: the job runs without a cgroup, as above. */
		if (!needed && (r == -EACCES || r == -EPERM || r == -EROFS)) {
			log_warn("cannot create the job's cgroup in %s: %s", parent_path, strerror(-r));
			return 0;
		}
		return err_set(e, r, "cannot create the job's cgroup in %s: %s", parent_path, strerror(-r));
	}
	job->parent = parent;
	job->own_parent = ours;
	job->parent_path = strdup(parent_path);
	job->fd = openat(parent, job->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (asprintf(&job->path, "%s/%s", parent_path, job->name) < 0)
		job->path = NULL;
	const char *what = "";
	if (job->fd < 0 || (r = write_limits(l, job->fd, have, &what)) < 0) {
		r = job->fd < 0 ? -errno : r;
		err_set(e, r, "cannot set the job's limits (%s): %s", what, strerror(-r));
		cgroup_destroy(job);
		return r;
	}
	return 0;
}


void cgroup_usage(const struct cgroup_job *job, struct cgroup_usage *u)
{
	char buf[8192];
	*u = (struct cgroup_usage){ 0 };
	if (job->fd < 0)
		return;
	if (read_at(job->fd, "cpu.stat", buf, sizeof buf) == 0) {
		u->have_cpu = true;
		u->cpu_user_ms = (double)key_value(buf, "user_usec") / 1000.0;
		u->cpu_system_ms = (double)key_value(buf, "system_usec") / 1000.0;
	}
	if (read_at(job->fd, "memory.peak", buf, sizeof buf) == 0) {
		u->have_memory_peak = true;
		u->memory_peak = strtoull(buf, NULL, 10);
	}
	if (read_at(job->fd, "pids.peak", buf, sizeof buf) == 0) {
		u->have_pids_peak = true;
		u->pids_peak = strtoull(buf, NULL, 10);
	}
	if (read_at(job->fd, "memory.events", buf, sizeof buf) == 0)
		u->oom_kills = key_value(buf, "oom_kill");
	if (read_at(job->fd, "io.stat", buf, sizeof buf) == 0) {
		u->have_io = true;
		for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
			if (strncmp(tok, "rbytes=", 7) == 0)
				u->io_read_bytes += strtoull(tok + 7, NULL, 10);
			else if (strncmp(tok, "wbytes=", 7) == 0)
				u->io_write_bytes += strtoull(tok + 7, NULL, 10);
		}
	}
}


/* cgroup.events signals each change with POLLPRI: wait on that. */
static int wait_empty(int dir)
{
	_cleanup_close_ int ev = openat(dir, "cgroup.events", O_RDONLY | O_CLOEXEC);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (populated(dir)) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (spent >= DRAIN_TIMEOUT_MS)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = ev, .events = POLLPRI };
		if (ev < 0 || poll(&p, 1, (int)(DRAIN_TIMEOUT_MS - spent)) < 0)
			return -errno;
	}
	return 0;
}

int cgroup_destroy(struct cgroup_job *job)
{
	int r = 0;
	if (job->fd >= 0) {
		if (populated(job->fd) && write_at(job->fd, "cgroup.kill", "1") < 0)
			r = -errno;
		int w = wait_empty(job->fd);
		if (w < 0 && r == 0)
			r = w;
		close(job->fd);
		job->fd = -1;
	}
	if (job->parent >= 0) {
		if (unlinkat(job->parent, job->name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
			r = -errno;
		/* brig's own parent goes with its last job; busy means others
		 * still run. */
		if (job->own_parent && job->parent_path)
			(void)rmdir(job->parent_path);
		close(job->parent);
		job->parent = -1;
	}
	free(job->path);
	free(job->parent_path);
	job->path = job->parent_path = NULL;
	return r;
}

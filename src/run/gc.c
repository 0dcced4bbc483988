/* Normally nothing is left for gc: the supervisor tears down, and its
 * janitor does when the supervisor is killed. gc is for the rest: both
 * killed, or a machine that lost power mid-job (/run is a tmpfs, but the
 * firewall table lives until reboot too). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/cgroup/cgroup.h"
#include "brig/net/firewall.h"
#include "brig/run/gc.h"
#include "brig/lib/exit.h"
#include "brig/lib/log.h"
#include "brig/lib/rmtree.h"
#include "brig/net/net_pool.h"
#include "brig/lib/util.h"

struct gc_state {
	unsigned removed, failed;
};

static void remove_job_firewall(const char *id, void *ctx)
{
	struct gc_state *g = ctx;
	int r = firewall_job_remove(id);
	if (r < 0) {
		log_error("gc: job %s: cannot remove its firewall rules: %s", id, strerror(-r));
		g->failed++;
	} else {
		printf("removed the firewall rules of job %s\n", id);
		g->removed++;
	}
}

/* Whether a live job holds a lease naming id: its lock is taken. */
static bool lease_alive(const char *id)
{
	_cleanup_(closedirp) DIR *d = opendir(NET_LEASE_DIR);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[512], buf[64] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", NET_LEASE_DIR, e->d_name);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (n <= 0)
			continue;
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, id) == 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
			return true;
	}
	return false;
}

int gc_record(const char *id, const char *path)
{
	char file[256];
	if (mkdir("/run/brig", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(GC_STATE_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	snprintf(file, sizeof file, "%s/%s", GC_STATE_DIR, id);
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	size_t len = strlen(path);
	if (flock(fd, LOCK_SH) < 0 || write(fd, path, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		int e = errno;
		close(fd);
		unlink(file);
		return -e;
	}
	return fd;
}

void gc_record_drop(const char *id, int fd)
{
	char file[256];
	if (fd < 0)
		return;
	snprintf(file, sizeof file, "%s/%s", GC_STATE_DIR, id);
	unlink(file);
	close(fd);
}

static void report_left(const char *rel, int err, void *ctx)
{
	(void)ctx;
	log_error("gc: %s stays: %s", rel, strerror(err));
}

/* Records no live supervisor or janitor locks: their job is gone. Only a
 * directory named for the job (brig-ID) is removed, whatever the record
 * says. */
static void sweep_records(struct gc_state *g)
{
	_cleanup_(closedirp) DIR *d = opendir(GC_STATE_DIR);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_close_ int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		char path[4200] = "", want[300];
		ssize_t n = read(fd, path, sizeof path - 1);
		path[n > 0 ? n : 0] = '\0';
		path[strcspn(path, "\n")] = '\0';
		snprintf(want, sizeof want, "/brig-%s", e->d_name);
		size_t pl = strlen(path), wl = strlen(want);
		if (path[0] == '/' && pl > wl && strcmp(path + pl - wl, want) == 0) {
			int r = rmtree_at(AT_FDCWD, path, report_left, NULL);
			if (r != 0) {
				g->failed++;
				continue;
			}
			if (access(path, F_OK) != 0)
				printf("removed %s of job %s\n", path, e->d_name);
			g->removed++;
		}
		unlinkat(dirfd(d), e->d_name, 0);
	}
}

int gc_main(int argc, char **argv)
{
	struct gc_state g = { 0 };
	(void)argv;
	if (argc > 1) {
		log_error("gc: takes no arguments");
		return EXIT_BRIG;
	}
	if (geteuid() != 0) {
		log_error("gc: needs root (leases, firewall rules and brig's cgroups are root's)");
		return EXIT_BRIG;
	}
	/* Leases no process holds: the jobs they name are dead. */
	int r = net_lease_sweep(remove_job_firewall, &g);
	if (r < 0)
		log_warn("gc: cannot read %s: %s", NET_LEASE_DIR, strerror(-r));
	/* Chains without a live lease: a job killed between its firewall
	 * batch and its lease, or whose lease files went with /run. */
	char **ids = NULL;
	size_t n = 0;
	if ((r = firewall_list_jobs(&ids, &n)) < 0 && r != -ENOENT)
		log_warn("gc: cannot list the firewall's jobs: %s", strerror(-r));
	for (size_t i = 0; i < n; i++) {
		if (!lease_alive(ids[i]))
			remove_job_firewall(ids[i], &g);
		free(ids[i]);
	}
	free(ids);
	sweep_records(&g);
	char root[4096], path[4200];
	if (cgroup_v2_root(root, sizeof root) == 0 && root[0]) {
		snprintf(path, sizeof path, "%s/brig", root);
		_cleanup_close_ int parent = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent >= 0)
			cgroup_sweep_stale(parent);
	}
	return g.failed ? 1 : 0;
}

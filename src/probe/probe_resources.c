/* probe: the limits in force, as this process can see them: cgroup files
 * (v2, and v1 where a host still mounts it) and rlimits that differ from
 * the kernel's defaults; and whom per-user kernel counters charge. Nothing is
 * exhausted to find out: a fork bomb is judged by the limit it would hit. */
#include <errno.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "brig/lib/util.h"
#include "brig/probe/checks.h"
#include "brig/probe/verdict.h"

#ifndef NS_GET_OWNER_UID
#define NS_GET_OWNER_UID _IO(0xb7, 0x4)
#endif

/* Where the cgroup that holds this process is visible: for the v2
 * hierarchy (controller NULL) or the v1 hierarchy of controller. */
static int cgroup_dir(const char *controller, char *out, size_t len)
{
	char line[4096], want[256] = "";
	bool found = false;
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		bool match = controller ? strstr(c1 + 1, controller) != NULL && c1[1] : strcmp(line, "0") == 0;
		if (match) {
			snprintf(want, sizeof want, "%s", c2 + 1);
			found = true;
		}
	}
	fclose(f);
	if (!found)
		return -ENOENT;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	int r = -ENOENT;
	while (fgets(line, sizeof line, f)) {
		char root[256], mnt[256], fstype[64], opts[512];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %255s %255s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
			continue;
		if (controller ? strcmp(fstype, "cgroup") != 0 || !strstr(opts, controller) : strcmp(fstype, "cgroup2") != 0)
			continue;
		size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
		if (strncmp(want, root, rl) != 0)
			continue;
		snprintf(out, len, "%s%s", mnt, want + rl);
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

/* Walks from the process's cgroup up to the visible root; the first file
 * whose value is a limit (not "max", not effectively unlimited) wins. */
static bool cgroup_limit(const char *controller, const char *file, char *evidence, size_t len)
{
	char dir[PATH_MAX];
	if (cgroup_dir(controller, dir, sizeof dir) < 0)
		return false;
	size_t base = 0;
	/* Never above the mount point. */
	char mnt[PATH_MAX];
	snprintf(mnt, sizeof mnt, "%s", dir);
	for (;;) {
		char path[PATH_MAX + 64], val[64] = "";
		snprintf(path, sizeof path, "%s/%s", dir, file);
		FILE *f = fopen(path, "re");
		if (f) {
			if (fgets(val, sizeof val, f))
				val[strcspn(val, "\n ")] = 0;
			fclose(f);
			unsigned long long v = strtoull(val, NULL, 10);
			if (val[0] && strcmp(val, "max") != 0 && v < (1ULL << 62)) {
				snprintf(evidence, len, "%.150s %.40s", path, val);
				return true;
			}
		} else if (base) {
			break;
		}
		base++;
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = 0;
	}
	return false;
}

/* A hard rlimit that differs from the kernel's default: see
 * probe_rule_rlimit_counts. */
static bool rlimit_set(int res, const char *name, char *evidence, size_t len)
{
	struct rlimit rl;
	if (getrlimit(res, &rl) < 0 ||
	    !probe_rule_rlimit_counts(res, rl.rlim_max, probe_read_long("/proc/sys/kernel/threads-max")))
		return false;
	snprintf(evidence, len, "%s hard limit %llu", name, (unsigned long long)rl.rlim_max);
	return true;
}

static void limited(struct probe_report *r, const char *what, bool any, const char *ev)
{
	if (any)
		probe_set(r, PROBE_BLOCKED, "%s", ev);
	else
		probe_set(r, PROBE_EXPOSED, "no %s limit in any visible cgroup or rlimit", what);
}

void probe_resources_memory(struct probe_report *r)
{
	char ev[PROBE_EVIDENCE_MAX];
	bool any = cgroup_limit(NULL, "memory.max", ev, sizeof ev) ||
		   cgroup_limit("memory", "memory.limit_in_bytes", ev, sizeof ev) ||
		   rlimit_set(RLIMIT_AS, "RLIMIT_AS", ev, sizeof ev);
	limited(r, "memory", any, ev);
}

/* The kernel does not hold the host's root, or a process with
 * CAP_SYS_ADMIN or CAP_SYS_RESOURCE over the host, to RLIMIT_NPROC. */
static bool nproc_applies(void)
{
	char line[256];
	unsigned long in, out, count;
	bool initial = false;
	FILE *f = fopen("/proc/self/uid_map", "re");
	if (f) {
		initial = fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3 && in == 0 && out == 0 &&
			  count == 4294967295UL;
		fclose(f);
	}
	if (!initial)
		return true;
	if (getuid() == 0)
		return false;
	unsigned long long eff = 0;
	f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof line, f))
		sscanf(line, "CapEff: %llx", &eff);
	if (f)
		fclose(f);
	return !(eff & ((1ULL << 21) | (1ULL << 24)));
}

void probe_resources_pids(struct probe_report *r)
{
	char ev[PROBE_EVIDENCE_MAX];
	bool any = cgroup_limit(NULL, "pids.max", ev, sizeof ev) || cgroup_limit("pids", "pids.max", ev, sizeof ev) ||
		   (nproc_applies() && rlimit_set(RLIMIT_NPROC, "RLIMIT_NPROC", ev, sizeof ev));
	limited(r, "process-count (a fork bomb would run the host out of PIDs)", any, ev);
}

void probe_resources_cpu(struct probe_report *r)
{
	char ev[PROBE_EVIDENCE_MAX];
	bool any = cgroup_limit(NULL, "cpu.max", ev, sizeof ev) ||
		   cgroup_limit("cpu,", "cpu.cfs_quota_us", ev, sizeof ev) ||
		   rlimit_set(RLIMIT_CPU, "RLIMIT_CPU", ev, sizeof ev);
	limited(r, "CPU", any, ev);
}

/* inotify instances count against the user in this namespace and, above
 * it, against the user that owns each enclosing namespace: a job whose
 * namespace the host's root created can use up root's instances. One
 * instance is made and closed to see that inotify works at all. */
void probe_resources_inotify(struct probe_report *r)
{
	int fd = inotify_init1(IN_CLOEXEC);
	int init_err = fd < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	long owner = -ENOENT;
	_cleanup_close_ int ns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	uid_t uid = 0;
	if (ns < 0)
		owner = -errno;
	else if (ioctl(ns, NS_GET_OWNER_UID, &uid) < 0)
		owner = -errno;
	else
		owner = uid;
	probe_rule_inotify(r, init_err, owner, geteuid(), probe_read_long("/proc/sys/kernel/overflowuid"),
			   probe_initial_userns(), probe_read_long("/proc/sys/fs/inotify/max_user_instances"));
}

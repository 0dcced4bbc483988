/* probe: the host's file system, kernel interfaces under /proc and /sys,
 * devices, and the descriptors and directories a job might have been
 * handed by mistake. Writability is tested by opening for writing and
 * closing without writing, or with access(2), never by writing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "brig/lib/util.h"
#include "brig/probe/checks.h"
#include "brig/probe/verdict.h"

/* PID 1's root being another directory than ours means the host (or an
 * outer container) is one path away. */
void probe_filesystem_proc1_root(struct probe_report *r)
{
	struct stat mine, theirs;
	if (stat("/", &mine) < 0) {
		probe_set(r, PROBE_NA, "stat /: %s", probe_errno_name(errno));
		return;
	}
	if (stat("/proc/1/root/", &theirs) < 0) {
		probe_set(r, PROBE_BLOCKED, "/proc/1/root: %s", probe_errno_name(errno));
		return;
	}
	if (mine.st_dev == theirs.st_dev && mine.st_ino == theirs.st_ino) {
		probe_set(r, PROBE_BLOCKED, "/proc/1/root is this root");
		return;
	}
	int e = probe_try_open("/proc/1/root/", O_RDONLY | O_DIRECTORY);
	probe_set(r, e == 0 ? PROBE_EXPOSED : PROBE_BLOCKED, "/proc/1/root is another root (%s)",
		  e == 0 ? "readable" : probe_errno_name(-e));
}

/* The root of mountinfo: a real block device mounted at / means this root
 * is a host file system, not one built for the sandbox. */
void probe_filesystem_host_root(struct probe_report *r)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		probe_set(r, PROBE_NA, "/proc/self/mountinfo: %s", probe_errno_name(errno));
		return;
	}
	char line[4096];
	char root_src[256] = "", root_fs[64] = "", root_root[256] = "";
	while (fgets(line, sizeof line, f)) {
		char root[256], mnt[256], fstype[64], src[256];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %255s %255s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s %255s", fstype, src) != 2)
			continue;
		if (strcmp(mnt, "/") == 0) {
			snprintf(root_src, sizeof root_src, "%s", src);
			snprintf(root_fs, sizeof root_fs, "%s", fstype);
			snprintf(root_root, sizeof root_root, "%s", root);
		}
	}
	if (!root_fs[0])
		probe_set(r, PROBE_NA, "no / in mountinfo");
	else if (strncmp(root_src, "/dev/", 5) == 0 && strcmp(root_root, "/") == 0)
		probe_set(r, PROBE_EXPOSED, "/ is the whole of %s (%s)", root_src, root_fs);
	else
		probe_set(r, PROBE_BLOCKED, "/ is %s from %s (root %s)", root_fs, root_src, root_root);
}

/* Block devices named as mount sources tell which disks the host has. */
void probe_filesystem_host_devices(struct probe_report *r)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		probe_set(r, PROBE_NA, "/proc/self/mountinfo: %s", probe_errno_name(errno));
		return;
	}
	char line[4096], first[600] = "";
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		char mnt[256], src[256];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 || sscanf(sep + 3, "%*s %255s", src) != 1)
			continue;
		if (strncmp(src, "/dev/", 5) == 0 && strncmp(src, "/dev/loop", 9) != 0) {
			if (!n++)
				snprintf(first, sizeof first, "%s on %s", src, mnt);
		}
	}
	if (n)
		probe_set(r, PROBE_EXPOSED, "%zu mounts name host devices (e.g. %s)", n, first);
	else
		probe_set(r, PROBE_BLOCKED, "no host device named in mountinfo");
}

/* A working directory outside the root (a chroot done without chdir, or a
 * descriptor inherited across pivot_root) reads as "(unreachable)". */
void probe_filesystem_cwd(struct probe_report *r)
{
	char buf[4096];
	if (!getcwd(buf, sizeof buf)) {
		probe_set(r, errno == ENOENT ? PROBE_EXPOSED : PROBE_NA, "getcwd: %s", probe_errno_name(errno));
		return;
	}
	if (buf[0] != '/')
		probe_set(r, PROBE_EXPOSED, "working directory outside the root: %s", buf);
	else
		probe_set(r, PROBE_BLOCKED, "working directory %s", buf);
}

/* Descriptors beyond 0-2 are inherited (the probe holds none open
 * between checks, and this one runs first): a directory among them is a
 * way around the root. */
void probe_filesystem_fds(struct probe_report *r)
{
	_cleanup_(closedirp) DIR *d = opendir("/proc/self/fd");
	if (!d) {
		probe_set(r, PROBE_NA, "/proc/self/fd: %s", probe_errno_name(errno));
		return;
	}
	size_t n = 0;
	bool dir = false;
	char first[256] = "";
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d))
			continue;
		char link[64], target[192] = "";
		snprintf(link, sizeof link, "/proc/self/fd/%ld", fd);
		ssize_t len = readlink(link, target, sizeof target - 1);
		if (len < 0)
			continue;
		target[len] = 0;
		struct stat st;
		bool isdir = fstat((int)fd, &st) == 0 && S_ISDIR(st.st_mode);
		if (!n++ || (isdir && !dir))
			snprintf(first, sizeof first, "fd %ld -> %s", fd, target);
		dir |= isdir;
	}
	if (!n)
		probe_set(r, PROBE_BLOCKED, "only descriptors 0-2 inherited");
	else
		probe_set(r, PROBE_EXPOSED, "%zu inherited descriptors%s (%s)", n, dir ? ", a directory among them" : "",
			  first);
}

/* Open for writing, close without writing. */
static void writable(struct probe_report *r, const char *path)
{
	int e = probe_try_open(path, O_WRONLY);
	if (e == 0)
		probe_set(r, PROBE_EXPOSED, "%s opens for writing", path);
	else if (e == -ENOENT)
		probe_set(r, PROBE_BLOCKED, "%s: absent", path);
	else
		probe_set(r, PROBE_BLOCKED, "%s: %s", path, probe_errno_name(-e));
}

/* Sandboxes mask a file by mounting /dev/null over it: that opens, and
 * reads nothing. 0 opened (masked or not), else -errno. */
static int open_masked(const char *path, bool *masked)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	*masked = false;
	if (fd < 0)
		return -errno;
	*masked = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
	close(fd);
	return 0;
}

static void readable(struct probe_report *r, const char *path)
{
	bool masked;
	int e = open_masked(path, &masked);
	probe_rule_readable(r, path, e, masked);
}

void probe_filesystem_proc_sys(struct probe_report *r)
{
	writable(r, "/proc/sys/vm/overcommit_memory");
}

void probe_filesystem_core_pattern(struct probe_report *r)
{
	writable(r, "/proc/sys/kernel/core_pattern");
}

void probe_filesystem_sysrq(struct probe_report *r)
{
	writable(r, "/proc/sysrq-trigger");
}

void probe_filesystem_dev_mem(struct probe_report *r)
{
	readable(r, "/dev/mem");
}

void probe_filesystem_kvm(struct probe_report *r)
{
	readable(r, "/dev/kvm");
}

/* Keys of other users are what /proc/keys must not show; the job's own
 * (or none) are no leak. Its UID column is in this namespace's terms. */
void probe_filesystem_proc_keys(struct probe_report *r)
{
	bool masked;
	int e = open_masked("/proc/keys", &masked);
	size_t keys = 0, foreign = 0;
	if (e == 0 && !masked) {
		_cleanup_(fclosep) FILE *f = fopen("/proc/keys", "re");
		char line[512];
		while (f && fgets(line, sizeof line, f)) {
			unsigned long uid;
			if (sscanf(line, "%*s %*s %*s %*s %*s %lu", &uid) != 1)
				continue;
			keys++;
			foreign += uid != (unsigned long)geteuid();
		}
	}
	probe_rule_proc_keys(r, e, masked, keys, foreign);
}

void probe_filesystem_kcore(struct probe_report *r)
{
	readable(r, "/proc/kcore");
	/* A kernel built without it has nothing to hide; a masked one does. */
	if (r->result == PROBE_BLOCKED && strstr(r->evidence, "ENOENT")) {
		struct stat st;
		if (stat("/proc/self", &st) == 0)
			probe_set(r, PROBE_NA, "no /proc/kcore in this kernel");
	}
}

/* /sys mounted read-write lets root change kernel and device settings;
 * uevent_helper is the one that runs a program as host root. */
void probe_filesystem_sys(struct probe_report *r)
{
	struct statvfs v;
	if (statvfs("/sys/kernel", &v) < 0) {
		probe_set(r, PROBE_BLOCKED, "no /sys (%s)", probe_errno_name(errno));
		return;
	}
	static const char *const paths[] = { "/sys/kernel/uevent_helper", "/sys/kernel/mm/transparent_hugepage/enabled",
					     "/sys/power/state" };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (probe_try_open(paths[i], O_WRONLY) == 0) {
			probe_set(r, PROBE_EXPOSED, "%s opens for writing", paths[i]);
			return;
		}
	probe_set(r, PROBE_BLOCKED, "/sys %s, its kernel settings refuse writing",
		  v.f_flag & ST_RDONLY ? "read-only" : "read-write");
}

/* Any block device that opens for reading: the host's disks, raw. */
void probe_filesystem_block(struct probe_report *r)
{
	_cleanup_(closedirp) DIR *d = opendir("/dev");
	if (!d) {
		probe_set(r, PROBE_BLOCKED, "/dev: %s", probe_errno_name(errno));
		return;
	}
	struct dirent *e;
	size_t seen = 0;
	int last = 0;
	while ((e = readdir(d))) {
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISBLK(st.st_mode))
			continue;
		/* Loop devices are usually empty; they say nothing of the host. */
		if (major(st.st_rdev) == 7)
			continue;
		seen++;
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd >= 0) {
			close(fd);
			probe_set(r, PROBE_EXPOSED, "/dev/%s opens for reading", e->d_name);
			return;
		}
		last = errno;
	}
	if (seen)
		probe_set(r, PROBE_BLOCKED, "%zu block devices, none opens (%s)", seen, probe_errno_name(last));
	else
		probe_set(r, PROBE_BLOCKED, "no block devices in /dev");
}

/* CVE-2022-0492: a writable release_agent of a cgroup v1 hierarchy runs a
 * program as host root when a cgroup empties. */
void probe_filesystem_release_agent(struct probe_report *r)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		probe_set(r, PROBE_NA, "/proc/self/mountinfo: %s", probe_errno_name(errno));
		return;
	}
	char line[4096];
	size_t v1 = 0;
	while (fgets(line, sizeof line, f)) {
		char mnt[256], fstype[64];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %255s", mnt) != 1 || sscanf(sep + 3, "%63s", fstype) != 1 ||
		    strcmp(fstype, "cgroup") != 0)
			continue;
		v1++;
		char path[300];
		snprintf(path, sizeof path, "%s/release_agent", mnt);
		if (probe_try_open(path, O_WRONLY) == 0) {
			probe_set(r, PROBE_EXPOSED, "%s opens for writing", path);
			return;
		}
	}
	probe_set(r, PROBE_BLOCKED, v1 ? "%zu cgroup v1 mounts, no writable release_agent" : "no cgroup v1 mounted",
		  v1);
}

static void access_w(struct probe_report *r, const char *path)
{
	if (faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0)
		probe_set(r, PROBE_EXPOSED, "%s is writable", path);
	else
		probe_set(r, PROBE_BLOCKED, "%s: %s", path, probe_errno_name(errno));
}

void probe_filesystem_usr(struct probe_report *r)
{
	access_w(r, "/usr");
}

void probe_filesystem_root(struct probe_report *r)
{
	access_w(r, "/");
}

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

#include "brig/probe/probe.h"
#include "brig/lib/util.h"

/* PID 1's root being another directory than ours means the host (or an
 * outer container) is one path away. */
static void check_proc1_root(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
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
static void check_host_root(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
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
static void check_host_devices(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
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
static void check_cwd(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
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

/* Descriptors beyond 0-2 that were open when the probe started were
 * inherited: a directory among them is a way around the root. */
static void check_fds(const struct probe_ctx *ctx, struct probe_report *r)
{
	size_t n = 0;
	bool dir = false;
	char first[256] = "";
	for (size_t i = 0; i < ctx->n_fds_at_start; i++) {
		int fd = ctx->fds_at_start[i];
		if (fd <= 2)
			continue;
		char link[64], target[192] = "";
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t len = readlink(link, target, sizeof target - 1);
		if (len < 0)
			continue;
		target[len] = 0;
		struct stat st;
		bool isdir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
		if (!n++ || (isdir && !dir))
			snprintf(first, sizeof first, "fd %d -> %s", fd, target);
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
 * reads nothing. */
static void readable(struct probe_report *r, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0) {
		probe_set(r, PROBE_BLOCKED, "%s: %s", path, probe_errno_name(errno));
		return;
	}
	bool masked = fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
	close(fd);
	if (masked)
		probe_set(r, PROBE_BLOCKED, "%s is masked (/dev/null over it)", path);
	else
		probe_set(r, PROBE_EXPOSED, "%s opens for reading", path);
}

#define WRITABLE(fn, path)                                                  \
	static void fn(const struct probe_ctx *ctx, struct probe_report *r) \
	{                                                                   \
		(void)ctx;                                                  \
		writable(r, path);                                          \
	}
#define READABLE(fn, path)                                                  \
	static void fn(const struct probe_ctx *ctx, struct probe_report *r) \
	{                                                                   \
		(void)ctx;                                                  \
		readable(r, path);                                          \
	}
WRITABLE(check_proc_sys, "/proc/sys/vm/overcommit_memory")
WRITABLE(check_core_pattern, "/proc/sys/kernel/core_pattern")
WRITABLE(check_sysrq, "/proc/sysrq-trigger")
READABLE(check_keys, "/proc/keys")
READABLE(check_mem, "/dev/mem")
READABLE(check_kvm, "/dev/kvm")

static void check_kcore(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
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
static void check_sys(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
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
static void check_block(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
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
static void check_release_agent(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
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

static void check_usr(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	access_w(r, "/usr");
}

static void check_rootfs(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	access_w(r, "/");
}

static const struct probe_check checks[] = {
	{ "filesystem.proc1-root", PROBE_HIGH, check_proc1_root },
	{ "filesystem.host-root", PROBE_HIGH, check_host_root },
	{ "filesystem.host-devices", PROBE_LOW, check_host_devices },
	{ "filesystem.cwd", PROBE_HIGH, check_cwd },
	{ "filesystem.inherited-fds", PROBE_MEDIUM, check_fds },
	{ "filesystem.proc-sys", PROBE_HIGH, check_proc_sys },
	{ "filesystem.core-pattern", PROBE_HIGH, check_core_pattern },
	{ "filesystem.sysrq-trigger", PROBE_HIGH, check_sysrq },
	{ "filesystem.sys", PROBE_HIGH, check_sys },
	{ "filesystem.kcore", PROBE_HIGH, check_kcore },
	{ "filesystem.proc-keys", PROBE_LOW, check_keys },
	{ "filesystem.dev-mem", PROBE_HIGH, check_mem },
	{ "filesystem.block-devices", PROBE_HIGH, check_block },
	{ "filesystem.dev-kvm", PROBE_MEDIUM, check_kvm },
	{ "filesystem.release-agent", PROBE_HIGH, check_release_agent },
	{ "filesystem.usr-writable", PROBE_HIGH, check_usr },
	{ "filesystem.root-writable", PROBE_LOW, check_rootfs },
};
const struct probe_category probe_filesystem = { "filesystem", checks, ARRAY_SIZE(checks), false };

/* The job's Landlock domain, made from its own mount table (see
 * brig/fs/landlock.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "brig/fs/landlock.h"
#include "brig/lib/util.h"

/* Newer than some distributions' headers. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

#define READ_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* What a rule on a file (not a directory) may hold. */
#define FILE_RIGHTS                                                                                      \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |     \
	 LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)

int landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		return -errno;
	return abi < LANDLOCK_MIN_ABI ? -EPROTO : (int)abi;
}

int landlock_job_abi(const struct brig_config *c)
{
	for (size_t i = 0; i < c->n_caps; i++)
		if (c->caps[i] == CAP_SYS_ADMIN)
			return -ECANCELED;
	return landlock_abi();
}

const char *landlock_absent_reason(int r)
{
	switch (r) {
	case -ECANCELED:
		return "the job keeps CAP_SYS_ADMIN, and a Landlock domain refuses every mount";
	case -ENOSYS:
		return "this kernel has no Landlock";
	case -EOPNOTSUPP:
		return "Landlock is disabled on this host";
	case -EPROTO:
		return "this kernel's Landlock (ABI 1) refuses renames across directories";
	default:
		return "Landlock is refused to brig here";
	}
}

/* ABI 1: the first thirteen; 2: refer (renames and links across
 * directories); 3: truncate; 5: ioctl on devices. ABI 4 and 6 on added
 * network and scope rights only, which brig leaves to its other walls. */
uint64_t landlock_handled(int abi)
{
	uint64_t h = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;
	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

/* A read-only mount holds no device the job may drive: ioctls on devices
 * (ttys, /dev/null) come with write, where the job's devices are
 * (/dev/pts, its /dev nodes, each a writable mount of its own). */
uint64_t landlock_rights(int abi, bool read_only, bool dir)
{
	uint64_t r = read_only ? READ_RIGHTS : landlock_handled(abi);
	r &= landlock_handled(abi);
	return dir ? r : r & FILE_RIGHTS;
}

/* Octal escapes (\040 for a space, \134 for a backslash) as the kernel
 * writes them. */
static int unescape(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

static bool has_option(const char *opts, size_t len, const char *want)
{
	size_t n = strlen(want);
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && opts[j] != ',')
			j++;
		if (j - i == n && memcmp(opts + i, want, n) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER" */
int landlock_parse_mountinfo(const char *line, char *path, size_t size, bool *read_only)
{
	const char *field[6];
	size_t flen[6];
	const char *p = line;
	for (int i = 0; i < 6; i++) {
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return -EINVAL;
		field[i] = p;
		while (*p && *p != ' ' && *p != '\n')
			p++;
		flen[i] = (size_t)(p - field[i]);
	}
	const char *sep = strstr(p, " - ");
	if (!sep || field[4][0] != '/')
		return -EINVAL;
	/* after the separator: type, source, then the superblock's options */
	const char *super = sep + 3;
	for (int i = 0; i < 2 && super; i++) {
		super = strchr(super, ' ');
		super = super ? super + 1 : NULL;
	}
	size_t slen = super ? strcspn(super, " \n") : 0;
	*read_only = has_option(field[5], flen[5], "ro") || (super && has_option(super, slen, "ro"));
	return unescape(field[4], flen[4], path, size) < 0 ? -EINVAL : 0;
}

static int add_rule(int ruleset, int fd, uint64_t rights)
{
	struct landlock_path_beneath_attr rule = { .allowed_access = rights, .parent_fd = fd };
	if (!rights)
		return 0;
	return syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0 ? -errno : 0;
}

static int add_mount(int ruleset, int abi, const char *path, bool read_only, struct brig_err *e)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	/* A mount point under a later mount is out of the job's reach. */
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_at(e, -errno, path, "cannot open the mount point for Landlock");
	int r = add_rule(ruleset, fd, landlock_rights(abi, read_only, S_ISDIR(st.st_mode)));
	return r < 0 ? err_at(e, r, path, "cannot add the mount's Landlock rule") : 0;
}

static int add_mounts(int ruleset, int abi, struct brig_err *e)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return err_at(e, -errno, "/proc/self/mountinfo", "cannot read the job's mounts");
	char *line = NULL, path[4096];
	size_t cap = 0;
	int r = 0, n = 0;
	while (r >= 0 && getline(&line, &cap, f) > 0) {
		bool ro;
		if (landlock_parse_mountinfo(line, path, sizeof path, &ro) < 0)
			continue;
		r = add_mount(ruleset, abi, path, ro, e);
		n++;
	}
	free(line);
	fclose(f);
	if (r >= 0 && n == 0)
		r = err_set(e, -ENOENT, "no mount of the job found for Landlock");
	return r;
}

/* What the job was handed open is itself: reopening it by /proc/self/fd
 * gives what its open mode gave. Pipes and sockets are never checked by
 * Landlock (the kernel refuses rules on them), directories give nothing
 * beneath them. */
static int add_kept(int ruleset, int abi, int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_PATH) || fstat(fd, &st) < 0 || S_ISDIR(st.st_mode))
		return 0;
	uint64_t rights = 0;
	if ((fl & O_ACCMODE) != O_WRONLY)
		rights |= LANDLOCK_ACCESS_FS_READ_FILE;
	if ((fl & O_ACCMODE) != O_RDONLY)
		rights |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE;
	if (S_ISCHR(st.st_mode))
		rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	int r = add_rule(ruleset, fd, rights & landlock_handled(abi));
	return r == -EBADFD ? 0 : r;
}

int landlock_restrict_to_mounts(int abi, const int *keep, size_t n_keep, struct brig_err *e)
{
	if (abi < 0)
		return 0;
	struct landlock_ruleset_attr attr = { .handled_access_fs = landlock_handled(abi) };
	_cleanup_close_ int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (ruleset < 0)
		return err_set(e, -errno, "cannot create the Landlock ruleset: %s", strerror(errno));
	int r = add_mounts(ruleset, abi, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_keep; i++)
		if ((r = add_kept(ruleset, abi, keep[i])) < 0)
			return err_set(e, r, "cannot add the Landlock rule of descriptor %d: %s", keep[i], strerror(-r));
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return err_set(e, -errno, "cannot enforce the Landlock ruleset: %s", strerror(errno));
	return 0;
}

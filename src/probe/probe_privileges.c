/* probe: capabilities, no_new_privs, securebits, set-user-ID programs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/landlock.h>

#include "brig/lib/util.h"
#include "brig/probe/checks.h"
#include "brig/probe/verdict.h"

/* Capabilities over a user namespace other than the initial one are
 * labelled namespace only: they act on that namespace's objects, not the
 * host's. */
static void caps(struct probe_report *r, const char *set)
{
	unsigned long long v = 0;
	int e = probe_status_hex(set, &v);
	probe_rule_caps(r, set, e, v, probe_initial_userns());
}

void probe_privileges_cap_effective(struct probe_report *r)
{
	caps(r, "CapEff");
}

void probe_privileges_cap_permitted(struct probe_report *r)
{
	caps(r, "CapPrm");
}

void probe_privileges_cap_inheritable(struct probe_report *r)
{
	caps(r, "CapInh");
}

void probe_privileges_cap_bounding(struct probe_report *r)
{
	caps(r, "CapBnd");
}

void probe_privileges_cap_ambient(struct probe_report *r)
{
	caps(r, "CapAmb");
}

void probe_privileges_no_new_privs(struct probe_report *r)
{
	int v = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (v < 0)
		probe_set(r, PROBE_NA, "PR_GET_NO_NEW_PRIVS: %s", probe_errno_name(errno));
	else
		probe_set(r, v ? PROBE_BLOCKED : PROBE_EXPOSED, "no_new_privs %d", v);
}

void probe_privileges_securebits(struct probe_report *r)
{
	int v = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	unsigned long long bnd = 0;
	if (v < 0)
		probe_set(r, PROBE_NA, "PR_GET_SECUREBITS: %s", probe_errno_name(errno));
	else if (v & SECBIT_NOROOT)
		probe_set(r, PROBE_BLOCKED, "securebits %#x: root gains nothing by exec", v);
	else if (probe_status_hex("CapBnd", &bnd) == 0 && bnd == 0)
		probe_set(r, PROBE_BLOCKED, "securebits %#x, but the bounding set is empty", v);
	else if (probe_initial_userns() == 0) {
		probe_set(r, PROBE_BLOCKED, "securebits %#x: uid 0 regains capabilities by exec, namespace only", v);
		r->scope = PROBE_SCOPE_NAMESPACE;
	} else
		probe_set(r, PROBE_EXPOSED, "securebits %#x: executing as uid 0 regains capabilities", v);
}

/* Set-user-ID and set-group-ID programs in the usual directories; they
 * matter only where no_new_privs is off and the mount honours them. */
/* Set-user-ID and set-group-ID programs in the usual directories that
 * would give something: see probe_rule_setid_works. */
void probe_privileges_setuid(struct probe_report *r)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/lib/dbus-1.0",
					    "/usr/lib/openssh", "/usr/libexec", "/usr/local/bin" };
	long ouid = probe_read_long("/proc/sys/kernel/overflowuid"), ogid = probe_read_long("/proc/sys/kernel/overflowgid");
	bool nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
	size_t found = 0, working = 0;
	char first[300] = "", work[300] = "";
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_(closedirp) DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		struct statvfs vfs;
		bool nosuid = statvfs(dirs[i], &vfs) == 0 && (vfs.f_flag & ST_NOSUID);
		struct dirent *e;
		while ((e = readdir(d))) {
			struct stat st;
			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (!(st.st_mode & (S_ISUID | S_ISGID)))
				continue;
			if (!found++)
				snprintf(first, sizeof first, "%s/%s", dirs[i], e->d_name);
			bool suid = st.st_mode & S_ISUID;
			if (probe_rule_setid_works(st.st_mode, suid ? (long)st.st_uid : (long)st.st_gid, suid ? ouid : ogid,
						   suid ? (long)geteuid() : (long)getegid(), nosuid, nnp) &&
			    !working++)
				snprintf(work, sizeof work, "%s/%s", dirs[i], e->d_name);
		}
	}
	if (!found)
		probe_set(r, PROBE_BLOCKED, "no set-user-ID or set-group-ID programs found");
	else if (working)
		probe_set(r, PROBE_EXPOSED, "%zu set-ID programs that work (e.g. %s)", working, work);
	else if (nnp)
		probe_set(r, PROBE_BLOCKED, "%zu set-ID programs (e.g. %s), neutered by no_new_privs", found, first);
	else
		probe_set(r, PROBE_BLOCKED, "%zu set-ID programs (e.g. %s): nosuid mounts or owners not mapped here", found,
			  first);
}

/* Landlock domains stack up to a fixed depth (16 layers): a child that
 * adds layers until the kernel refuses (E2BIG) learns how many were
 * already in force. Each layer handles execution only, and the child
 * exits at once. */
#define LANDLOCK_MAX_LAYERS 16
static long landlock_room(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE };
	for (long added = 0; added <= LANDLOCK_MAX_LAYERS; added++) {
		int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
		if (fd < 0)
			return -1;
		long rc = syscall(SYS_landlock_restrict_self, fd, 0);
		int e = errno;
		close(fd);
		if (rc < 0) {
			errno = e;
			return e == E2BIG ? added : -1;
		}
	}
	errno = ERANGE;
	return -1;
}

void probe_privileges_landlock(struct probe_report *r)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		probe_rule_landlock(r, -errno, 0);
		return;
	}
	long room = 0;
	int err = 0;
	int st = probe_in_child(landlock_room, &room, &err);
	int layers = st < 0 ? st : !WIFEXITED(st) ? -EIO : room < 0 ? -err : LANDLOCK_MAX_LAYERS - (int)room;
	probe_rule_landlock(r, (int)abi, layers);
}

/* probe: capabilities, no_new_privs, securebits, set-user-ID programs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "brig/probe/probe.h"
#include "brig/lib/util.h"

/* "CapEff:\t000001ffffffffff" from /proc/self/status. */
static int cap_set(const char *name, uint64_t *v)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return -errno;
	char line[256];
	size_t len = strlen(name);
	while (fgets(line, sizeof line, f))
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			return sscanf(line + len + 1, "%" SCNx64, v) == 1 ? 0 : -EINVAL;
	return -ENOENT;
}

static void caps_verdict(struct probe_report *r, const char *name)
{
	uint64_t v = 0;
	int e = cap_set(name, &v);
	if (e < 0)
		probe_set(r, PROBE_NA, "%s: cannot read /proc/self/status", name);
	else if (v)
		probe_set(r, PROBE_EXPOSED, "%s %016" PRIx64 " (%d capabilities)", name, v, __builtin_popcountll(v));
	else
		probe_set(r, PROBE_BLOCKED, "%s empty", name);
}

#define CAPCHECK(fn, set)                                                  \
	static void fn(const struct probe_ctx *ctx, struct probe_report *r) \
	{                                                                   \
		(void)ctx;                                                  \
		caps_verdict(r, set);                                       \
	}
CAPCHECK(check_eff, "CapEff")
CAPCHECK(check_prm, "CapPrm")
CAPCHECK(check_inh, "CapInh")
CAPCHECK(check_bnd, "CapBnd")
CAPCHECK(check_amb, "CapAmb")

static void check_nnp(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	int v = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (v < 0)
		probe_set(r, PROBE_NA, "PR_GET_NO_NEW_PRIVS: %s", probe_errno_name(errno));
	else
		probe_set(r, v ? PROBE_BLOCKED : PROBE_EXPOSED, "no_new_privs %d", v);
}

static void check_securebits(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	int v = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	uint64_t bnd = 0;
	if (v < 0)
		probe_set(r, PROBE_NA, "PR_GET_SECUREBITS: %s", probe_errno_name(errno));
	else if (v & SECBIT_NOROOT)
		probe_set(r, PROBE_BLOCKED, "securebits %#x: root gains nothing by exec", v);
	else if (cap_set("CapBnd", &bnd) == 0 && bnd == 0)
		probe_set(r, PROBE_BLOCKED, "securebits %#x, but the bounding set is empty", v);
	else
		probe_set(r, PROBE_EXPOSED, "securebits %#x: executing as uid 0 regains capabilities", v);
}

/* Set-user-ID and set-group-ID programs in the usual directories; they
 * matter only where no_new_privs is off and the mount honours them. */
static void check_setuid(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/lib/dbus-1.0",
					    "/usr/lib/openssh", "/usr/libexec", "/usr/local/bin" };
	size_t found = 0;
	char first[300] = "";
	bool honoured = false;
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_(closedirp) DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		struct dirent *e;
		while ((e = readdir(d))) {
			struct stat st;
			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
				continue;
			if (!(st.st_mode & (S_ISUID | S_ISGID)))
				continue;
			if (!found++)
				snprintf(first, sizeof first, "%s/%s", dirs[i], e->d_name);
			struct statvfs vfs;
			if (statvfs(dirs[i], &vfs) == 0 && !(vfs.f_flag & ST_NOSUID))
				honoured = true;
		}
	}
	int nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	if (!found)
		probe_set(r, PROBE_BLOCKED, "no set-user-ID or set-group-ID programs found");
	else if (nnp == 1)
		probe_set(r, PROBE_BLOCKED, "%zu set-ID programs (e.g. %s), neutered by no_new_privs", found, first);
	else if (!honoured)
		probe_set(r, PROBE_BLOCKED, "%zu set-ID programs (e.g. %s) on nosuid mounts", found, first);
	else
		probe_set(r, PROBE_EXPOSED, "%zu set-ID programs that work (e.g. %s)", found, first);
}

static const struct probe_check checks[] = {
	{ "privileges.cap-effective", PROBE_HIGH, check_eff },
	{ "privileges.cap-permitted", PROBE_HIGH, check_prm },
	{ "privileges.cap-inheritable", PROBE_LOW, check_inh },
	{ "privileges.cap-bounding", PROBE_MEDIUM, check_bnd },
	{ "privileges.cap-ambient", PROBE_MEDIUM, check_amb },
	{ "privileges.no-new-privs", PROBE_MEDIUM, check_nnp },
	{ "privileges.securebits", PROBE_LOW, check_securebits },
	{ "privileges.setuid-programs", PROBE_MEDIUM, check_setuid },
};
const struct probe_category probe_privileges = { "privileges", checks, ARRAY_SIZE(checks), false };

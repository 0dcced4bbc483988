/* probe: who this process is, and who that is on the host. A map file only
 * reaches the parent user namespace, so under nested namespaces "0" in
 * uid_map says nothing of the host: the kernel is asked instead. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "brig/lib/util.h"
#include "brig/probe/checks.h"
#include "brig/probe/verdict.h"

/* A sysctl file of mode 0644: the kernel lets only the host's uid 0 write
 * it, whatever namespace the writer is in, and it belongs to host uid and
 * gid 0 (procfs shows them as this namespace names them). */
#define HOST_ROOT_FILE "/proc/sys/kernel/core_pattern"

/* The id of inside id `id` in the parent namespace per a map file, -1 when
 * it is not mapped or the map cannot be read. */
static long map_outside(const char *path, unsigned long id)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	unsigned long in, out, count;
	while (fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3)
		if (id >= in && id - in < count)
			return (long)(out + (id - in));
	return -1;
}

/* The host's id 0 as named here: the owner of a procfs sysctl file. */
static bool host_zero_here(struct stat *st)
{
	struct statfs fs;
	return statfs(HOST_ROOT_FILE, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC && stat(HOST_ROOT_FILE, st) == 0;
}

void probe_identity_host_root(struct probe_report *r)
{
	struct stat st;
	bool known = host_zero_here(&st);
	uid_t uid = geteuid();
	struct probe_id_facts f = {
		.kind = "uid",
		.self = uid,
		.access = 1,
		.root_here = known ? (long)st.st_uid : -1,
		.overflow = probe_read_long("/proc/sys/kernel/overflowuid"),
		.self_mapped = map_outside("/proc/self/uid_map", uid) >= 0,
		.parent = map_outside("/proc/self/uid_map", uid),
		.initial = probe_initial_userns(),
	};
	if (known)
		f.access = faccessat(AT_FDCWD, HOST_ROOT_FILE, W_OK, AT_EACCESS) == 0 ? 0 : -errno;
	if (f.access != 0 && f.access != -EROFS && f.access != -EACCES)
		f.access = 1;
	probe_rule_host_id(r, &f);
}

void probe_identity_host_gid0(struct probe_report *r)
{
	struct stat st;
	bool known = host_zero_here(&st);
	gid_t gid = getegid();
	struct probe_id_facts f = {
		.kind = "gid",
		.self = gid,
		.access = 1, /* the sysctl's group may not write: no kernel answer for gids */
		.root_here = known ? (long)st.st_gid : -1,
		.overflow = probe_read_long("/proc/sys/kernel/overflowgid"),
		.self_mapped = map_outside("/proc/self/gid_map", gid) >= 0,
		.parent = map_outside("/proc/self/gid_map", gid),
		.initial = probe_initial_userns(),
	};
	gid_t groups[256];
	int ng = getgroups(ARRAY_SIZE(groups), groups);
	for (int i = 0; known && i < ng; i++)
		if ((long)groups[i] == f.root_here && f.root_here != f.overflow)
			f.member = true;
	probe_rule_host_id(r, &f);
}

void probe_identity_userns(struct probe_report *r)
{
	int initial = probe_initial_userns();
	if (initial < 0)
		probe_set(r, PROBE_NA, "/proc/self/ns/user: %s", probe_errno_name(-initial));
	else if (initial)
		probe_set(r, PROBE_EXPOSED, "the initial user namespace");
	else
		probe_set(r, PROBE_BLOCKED, "a user namespace of its own");
}

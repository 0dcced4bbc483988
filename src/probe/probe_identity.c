/* probe: who this process is, and who that is on the host. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "brig/probe/probe.h"
#include "brig/lib/util.h"

/* The outside id of inside id `id` per a uid_map/gid_map file; -1 when it
 * is not mapped or the map cannot be read. *full: the map is the identity
 * over the whole range, which only the initial namespace has. */
static long long map_outside(const char *path, unsigned long id, bool *full)
{
	_cleanup_(fclosep) FILE *f = fopen(path, "re");
	*full = false;
	if (!f)
		return -1;
	unsigned long in, out, count;
	long long res = -1;
	while (fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3) {
		if (in == 0 && out == 0 && count == 4294967295UL)
			*full = true;
		if (id >= in && id - in < count)
			res = (long long)(out + (id - in));
	}
	return res;
}

static void check_root(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	bool full;
	uid_t uid = geteuid();
	long long out = map_outside("/proc/self/uid_map", uid, &full);
	if (out < 0)
		probe_set(r, PROBE_NA, "uid %u: cannot read /proc/self/uid_map", uid);
	else if (out == 0)
		probe_set(r, PROBE_EXPOSED, "uid %u here is uid 0 on the host", uid);
	else
		probe_set(r, PROBE_BLOCKED, "uid %u here is uid %lld on the host", uid, out);
}

static void check_gid(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	bool full;
	gid_t gid = getegid();
	long long out = map_outside("/proc/self/gid_map", gid, &full);
	if (out < 0)
		probe_set(r, PROBE_NA, "gid %u: cannot read /proc/self/gid_map", gid);
	else if (out == 0)
		probe_set(r, PROBE_EXPOSED, "gid %u here is gid 0 on the host", gid);
	else
		probe_set(r, PROBE_BLOCKED, "gid %u here is gid %lld on the host", gid, out);
}

static void check_userns(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	bool full;
	map_outside("/proc/self/uid_map", 0, &full);
	if (access("/proc/self/uid_map", R_OK) < 0)
		probe_set(r, PROBE_NA, "cannot read /proc/self/uid_map");
	else if (full)
		probe_set(r, PROBE_EXPOSED, "the initial user namespace (uid_map 0 0 4294967295)");
	else
		probe_set(r, PROBE_BLOCKED, "a user namespace of its own");
}

static const struct probe_check checks[] = {
	{ "identity.host-root", PROBE_HIGH, check_root },
	{ "identity.host-gid0", PROBE_MEDIUM, check_gid },
	{ "identity.userns", PROBE_MEDIUM, check_userns },
};
const struct probe_category probe_identity = { "identity", checks, ARRAY_SIZE(checks), false };

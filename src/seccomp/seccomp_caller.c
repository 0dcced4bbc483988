/* A waiting caller's credentials from /proc/TID/status and its id maps.
 * Read while the notification is pending: the thread is blocked in the
 * call, and a thread's credentials change only by its own calls. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brig/lib/util.h"
#include "brig/seccomp/seccomp_caller.h"

static int read_small(const char *path, char *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The four numbers after key ("\nUid:"). */
static bool four(const char *text, const char *key, unsigned long out[4])
{
	const char *p = strstr(text, key);
	if (!p)
		return false;
	p += strlen(key);
	for (int i = 0; i < 4; i++) {
		char *end;
		out[i] = strtoul(p, &end, 10);
		if (end == p)
			return false;
		p = end;
	}
	return true;
}

int seccomp_caller_read(pid_t tid, struct seccomp_caller *c)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	int r = read_small(path, buf, sizeof buf);
	if (r < 0)
		return r;
	if (!four(buf, "\nUid:", c->uid) || !four(buf, "\nGid:", c->gid))
		return -EIO;
	const char *g = strstr(buf, "\nGroups:");
	c->n_groups = 0;
	if (g) {
		g += 8;
		char *end;
		for (unsigned long v; c->n_groups < SECCOMP_CALLER_GROUPS && (v = strtoul(g, &end, 10), end != g);
		     g = end)
			c->groups[c->n_groups++] = v;
	}
	const char *cap = strstr(buf, "\nCapEff:");
	c->cap_eff = cap ? strtoull(cap + 8, NULL, 16) : 0;
	return 0;
}

bool seccomp_caller_has_cap(const struct seccomp_caller *c, int cap)
{
	return cap >= 0 && cap < 64 && (c->cap_eff & (1ULL << cap));
}

bool seccomp_caller_in_group(const struct seccomp_caller *c, unsigned long gid)
{
	if (c->gid[3] == gid)
		return true;
	for (size_t i = 0; i < c->n_groups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

/* /proc/TID/{uid,gid}_map as the answerer reads it: "inside outside count". */
static bool mapped(pid_t tid, const char *which, unsigned long id)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)tid, which);
	if (read_small(path, buf, sizeof buf) < 0)
		return false;
	unsigned long in, out, count;
	int used;
	for (const char *p = buf; sscanf(p, "%lu %lu %lu%n", &in, &out, &count, &used) == 3; p += used)
		if (id >= out && id - out < count)
			return true;
	return false;
}

bool seccomp_caller_capable_over(pid_t tid, const struct seccomp_caller *c, int cap, const struct stat *st)
{
	return seccomp_caller_has_cap(c, cap) && mapped(tid, "uid_map", st->st_uid) &&
	       mapped(tid, "gid_map", st->st_gid);
}

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/lib/sys.h"
#include "brig/run/caps.h"
#include "brig/run/userns.h"
#include "brig/lib/util.h"

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
	return sys_write_file(path, text);
}

int userns_write_maps(pid_t child, const struct brig_config *c)
{
	char umap[64], gmap[64];
	int r;

	if (c->rootless) {
		snprintf(umap, sizeof umap, "0 %u 1\n", (unsigned)geteuid());
		snprintf(gmap, sizeof gmap, "0 %u 1\n", (unsigned)getegid());
	} else {
		snprintf(umap, sizeof umap, "0 %u %u\n", c->uid_base, c->uid_count);
		snprintf(gmap, sizeof gmap, "0 %u %u\n", c->uid_base, c->uid_count);
	}
	if ((r = write_file(child, "uid_map", umap)) < 0)
		return r;
	/* Unprivileged writers must give up setgroups() before a gid map is
	 * accepted; otherwise the job could drop a group that denies it access. */
	if (c->rootless && (r = write_file(child, "setgroups", "deny")) < 0)
		return r;
	return write_file(child, "gid_map", gmap);
}

void userns_refusal_watch(const struct brig_config *c, struct seccomp_watch *w)
{
	int kept[64];
	size_t n = caps_effective_list(c, kept, ARRAY_SIZE(kept));
	bool chown = false, setuid = false, setgid = false;
	for (size_t i = 0; i < n; i++) {
		chown |= kept[i] == CAP_CHOWN;
		setuid |= kept[i] == CAP_SETUID;
		setgid |= kept[i] == CAP_SETGID;
	}
	*w = (struct seccomp_watch){
		.id_count = c->rootless ? 1 : c->uid_count,
		.uid_base = c->rootless ? (uint32_t)geteuid() : c->uid_base,
		.gid_base = c->rootless ? (uint32_t)getegid() : c->uid_base,
		/* Written "deny" above, so that the gid map is accepted. */
		.setgroups_denied = c->rootless,
		.lacks_chown = !chown,
		.lacks_setid = !setuid || !setgid,
	};
}

int userns_owner_begin(const struct brig_config *c, struct userns_owner *o)
{
	*o = (struct userns_owner){ 0 };
	if (c->rootless || geteuid() != 0)
		return 0;
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (bits < 0)
		return -errno;
	/* Without it the effective capabilities would go with the effective
	 * id, and clone3 could not put the child in its cgroup. */
	if (prctl(PR_SET_SECUREBITS, bits | SECBIT_NO_SETUID_FIXUP, 0, 0, 0) < 0)
		return -errno;
	if (setresuid((uid_t)-1, c->uid_base, (uid_t)-1) < 0) {
		int e = errno;
		prctl(PR_SET_SECUREBITS, bits, 0, 0, 0);
		return -e;
	}
	o->active = true;
	o->securebits = bits;
	return 0;
}

void userns_owner_end(struct userns_owner *o)
{
	if (!o->active)
		return;
	/* Root again: the saved id is 0. */
	(void)!setresuid((uid_t)-1, 0, (uid_t)-1);
	prctl(PR_SET_SECUREBITS, o->securebits, 0, 0, 0);
	o->active = false;
}

void userns_owner_child(const struct userns_owner *o)
{
	/* Root of its own namespace: allowed, and nothing of the host's. */
	if (o->active)
		prctl(PR_SET_SECUREBITS, o->securebits, 0, 0, 0);
}

int userns_set_own_limits(const struct brig_config *c)
{
	/* /proc/sys/user shows the values of the reader's namespace,
	 * writable with CAP_SYS_RESOURCE in it: its root has both. */
	for (size_t i = 0; i < user_limit_count; i++) {
		char file[96], text[16];
		snprintf(file, sizeof file, "/proc/sys/user/max_%s", user_limit_defs[i].name);
		int fd = open(file, O_WRONLY | O_CLOEXEC);
		/* An older kernel without the file has no such count. */
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return -errno;
		int len = snprintf(text, sizeof text, "%d\n", user_limit_value(c, i));
		ssize_t n = write(fd, text, (size_t)len);
		int e = errno;
		close(fd);
		if (n != len)
			return n < 0 ? -e : -EIO;
	}
	return 0;
}

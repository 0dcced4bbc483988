/* Privileges of the job and of init, with libcap. The order matters: the
 * bounding set can only be shrunk while CAP_SETPCAP is held, and switching
 * to a non-root user clears the permitted set unless keep-caps is on. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "brig/lib/err.h"
#include "brig/run/caps.h"

static void cap_freep(cap_t *c)
{
	if (*c)
		cap_free(*c);
}

const int caps_container_root[] = {
	CAP_CHOWN,	  CAP_DAC_OVERRIDE,	CAP_FOWNER, CAP_FSETID, CAP_KILL,	 CAP_SETGID,
	CAP_SETUID,	  CAP_SETPCAP,		CAP_NET_BIND_SERVICE,	CAP_SYS_CHROOT,	 -1,
};

size_t caps_effective_list(const struct brig_config *c, int *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n_caps && n < max; i++)
		out[n++] = c->caps[i];
	/* For root inside only, as in a container: a job started as another
	 * user gets none of them. */
	if (c->caps_set != CAPS_CONTAINER_ROOT || c->user != 0)
		return n;
	for (const int *v = caps_container_root; *v >= 0 && n < max; v++) {
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = out[i] == *v;
		if (!dup)
			out[n++] = *v;
	}
	return n;
}

static bool kept(const int *list, size_t n, cap_value_t cap)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == cap)
			return true;
	return false;
}

/* Every capability libcap knows fits. */
#define MAX_KEPT 64

static int drop_bounding(const int *list, size_t n, struct brig_err *e)
{
	cap_value_t last = cap_max_bits();
	for (cap_value_t v = 0; v < last; v++)
		if (!kept(list, n, v) && cap_drop_bound(v) < 0 && errno != EINVAL)
			return err_at(e, -errno, "cannot drop the bounding set", NULL);
	return 0;
}

/* Permitted, effective and inheritable, then ambient: each kept capability
 * in all of them, so it survives the execve whether the job runs as root
 * inside (the bounding set limits what root regains) or as another user
 * (the ambient set carries it). */
static int set_caps(const int *kept_list, size_t n, struct brig_err *e)
{
	__attribute__((cleanup(cap_freep))) cap_t caps = cap_init();
	if (!caps)
		return err_at(e, -errno, "cap_init", NULL);
	if (n) {
		cap_value_t *list = (cap_value_t *)kept_list;
		if (cap_set_flag(caps, CAP_PERMITTED, (int)n, list, CAP_SET) < 0 ||
		    cap_set_flag(caps, CAP_EFFECTIVE, (int)n, list, CAP_SET) < 0 ||
		    cap_set_flag(caps, CAP_INHERITABLE, (int)n, list, CAP_SET) < 0)
			return err_at(e, -errno, "cannot set capabilities", NULL);
	}
	if (cap_set_proc(caps) < 0)
		return err_at(e, -errno, "cannot set capabilities", NULL);
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return err_at(e, -errno, "cannot clear the ambient set", NULL);
	for (size_t i = 0; i < n; i++)
		if (cap_set_ambient(kept_list[i], CAP_SET) < 0)
			return err_at(e, -errno, "cannot keep the capability in the ambient set", NULL);
	return 0;
}

static int switch_user(const struct brig_config *c, struct brig_err *e)
{
	/* Supplementary groups of the caller would otherwise follow the job. */
	if (!c->rootless && setgroups(0, NULL) < 0)
		return err_at(e, -errno, "setgroups", NULL);
	if (setresgid(c->group, c->group, c->group) < 0)
		return err_at(e, -errno, "setresgid", NULL);
	if (c->user && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_at(e, -errno, "PR_SET_KEEPCAPS", NULL);
	if (setresuid(c->user, c->user, c->user) < 0)
		return err_at(e, -errno, "setresuid", NULL);
	return 0;
}

int caps_enter_job_identity(const struct brig_config *c, struct brig_err *e)
{
	int list[MAX_KEPT], r;
	size_t n = caps_effective_list(c, list, MAX_KEPT);
	if ((r = drop_bounding(list, n, e)) < 0 || (r = switch_user(c, e)) < 0 ||
	    (r = set_caps(list, n, e)) < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_at(e, -errno, "no_new_privs", NULL);
	return 0;
}

int caps_drop_all(void)
{
	struct brig_err e;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	int r;
	if ((r = drop_bounding(NULL, 0, &e)) < 0 || (r = set_caps(NULL, 0, &e)) < 0)
		return r;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

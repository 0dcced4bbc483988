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

static bool kept(const struct brig_config *c, cap_value_t cap)
{
	for (size_t i = 0; i < c->n_caps; i++)
		if (c->caps[i] == cap)
			return true;
	return false;
}

static int drop_bounding(const struct brig_config *c, struct brig_err *e)
{
	cap_value_t last = cap_max_bits();
	for (cap_value_t v = 0; v < last; v++)
		if (!kept(c, v) && cap_drop_bound(v) < 0 && errno != EINVAL)
			return err_at(e, -errno, "cannot drop the bounding set", NULL);
	return 0;
}

/* Permitted, effective and inheritable, then ambient: each kept capability
 * in all of them, so it survives the execve whether the job runs as root
 * inside (the bounding set limits what root regains) or as another user
 * (the ambient set carries it). */
static int set_caps(const struct brig_config *c, struct brig_err *e)
{
	__attribute__((cleanup(cap_freep))) cap_t caps = cap_init();
	if (!caps)
		return err_at(e, -errno, "cap_init", NULL);
	if (c->n_caps) {
		cap_value_t *list = (cap_value_t *)c->caps;
		if (cap_set_flag(caps, CAP_PERMITTED, (int)c->n_caps, list, CAP_SET) < 0 ||
		    cap_set_flag(caps, CAP_EFFECTIVE, (int)c->n_caps, list, CAP_SET) < 0 ||
		    cap_set_flag(caps, CAP_INHERITABLE, (int)c->n_caps, list, CAP_SET) < 0)
			return err_at(e, -errno, "cannot set capabilities", NULL);
	}
	if (cap_set_proc(caps) < 0)
		return err_at(e, -errno, "cannot set capabilities", NULL);
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return err_at(e, -errno, "cannot clear the ambient set", NULL);
	for (size_t i = 0; i < c->n_caps; i++)
		if (cap_set_ambient(c->caps[i], CAP_SET) < 0)
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
	int r;
	if ((r = drop_bounding(c, e)) < 0 || (r = switch_user(c, e)) < 0 ||
	    (r = set_caps(c, e)) < 0)
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
	struct brig_config none = { 0 };
	int r;
	if ((r = drop_bounding(&none, &e)) < 0 || (r = set_caps(&none, &e)) < 0)
		return r;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? -errno : 0;
}

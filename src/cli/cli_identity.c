/* Who the job runs as and what it may keep: the uid range, the user
 * inside, capabilities, the job's own /proc/sys/user ceilings. Setters
 * and formatters for the option table (cli_options.c). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "brig/cli/cli_identity.h"
#include "brig/cli/cli_table.h"
#include "brig/lib/util.h"

int cli_set_uid_range(struct brig_config *c, const char *a, const char **why)
{
	uint32_t base, count;
	*why = "expected BASE:COUNT, a non-zero host id range";
	if (parse_id_pair(a, &base, &count, false) < 0 || base == 0 || count == 0 ||
	    (uint64_t)base + count > UINT32_MAX)
		return -EINVAL;
	c->uid_base = base;
	c->uid_count = count;
	c->uid_range_set = true;
	return 0;
}

int cli_set_user(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected UID[:GID]";
	if (parse_id_pair(a, &c->user, &c->group, true) < 0)
		return -EINVAL;
	c->user_set = true;
	return 0;
}

int cli_set_user_limit(struct brig_config *c, const char *a, const char **why)
{
	struct user_limit l;
	*why = "expected NAME=N: inotify_instances, inotify_watches, fanotify_groups, fanotify_marks or "
	       "{user,mnt,pid,net,ipc,uts,cgroup,time}_namespaces, and a count from 0";
	if (user_limit_parse(a, &l) < 0)
		return -EINVAL;
	return cli_push(&c->user_limits, &c->n_user_limits, sizeof l, &l);
}

/* Accepts "CAP_NET_RAW", "cap_net_raw" and "net_raw". libcap's parser is
 * lenient (lists, numbers), so a name counts only if it maps back to
 * itself. */
int cli_set_cap_add(struct brig_config *c, const char *a, const char **why)
{
	char name[64];
	cap_value_t cap;
	*why = "expected a capability name such as CAP_NET_BIND_SERVICE";
	size_t len = strlen(a);
	if (len == 0 || len + 5 > sizeof name)
		return -EINVAL;
	size_t off = strncasecmp(a, "cap_", 4) == 0 ? 0 : 4;
	memcpy(name, "cap_", 4);
	for (size_t i = 0; i <= len; i++)
		name[off + i] = (char)tolower((unsigned char)a[i]);
	if (cap_from_name(name, &cap) < 0)
		return -EINVAL;
	char *canon = cap_to_name(cap);
	bool same = canon && strcmp(canon, name) == 0;
	cap_free(canon);
	if (!same)
		return -EINVAL;
	int v = cap;
	return cli_push(&c->caps, &c->n_caps, sizeof v, &v);
}

/* A named set rather than a list, so profiles say what they mean and a
 * later version can correct the set in one place. */
static const char *const caps_set_names[] = { [CAPS_NONE] = "none", [CAPS_CONTAINER_ROOT] = "container-root" };

int cli_set_caps(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected none or container-root";
	for (size_t i = 0; i < ARRAY_SIZE(caps_set_names); i++)
		if (strcmp(a, caps_set_names[i]) == 0) {
			c->caps_set = (enum caps_set)i;
			return 0;
		}
	return -EINVAL;
}

int cli_show_uid_range(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	return c->uid_range_set ? cli_out_fmt(out, "%u:%u", c->uid_base, c->uid_count) : 0;
}

int cli_show_user(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	if (!c->user_set)
		return 0;
	if (c->user == c->group)
		return cli_out_fmt(out, "%u", c->user);
	return cli_out_fmt(out, "%u:%u", c->user, c->group);
}

int cli_show_user_limit(const struct brig_config *c, size_t i, char **out)
{
	*out = NULL;
	if (i >= c->n_user_limits)
		return 0;
	return cli_out_fmt(out, "%s=%d", user_limit_defs[c->user_limits[i].which].name, c->user_limits[i].value);
}

int cli_show_cap_add(const struct brig_config *c, size_t i, char **out)
{
	*out = NULL;
	if (i >= c->n_caps)
		return 0;
	char *name = cap_to_name(c->caps[i]);
	if (!name)
		return -ENOMEM;
	int r = cli_out_str(name, out);
	cap_free(name);
	for (char *p = *out; p && *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return r;
}

int cli_show_caps(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	return c->caps_set != CAPS_NONE ? cli_out_str(caps_set_names[c->caps_set], out) : 0;
}

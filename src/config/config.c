#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/config/config.h"
#include "brig/lib/err.h"
#include "brig/lib/log.h"
#include "brig/lib/util.h"

void config_init(struct brig_config *c)
{
	*c = (struct brig_config){
		.uid_base = BRIG_DEFAULT_UID_BASE,
		.uid_count = BRIG_DEFAULT_UID_COUNT,
		.status_fd = -1,
	};
	net_config_init(&c->net);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void config_free(struct brig_config *c)
{
	free(c->workspace);
	free(c->chdir);
	free(c->hostname);
	free(c->rootfs);
	free(c->overlay_dir);
	free(c->overlay_upper);
	free(c->cache_dir);
	for (size_t i = 0; i < c->n_caches; i++) {
		free(c->caches[i].key);
		free(c->caches[i].dir);
		free(c->caches[i].dst);
	}
	free(c->caches);
	free(c->status_file);
	free(c->seccomp);
	free(c->profile);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].src);
		free(c->mounts[i].dst);
	}
	free(c->mounts);
	free(c->pass_fds);
	free(c->user_limits);
	free(c->caps);
	free_strv(c->env_set, c->n_env_set);
	free_strv(c->env_pass, c->n_env_pass);
	cgroup_limits_free(&c->limits);
	net_config_free(&c->net);
	for (size_t i = 0; i < c->n_origins; i++)
		free(c->origins[i].file);
	free(c->origins);
	config_init(c);
}

int config_new_job_id(struct brig_config *c)
{
	unsigned char raw[BRIG_JOB_ID_LEN / 2];
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
		return -errno;
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(c->job_id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Origins */

int config_add_origin(struct brig_config *c, const struct brig_origin *o)
{
	size_t n = c->n_origins;
	/* Grows at powers of two, so a long profile costs amortised O(1) a line. */
	if (n < 8 || (n & (n - 1)) == 0) {
		struct brig_origin *grown = realloc(c->origins, (n < 8 ? 8 : 2 * n) * sizeof *grown);
		if (!grown)
			return -ENOMEM;
		c->origins = grown;
	}
	struct brig_origin copy = *o;
	if (o->file && !(copy.file = strdup(o->file)))
		return -ENOMEM;
	c->origins[c->n_origins++] = copy;
	return 0;
}

const struct brig_origin *config_origin_of(const struct brig_config *c, enum config_list list, size_t i)
{
	for (size_t k = 0; k < c->n_origins; k++)
		if (c->origins[k].list == list && list != CONFIG_SCALAR && i-- == 0)
			return &c->origins[k];
	return NULL;
}

const struct brig_origin *config_last_origin(const struct brig_config *c, const char *directive)
{
	for (size_t k = c->n_origins; k-- > 0;)
		if (strcmp(c->origins[k].directive, directive) == 0)
			return &c->origins[k];
	return NULL;
}

void config_where(const struct brig_origin *o, const char *directive, char *buf, size_t len)
{
	if (o && o->file)
		snprintf(buf, len, "%s:%u: %s", o->file, o->line, directive);
	else
		snprintf(buf, len, "--%s", directive);
}

/* How a message names another setting: "status-fd (FILE:LINE)" or
 * "--status-fd". */
static void other_place(const struct brig_origin *o, const char *directive, char *buf, size_t len)
{
	if (o && o->file)
		snprintf(buf, len, "%s (%s:%u)", directive, o->file, o->line);
	else
		snprintf(buf, len, "--%s", directive);
}

void brig_report(struct brig_reporter *rep, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *line = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (rep)
		rep->problems++;
	if (n < 0)
		line = NULL;
	if (rep && rep->fn)
		rep->fn(rep->ctx, line ? line : "out of memory");
	else
		log_error("%s", line ? line : "out of memory");
}

/* Lists */

size_t config_list_size(const struct brig_config *c, enum config_list list)
{
	switch (list) {
	case CONFIG_MOUNTS: return c->n_mounts;
	case CONFIG_PASS_FDS: return c->n_pass_fds;
	case CONFIG_CAPS: return c->n_caps;
	case CONFIG_ENV_SET: return c->n_env_set;
	case CONFIG_ENV_PASS: return c->n_env_pass;
	case CONFIG_IO: return c->limits.n_io;
	case CONFIG_EGRESS: return c->net.n_egress;
	case CONFIG_CACHES: return c->n_caches;
	case CONFIG_EGRESS_HOST: return c->net.n_hosts;
	case CONFIG_USER_LIMITS: return c->n_user_limits;
	case CONFIG_SCALAR: break;
	}
	return 0;
}

static bool same_env_name(const char *a, const char *b)
{
	size_t la = strcspn(a, "="), lb = strcspn(b, "=");
	return la == lb && strncmp(a, b, la) == 0;
}

/* One io directive sets one key: the same key of the same device again
 * replaces it. */
static bool same_io_limit(const struct cgroup_io_limit *a, const struct cgroup_io_limit *b)
{
	return strcmp(a->dev, b->dev) == 0 && !a->rbps == !b->rbps && !a->wbps == !b->wbps && !a->riops == !b->riops &&
	       !a->wiops == !b->wiops;
}

/* Two elements are the same thing when the later one makes the earlier
 * pointless: it covers the same mount point, or sets the same variable. */
static bool same_identity(const struct brig_config *c, enum config_list list, size_t i, size_t j)
{
	switch (list) {
	case CONFIG_MOUNTS: return strcmp(c->mounts[i].dst, c->mounts[j].dst) == 0;
	case CONFIG_PASS_FDS: return c->pass_fds[i] == c->pass_fds[j];
	case CONFIG_CAPS: return c->caps[i] == c->caps[j];
	case CONFIG_ENV_SET: return same_env_name(c->env_set[i], c->env_set[j]);
	case CONFIG_ENV_PASS: return strcmp(c->env_pass[i], c->env_pass[j]) == 0;
	case CONFIG_IO: return same_io_limit(&c->limits.io[i], &c->limits.io[j]);
	case CONFIG_EGRESS: return net_same_egress(&c->net.egress[i], &c->net.egress[j]);
	case CONFIG_CACHES: return strcmp(c->caches[i].dst, c->caches[j].dst) == 0;
	case CONFIG_EGRESS_HOST: return net_same_egress_host(&c->net.hosts[i], &c->net.hosts[j]);
	case CONFIG_USER_LIMITS: return c->user_limits[i].which == c->user_limits[j].which;
	case CONFIG_SCALAR: break;
	}
	return false;
}

ssize_t config_replaced_by(const struct brig_config *c, enum config_list list, size_t i)
{
	size_t n = config_list_size(c, list);
	for (size_t j = i + 1; j < n; j++)
		if (same_identity(c, list, i, j))
			return (ssize_t)j;
	return -1;
}

/* Checks that need nothing from the host */

static const char *mount_directive(enum mount_kind kind)
{
	static const char *const names[] = { [MNT_BIND] = "bind", [MNT_RO_BIND] = "ro-bind", [MNT_TMPFS] = "tmpfs" };
	return names[kind];
}

static int check_roots(const struct brig_config *c, struct brig_reporter *rep)
{
	char where[512];
	int bad = 0;
	if (c->rootfs && strcmp(c->rootfs, "/") == 0) {
		config_where(config_last_origin(c, "rootfs"), "rootfs", where, sizeof where);
		brig_report(rep, "%s /: the host's root cannot be a job's root", where);
		bad++;
	}
	if (c->workspace && strcmp(c->workspace, "/") == 0 && (!bad || rep->keep_going)) {
		config_where(config_last_origin(c, "workspace"), "workspace", where, sizeof where);
		brig_report(rep, "%s /: the host's root cannot be a job's workspace", where);
		bad++;
	}
	return bad;
}

enum rootfs_mode config_rootfs_mode(const struct brig_config *c)
{
	if (c->rootfs_mode != ROOTFS_MODE_DEFAULT)
		return c->rootfs_mode;
	return c->rootfs ? ROOTFS_OVERLAY : ROOTFS_RO;
}

/* Overlay settings without an overlay, and a writable host /usr, are
 * mistakes that would otherwise pass silently. */
static int check_rootfs_mode(const struct brig_config *c, struct brig_reporter *rep)
{
	static const char *const overlay_opts[] = { "overlay-size", "overlay-dir", "overlay-upper" };
	char where[512], other[512];
	int bad = 0;
	enum rootfs_mode mode = config_rootfs_mode(c);
	if (mode == ROOTFS_RW && !c->rootfs) {
		config_where(config_last_origin(c, "rootfs-mode"), "rootfs-mode", where, sizeof where);
		brig_report(rep, "%s rw: needs a rootfs DIR (the host's /usr is never writable; say overlay)", where);
		bad++;
	}
	for (size_t i = 0; i < ARRAY_SIZE(overlay_opts) && (!bad || rep->keep_going); i++) {
		bool set = i == 0 ? c->overlay_size != 0 : i == 1 ? c->overlay_dir != NULL : c->overlay_upper != NULL;
		if (!set || mode == ROOTFS_OVERLAY)
			continue;
		config_where(config_last_origin(c, overlay_opts[i]), overlay_opts[i], where, sizeof where);
		brig_report(rep, "%s: only applies with rootfs-mode overlay (the mode is %s)", where,
			    mode == ROOTFS_RW ? "rw" : "ro");
		bad++;
	}
	if (c->overlay_size && c->overlay_dir && (!bad || rep->keep_going)) {
		config_where(config_last_origin(c, "overlay-size"), "overlay-size", where, sizeof where);
		other_place(config_last_origin(c, "overlay-dir"), "overlay-dir", other, sizeof other);
		brig_report(rep, "%s: cannot be combined with %s (a directory has no size limit)", where, other);
		bad++;
	}
	/* overlay-upper says where the writes go, for good: a tmpfs size or
	 * a per-job directory would say otherwise. */
	for (size_t i = 0; i < 2 && c->overlay_upper && (!bad || rep->keep_going); i++) {
		if (i == 0 ? !c->overlay_size : !c->overlay_dir)
			continue;
		config_where(config_last_origin(c, "overlay-upper"), "overlay-upper", where, sizeof where);
		other_place(config_last_origin(c, overlay_opts[i]), overlay_opts[i], other, sizeof other);
		brig_report(rep, "%s: cannot be combined with %s (the writes go to DIR, kept)", where, other);
		bad++;
	}
	return bad;
}

static int check_mounts(const struct brig_config *c, struct brig_reporter *rep)
{
	char where[512];
	int bad = 0;
	for (size_t i = 0; i < c->n_mounts && (!bad || rep->keep_going); i++) {
		const struct brig_mount *m = &c->mounts[i];
		if (strcmp(m->dst, "/") != 0)
			continue;
		const struct brig_origin *o = config_origin_of(c, CONFIG_MOUNTS, i);
		config_where(o, o ? o->directive : mount_directive(m->kind), where, sizeof where);
		brig_report(rep, "%s %s%s%s: cannot be mounted over the job's root", where, m->src ? m->src : "",
			    m->src ? ":" : "", m->dst);
		bad++;
	}
	return bad;
}

static int check_status(const struct brig_config *c, struct brig_reporter *rep)
{
	char where[512], other[512];
	int bad = 0;
	if (c->status_fd >= 0 && c->status_file) {
		config_where(config_last_origin(c, "status-file"), "status-file", where, sizeof where);
		other_place(config_last_origin(c, "status-fd"), "status-fd", other, sizeof other);
		brig_report(rep, "%s: cannot be combined with %s", where, other);
		bad++;
	}
	for (size_t i = 0; i < c->n_pass_fds && (!bad || rep->keep_going); i++) {
		if (c->pass_fds[i] != c->status_fd)
			continue;
		config_where(config_origin_of(c, CONFIG_PASS_FDS, i), "pass-fd", where, sizeof where);
		other_place(config_last_origin(c, "status-fd"), "status-fd", other, sizeof other);
		brig_report(rep, "%s %d: is also the %s", where, c->pass_fds[i], other);
		bad++;
	}
	return bad;
}

/* What a duplicate message names: the mount point, the variable... */
static void identity_text(const struct brig_config *c, enum config_list list, size_t i, char *buf, size_t len)
{
	char *name = NULL;
	switch (list) {
	case CONFIG_MOUNTS: snprintf(buf, len, "%s is already mounted", c->mounts[i].dst); return;
	case CONFIG_PASS_FDS: snprintf(buf, len, "%d is already passed", c->pass_fds[i]); return;
	case CONFIG_CAPS:
		name = cap_to_name(c->caps[i]);
		snprintf(buf, len, "%s is already kept", name ? name : "the capability");
		cap_free(name);
		return;
	case CONFIG_ENV_SET:
		snprintf(buf, len, "%.*s is already set", (int)strcspn(c->env_set[i], "="), c->env_set[i]);
		return;
	case CONFIG_ENV_PASS: snprintf(buf, len, "%s is already passed", c->env_pass[i]); return;
	case CONFIG_IO: snprintf(buf, len, "%s is already limited so", c->limits.io[i].dev); return;
	case CONFIG_EGRESS: snprintf(buf, len, "the same rule is already given"); return;
	case CONFIG_CACHES: snprintf(buf, len, "%s is already a cache", c->caches[i].dst); return;
	case CONFIG_EGRESS_HOST: snprintf(buf, len, "the same rule is already given"); return;
	case CONFIG_USER_LIMITS:
		snprintf(buf, len, "%s is already set", user_limit_defs[c->user_limits[i].which].name);
		return;
	case CONFIG_SCALAR: break;
	}
	snprintf(buf, len, "already given");
}

/* Within one profile the same mount point or variable twice is a mistake
 * (which one wins is a silent choice); across sources the later one is an
 * override, as for scalars. */
static int check_repeats(const struct brig_config *c, enum config_list list, struct brig_reporter *rep)
{
	size_t n = config_list_size(c, list);
	int bad = 0;
	if (n < 2)
		return 0;
	_cleanup_free_ const struct brig_origin **org = calloc(n, sizeof *org);
	if (!org)
		return -ENOMEM;
	for (size_t k = 0, i = 0; k < c->n_origins && i < n; k++)
		if (c->origins[k].list == list)
			org[i++] = &c->origins[k];
	for (size_t i = 0; i < n && (!bad || rep->keep_going); i++) {
		ssize_t j = config_replaced_by(c, list, i);
		if (j < 0 || !org[i] || !org[j] || !org[i]->load || org[i]->load != org[j]->load)
			continue;
		char where[512], what[512];
		config_where(org[j], org[j]->directive, where, sizeof where);
		identity_text(c, list, i, what, sizeof what);
		brig_report(rep, "%s: %s by %s:%u", where, what, org[i]->file, org[i]->line);
		bad++;
	}
	return bad;
}

static int check_lists(const struct brig_config *c, struct brig_reporter *rep)
{
	static const enum config_list lists[] = { CONFIG_MOUNTS, CONFIG_PASS_FDS, CONFIG_CAPS, CONFIG_ENV_SET,
						  CONFIG_ENV_PASS, CONFIG_EGRESS, CONFIG_CACHES,
						  CONFIG_EGRESS_HOST };
	int bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(lists) && (!bad || rep->keep_going); i++) {
		int r = check_repeats(c, lists[i], rep);
		if (r < 0)
			return r;
		bad += r;
	}
	return bad;
}

int config_check(const struct brig_config *c, struct brig_reporter *rep)
{
	static int (*const checks[])(const struct brig_config *, struct brig_reporter *) = {
		check_roots, check_rootfs_mode, check_mounts, check_status, check_lists, config_check_net,
	};
	struct brig_reporter first = { 0 };
	if (!rep)
		rep = &first;
	int bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(checks) && (!bad || rep->keep_going); i++) {
		int r = checks[i](c, rep);
		if (r == -ENOMEM) {
			brig_report(rep, "%s", strerror(ENOMEM));
			return r;
		}
		bad += r;
	}
	return bad ? -EINVAL : 0;
}

/* Checks against the host */

static int need(const char *where, const char *path, bool dir, struct brig_err *e)
{
	struct stat st;
	int r = 0;
	if (stat(path, &st) < 0)
		r = -errno;
	else if (dir && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	return r < 0 ? err_set(e, r, "%s %s: %s", where, path, strerror(-r)) : 0;
}

static int check_host_paths(const struct brig_config *c, struct brig_err *e)
{
	char where[512];
	int r;
	if (c->workspace) {
		config_where(config_last_origin(c, "workspace"), "workspace", where, sizeof where);
		if ((r = need(where, c->workspace, true, e)) < 0)
			return r;
	}
	if (c->rootfs) {
		config_where(config_last_origin(c, "rootfs"), "rootfs", where, sizeof where);
		if ((r = need(where, c->rootfs, true, e)) < 0)
			return r;
	}
	if (c->overlay_dir) {
		config_where(config_last_origin(c, "overlay-dir"), "overlay-dir", where, sizeof where);
		if ((r = need(where, c->overlay_dir, true, e)) < 0)
			return r;
	}
	if (c->overlay_upper) {
		config_where(config_last_origin(c, "overlay-upper"), "overlay-upper", where, sizeof where);
		if ((r = need(where, c->overlay_upper, true, e)) < 0)
			return r;
	}
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct brig_mount *m = &c->mounts[i];
		if (m->kind == MNT_TMPFS)
			continue;
		config_where(config_origin_of(c, CONFIG_MOUNTS, i), mount_directive(m->kind), where, sizeof where);
		if ((r = need(where, m->src, false, e)) < 0)
			return r;
	}
	return 0;
}

static int check_fds(const struct brig_config *c, struct brig_err *e)
{
	char where[512];
	for (size_t i = 0; i < c->n_pass_fds; i++)
		if (fcntl(c->pass_fds[i], F_GETFD) < 0) {
			int r = -errno;
			config_where(config_origin_of(c, CONFIG_PASS_FDS, i), "pass-fd", where, sizeof where);
			return err_set(e, r, "%s %d: %s", where, c->pass_fds[i], strerror(-r));
		}
	if (c->status_fd >= 0 && fcntl(c->status_fd, F_GETFD) < 0) {
		int r = -errno;
		config_where(config_last_origin(c, "status-fd"), "status-fd", where, sizeof where);
		return err_set(e, r, "%s %d: %s", where, c->status_fd, strerror(-r));
	}
	return 0;
}

static int check_identity(struct brig_config *c, struct brig_err *e)
{
	char where[512];
	if (c->rootless && c->uid_range_set) {
		config_where(config_last_origin(c, "uid-range"), "uid-range", where, sizeof where);
		return err_set(e, -EPERM, "%s: needs root (unprivileged, only the caller's own id can be mapped)", where);
	}
	config_where(config_last_origin(c, "user"), "user", where, sizeof where);
	if (c->rootless && c->user_set && (c->user != 0 || c->group != 0))
		return err_set(e, -EPERM, "%s %u:%u: needs root (unprivileged, only root inside is mapped)", where, c->user,
			       c->group);
	if (!c->rootless && c->user_set && (c->user >= c->uid_count || c->group >= c->uid_count))
		return err_set(e, -ERANGE, "%s %u:%u: outside the mapped range of %u ids", where, c->user, c->group,
			       c->uid_count);
	return 0;
}

void brig_report_first(void *ctx, const char *line)
{
	struct brig_err *e = ctx;
	if (e && !e->msg[0])
		err_set(e, -EINVAL, "%s", line);
}

/* Everything that can be checked before a namespace exists is checked here,
 * so a bad request fails with one precise line and nothing started. */
int config_finish(struct brig_config *c, struct brig_err *e)
{
	struct brig_reporter first = { .fn = brig_report_first, .ctx = e };
	int r;

	if (!c->argv || !c->argv[0])
		return err_set(e, -EINVAL, "run: no command given (usage: brig run [OPTION...] [--] COMMAND [ARG...])");
	c->rootless = geteuid() != 0;
	if ((r = check_identity(c, e)) < 0)
		return r;
	if ((r = config_check(c, &first)) < 0) {
		if (e)
			e->code = r;
		return r;
	}
	if ((r = check_host_paths(c, e)) < 0 || (r = config_check_rootfs(c, e)) < 0 || (r = config_finish_net(c, e)) < 0)
		return r;
	return check_fds(c, e);
}

/* The `brig run` option table: each option's setter, and its inverse for
 * `brig profile show`. The profile reader and getopt_long both use it, so
 * a flag and a directive can never disagree. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "brig/cli/cli.h"
#include "brig/cli/cli_identity.h"
#include "brig/cli/cli_limits.h"
#include "brig/cli/cli_net.h"
#include "brig/cli/cli_process.h"
#include "brig/cli/cli_rootfs.h"
#include "brig/cli/cli_table.h"
#include "brig/lib/log.h"
#include "brig/cli/profile.h"
#include "brig/lib/util.h"

int cli_push(void *arrp, size_t *n, size_t size, const void *el)
{
	void **arr = arrp;
	if (*n >= CONFIG_LIST_MAX)
		return -E2BIG;
	void *grown = realloc(*arr, (*n + 1) * size);
	if (!grown)
		return -ENOMEM;
	memcpy((char *)grown + *n * size, el, size);
	*arr = grown;
	(*n)++;
	return 0;
}

static int set_path(char **slot, const char *arg, const char **why)
{
	char *p = NULL;
	int r = path_normalise(arg, &p);
	if (r < 0) {
		*why = "expected an absolute path";
		return r;
	}
	free(*slot);
	*slot = p;
	return 0;
}

static int set_workspace(struct brig_config *c, const char *a, const char **why) { return set_path(&c->workspace, a, why); }
static int set_chdir(struct brig_config *c, const char *a, const char **why) { return set_path(&c->chdir, a, why); }
/* "host" names the default explicitly, so a profile can say it (and pair
 * it with rootfs-mode overlay). */
static int set_rootfs(struct brig_config *c, const char *a, const char **why)
{
	if (strcmp(a, "host") != 0)
		return set_path(&c->rootfs, a, why);
	free(c->rootfs);
	c->rootfs = NULL;
	return 0;
}

static int add_bind(struct brig_config *c, const char *a, enum mount_kind kind, const char **why)
{
	_cleanup_free_ char *src = NULL, *dst = NULL;
	struct brig_mount m = { .kind = kind };
	*why = "expected SRC[:DST] with absolute paths";
	if (parse_src_dst(a, &src, &dst) < 0)
		return -EINVAL;
	if (path_normalise(src, &m.src) < 0)
		return -EINVAL;
	if (path_normalise(dst, &m.dst) < 0) {
		free(m.src);
		return -EINVAL;
	}
	int r = cli_push(&c->mounts, &c->n_mounts, sizeof m, &m);
	if (r < 0) {
		free(m.src);
		free(m.dst);
	}
	return r;
}

static int set_bind(struct brig_config *c, const char *a, const char **why) { return add_bind(c, a, MNT_BIND, why); }
static int set_ro_bind(struct brig_config *c, const char *a, const char **why) { return add_bind(c, a, MNT_RO_BIND, why); }

static int set_tmpfs(struct brig_config *c, const char *a, const char **why)
{
	struct brig_mount m = { .kind = MNT_TMPFS };
	_cleanup_free_ char *dst = strdup(a);
	if (!dst)
		return -ENOMEM;
	char *colon = strchr(dst, ':');
	if (colon) {
		*colon = '\0';
		if (parse_size(colon + 1, &m.size) < 0 || m.size == 0) {
			*why = "expected DST[:SIZE] with SIZE like 64M";
			return -EINVAL;
		}
	}
	if (path_normalise(dst, &m.dst) < 0) {
		*why = "expected an absolute path";
		return -EINVAL;
	}
	int r = cli_push(&c->mounts, &c->n_mounts, sizeof m, &m);
	if (r < 0)
		free(m.dst);
	return r;
}

/* RFC 1123 labels: what hostname(1) and every resolver accept. */
static int set_hostname(struct brig_config *c, const char *a, const char **why)
{
	size_t len = strlen(a);
	*why = "expected letters, digits, '-' and '.', at most 64 characters";
	if (len == 0 || len > 64 || a[0] == '-' || a[0] == '.')
		return -EINVAL;
	for (const char *p = a; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return -EINVAL;
	char *h = strdup(a);
	if (!h)
		return -ENOMEM;
	free(c->hostname);
	c->hostname = h;
	return 0;
}

static int set_flag(bool *flag)
{
	*flag = true;
	return 0;
}

static int set_sys(struct brig_config *c, const char *a, const char **why) { (void)a, (void)why; return set_flag(&c->sys); }
static int set_quiet(struct brig_config *c, const char *a, const char **why) { (void)a, (void)why; return set_flag(&c->quiet); }
static int set_timings(struct brig_config *c, const char *a, const char **why) { (void)a, (void)why; return set_flag(&c->timings); }
static int set_allow_userns(struct brig_config *c, const char *a, const char **why) { (void)a, (void)why; return set_flag(&c->allow_userns); }
static int set_allow_ptrace(struct brig_config *c, const char *a, const char **why) { (void)a, (void)why; return set_flag(&c->allow_ptrace); }
static int set_allow_io_uring(struct brig_config *c, const char *a, const char **why) { (void)a, (void)why; return set_flag(&c->allow_io_uring); }

static int set_seccomp(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected a policy NAME, a PATH or none";
	if (!*a)
		return -EINVAL;
	char *p = strdup(a);
	if (!p)
		return -ENOMEM;
	free(c->seccomp);
	c->seccomp = p;
	return 0;
}

/* Only remembered here: cli_parse_run loads the last one given before any
 * other option is applied, so the command line overrides it whatever the
 * order. */
static int set_profile(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected a profile NAME or PATH";
	if (!*a)
		return -EINVAL;
	char *p = strdup(a);
	if (!p)
		return -ENOMEM;
	free(c->profile);
	c->profile = p;
	return 0;
}

/* Formatters: each prints back what its setter stored, in the syntax the
 * setter accepts, so `brig profile show` output parses to the same config. */

int cli_out_str(const char *v, char **out)
{
	*out = NULL;
	if (v && !(*out = strdup(v)))
		return -ENOMEM;
	return 0;
}

int cli_out_fmt(char **out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int out_flag(bool on, char **out) { return cli_out_str(on ? "" : NULL, out); }

static int show_workspace(const struct brig_config *c, size_t i, char **out) { (void)i; return cli_out_str(c->workspace, out); }
static int show_chdir(const struct brig_config *c, size_t i, char **out) { (void)i; return cli_out_str(c->chdir, out); }
static int show_rootfs(const struct brig_config *c, size_t i, char **out) { (void)i; return cli_out_str(c->rootfs, out); }
static int show_hostname(const struct brig_config *c, size_t i, char **out) { (void)i; return cli_out_str(c->hostname, out); }
static int show_seccomp(const struct brig_config *c, size_t i, char **out) { (void)i; return cli_out_str(c->seccomp, out); }
static int show_sys(const struct brig_config *c, size_t i, char **out) { (void)i; return out_flag(c->sys, out); }
static int show_quiet(const struct brig_config *c, size_t i, char **out) { (void)i; return out_flag(c->quiet, out); }
static int show_timings(const struct brig_config *c, size_t i, char **out) { (void)i; return out_flag(c->timings, out); }
static int show_allow_userns(const struct brig_config *c, size_t i, char **out) { (void)i; return out_flag(c->allow_userns, out); }
static int show_allow_ptrace(const struct brig_config *c, size_t i, char **out) { (void)i; return out_flag(c->allow_ptrace, out); }
static int show_allow_io_uring(const struct brig_config *c, size_t i, char **out) { (void)i; return out_flag(c->allow_io_uring, out); }

static int show_mount(const struct brig_config *c, size_t i, enum mount_kind kind, char **out)
{
	*out = NULL;
	if (i >= c->n_mounts || c->mounts[i].kind != kind)
		return 0;
	const struct brig_mount *m = &c->mounts[i];
	if (strcmp(m->src, m->dst) == 0)
		return cli_out_str(m->src, out);
	return cli_out_fmt(out, "%s:%s", m->src, m->dst);
}

static int show_bind(const struct brig_config *c, size_t i, char **out) { return show_mount(c, i, MNT_BIND, out); }
static int show_ro_bind(const struct brig_config *c, size_t i, char **out) { return show_mount(c, i, MNT_RO_BIND, out); }

/* The largest unit that divides the value exactly, so nothing is rounded. */
int cli_show_exact(uint64_t v, const char *const *suffix, const uint64_t *unit, size_t n, char **out)
{
	for (size_t u = 0; u < n; u++)
		if (v % unit[u] == 0)
			return cli_out_fmt(out, "%llu%s", (unsigned long long)(v / unit[u]), suffix[u]);
	return cli_out_fmt(out, "%llu", (unsigned long long)v);
}

static int show_tmpfs(const struct brig_config *c, size_t i, char **out)
{
	static const char *const suffix[] = { "T", "G", "M", "K", "" };
	static const uint64_t unit[] = { 1ULL << 40, 1ULL << 30, 1ULL << 20, 1ULL << 10, 1 };
	*out = NULL;
	if (i >= c->n_mounts || c->mounts[i].kind != MNT_TMPFS)
		return 0;
	const struct brig_mount *m = &c->mounts[i];
	if (!m->size)
		return cli_out_str(m->dst, out);
	_cleanup_free_ char *size = NULL;
	int r = cli_show_exact(m->size, suffix, unit, ARRAY_SIZE(unit), &size);
	return r < 0 ? r : cli_out_fmt(out, "%s:%s", m->dst, size);
}

#define FLAG(n, h, s, fn, d)                                                                             \
	{ .name = n, .help = h, .short_name = s, .set = set_##fn, .show = show_##fn, .dflt = d }
#define SCALAR(n, m, h, s, fn, d)                                                                        \
	{ .name = n, .metavar = m, .help = h, .short_name = s, .set = set_##fn, .show = show_##fn, .dflt = d }
#define REPEAT(n, m, h, s, fn, l, d)                                                                     \
	{ .name = n, .metavar = m, .help = h, .short_name = s, .list = l, .set = set_##fn, .show = show_##fn, \
	  .dflt = d }

/* Options whose setters live in a module of their own (cli_identity.c,
 * cli_process.c, cli_rootfs.c, cli_net.c, cli_limits.c); _S: with a short
 * option. */
#define EXT_SCALAR_S(n, m, h, s, fn, d)                                                                  \
	{ .name = n, .metavar = m, .help = h, .short_name = s, .set = cli_set_##fn, .show = cli_show_##fn, .dflt = d }
#define EXT_SCALAR(n, m, h, fn, d) EXT_SCALAR_S(n, m, h, 0, fn, d)
#define EXT_REPEAT_S(n, m, h, s, fn, l, d)                                                               \
	{ .name = n, .metavar = m, .help = h, .short_name = s, .list = l, .set = cli_set_##fn, .show = cli_show_##fn, \
	  .dflt = d }
#define EXT_REPEAT(n, m, h, fn, l, d) EXT_REPEAT_S(n, m, h, 0, fn, l, d)

const struct cli_option cli_run_options[] = {
	{ .name = "profile", .metavar = "NAME|PATH", .help = "apply a profile first; options given here override it",
	  .short_name = 'p', .early = true, .set = set_profile, .dflt = "none: the built-in defaults" },
	SCALAR("workspace", "DIR", "bind DIR read-write at the same path and start there", 'w', workspace,
	       "none: nothing of the host is writable"),
	REPEAT("bind", "SRC[:DST]", "bind SRC read-write at DST (repeatable)", 0, bind, CONFIG_MOUNTS, "none"),
	REPEAT("ro-bind", "SRC[:DST]", "bind SRC read-only at DST (repeatable)", 0, ro_bind, CONFIG_MOUNTS, "none"),
	REPEAT("tmpfs", "DST[:SIZE]", "mount a fresh tmpfs at DST (repeatable)", 0, tmpfs, CONFIG_MOUNTS,
	       "only the built-in /tmp and /run"),
	SCALAR("chdir", "DIR", "working directory inside the job", 'C', chdir,
	       "the workspace, else the job user's home"),
	SCALAR("hostname", "NAME", "host name inside the job (default brig-JOBID)", 0, hostname, "brig-JOBID"),
	SCALAR("rootfs", "DIR|host", "run on the prepared tree DIR instead of the host's /usr", 0, rootfs,
	       "host: the host's /usr"),
	EXT_SCALAR("rootfs-mode", "ro|overlay|rw", "the tree read-only, under a per-job overlay, or writable",
		   rootfs_mode, "overlay for a DIR, ro for host"),
	EXT_SCALAR("overlay-size", "SIZE", "size of the tmpfs that holds the overlay's writes", overlay_size,
		   "the tmpfs default (half the RAM)"),
	EXT_SCALAR("overlay-dir", "DIR", "keep the overlay's writes in a per-job directory under DIR", overlay_dir,
		   "none: on a tmpfs"),
	EXT_SCALAR("overlay-upper", "DIR", "keep the overlay's writes in DIR for the next job given DIR", overlay_upper,
		   "none: the writes vanish with the job"),
	EXT_REPEAT("cache", "KEY DST", "mount the persistent cache KEY read-write at DST (repeatable)", cache,
		   CONFIG_CACHES, "none"),
	EXT_SCALAR("cache-dir", "DIR", "where the caches live", cache_dir,
		   "/var/lib/brig/cache; unprivileged, ~/.cache/brig"),
	FLAG("sys", "mount /sys read-only (absent by default)", 0, sys, "off: no /sys"),
	EXT_SCALAR("uid-range", "BASE:COUNT", "host ids that ids 0.. inside map to (root only)", uid_range,
	       "1879048192:65536 as root; unprivileged, the caller's own id"),
	EXT_SCALAR_S("user", "UID[:GID]", "run the job as this user inside (default 0:0)", 'u', user, "0:0"),
	EXT_REPEAT("pass-fd", "N", "keep file descriptor N open in the job (repeatable)", pass_fd, CONFIG_PASS_FDS,
	       "none: only 0, 1 and 2"),
	EXT_REPEAT("cap-add", "NAME", "keep capability NAME instead of dropping it (repeatable)", cap_add, CONFIG_CAPS,
	       "none: every capability dropped"),
	EXT_SCALAR("caps", "none|container-root",
	       "capabilities root inside keeps, within the job's user namespace (container-root: as in a container)",
		   caps, "none: every capability dropped"),
	EXT_REPEAT_S("env", "NAME=VALUE", "set a variable in the job's environment (repeatable)", 'e', env, CONFIG_ENV_SET,
	       "none beyond PATH, HOME, TERM and LANG"),
	EXT_REPEAT("env-pass", "[!]NAME", "pass a host variable, or all matching PREFIX_*; !NAME never passes (repeatable)", env_pass,
	       CONFIG_ENV_PASS, "none: nothing of the host's environment"),
	SCALAR("seccomp", "NAME|PATH|none", "syscall policy (default: default; none: no filter)", 0, seccomp,
	       "default"),
	FLAG("allow-userns", "let the job create user namespaces (rootless container builds)", 0, allow_userns, "off"),
	FLAG("allow-ptrace", "let the job use ptrace (debuggers; only its own processes are visible)", 0, allow_ptrace,
	     "off"),
	FLAG("allow-io-uring", "let the job use io_uring", 0, allow_io_uring, "off"),
	EXT_REPEAT("user-limit", "NAME=N",
	       "ceiling N of the job's own /proc/sys/user/max_NAME (inotify, fanotify, namespaces) (repeatable)",
	       user_limit, CONFIG_USER_LIMITS,
	       "inotify_instances=64, inotify_watches=65536, fanotify_groups=16, fanotify_marks=8192, "
	       "mnt_namespaces=256, the other *_namespaces 0 (with allow-userns: 1024, user_namespaces 256)"),
	EXT_SCALAR("net", "none|veth|host",
		   "none: loopback only; veth: egress through brig's firewall (root); host: the host's network", net,
		   "none"),
	EXT_SCALAR("net-pool", "CIDR", "IPv4 network job subnets (/30 each) come from", net_pool, NET_DEFAULT_POOL4),
	EXT_SCALAR("net-pool6", "CIDR", "IPv6 network job subnets (/64 each) come from", net_pool6, NET_DEFAULT_POOL6),
	EXT_REPEAT("egress-allow", "CIDR[:PORTS][/PROTO]",
		   "let a veth job reach CIDR; a private range only so (repeatable)", egress_allow, CONFIG_EGRESS,
		   "none"),
	EXT_REPEAT("egress-deny", "CIDR[:PORTS][/PROTO]", "refuse CIDR to a veth job; deny wins (repeatable)",
		   egress_deny, CONFIG_EGRESS, "none"),
	EXT_SCALAR("egress-default", "allow|deny", "what a veth job may reach that no rule names", egress_default,
		   "allow"),
	EXT_REPEAT("egress-allow-host", "NAME[:PORTS][/PROTO]",
		   "let a veth job resolve NAME (or *.NAME: its sub-names) and reach what it resolves to (repeatable)",
		   egress_allow_host, CONFIG_EGRESS_HOST, "none"),
	EXT_REPEAT("egress-deny-host", "NAME[:PORTS][/PROTO]", "refuse NAME to a veth job; deny wins (repeatable)",
		   egress_deny_host, CONFIG_EGRESS_HOST, "none"),
	EXT_SCALAR("memory", "SIZE", "memory limit (memory.max), e.g. 4G; beyond it the job is killed (137)", memory,
		   "none"),
	EXT_SCALAR("memory-swap", "SIZE", "swap the job may use (memory.swap.max; 0 when memory is set)",
		   memory_swap, "0 with memory, else none"),
	EXT_SCALAR("pids", "N", "most processes and threads at once (pids.max)", pids, "none"),
	EXT_SCALAR("cpus", "N.N", "CPU time per wall-clock second (cpu.max), e.g. 0.5 or 2", cpus, "none"),
	EXT_SCALAR("cpu-weight", "N", "share of CPU under contention, 1..10000 (cpu.weight)", cpu_weight,
		   "100 (the kernel's)"),
	EXT_REPEAT("io-read-bps", "DEV RATE", "read bytes per second from block device DEV (io.max) (repeatable)",
		   io_read_bps, CONFIG_IO, "none"),
	EXT_REPEAT("io-write-bps", "DEV RATE", "write bytes per second to DEV (io.max) (repeatable)", io_write_bps,
		   CONFIG_IO, "none"),
	EXT_REPEAT("io-read-iops", "DEV N", "read operations per second from DEV (io.max) (repeatable)", io_read_iops,
		   CONFIG_IO, "none"),
	EXT_REPEAT("io-write-iops", "DEV N", "write operations per second to DEV (io.max) (repeatable)",
		   io_write_iops, CONFIG_IO, "none"),
	EXT_SCALAR("limits", "required|best-effort", "fail (required) or warn (best-effort) when a controller is missing",
		   limits, "required"),
	EXT_SCALAR("cgroup-parent", "PATH", "the cgroup v2 directory job cgroups are made in", cgroup_parent,
		   "brig/ under the cgroup v2 mount"),
	EXT_SCALAR_S("timeout", "DURATION", "kill the whole job after DURATION (exit 124)", 't', timeout, "none"),
	EXT_SCALAR("status-fd", "N", "write JSON status events to file descriptor N", status_fd, "none"),
	EXT_SCALAR("status-file", "PATH", "write JSON status events to PATH", status_file, "none"),
	FLAG("quiet", "no warnings on stderr, errors only", 'q', quiet, "off"),
	FLAG("timings", "print milliseconds per start and teardown step on stderr when the job ends", 0, timings, "off"),
	EXT_SCALAR("pty", "auto|always|never", "give the job a terminal of its own (auto: when stdin and stdout are terminals)",
		   pty, "auto"),
};
const size_t cli_run_options_count = ARRAY_SIZE(cli_run_options);

const struct cli_planned cli_planned_options[] = {
};
const size_t cli_planned_count = ARRAY_SIZE(cli_planned_options);

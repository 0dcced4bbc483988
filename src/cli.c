#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include "brig/cli.h"
#include "brig/log.h"
#include "brig/profile.h"
#include "brig/util.h"

static int push(void *arrp, size_t *n, size_t size, const void *el)
{
	void **arr = arrp;
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
static int set_rootfs(struct brig_config *c, const char *a, const char **why) { return set_path(&c->rootfs, a, why); }

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
	int r = push(&c->mounts, &c->n_mounts, sizeof m, &m);
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
	int r = push(&c->mounts, &c->n_mounts, sizeof m, &m);
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

static int set_sys(struct brig_config *c, const char *a, const char **why)
{
	(void)a, (void)why;
	c->sys = true;
	return 0;
}

static int set_quiet(struct brig_config *c, const char *a, const char **why)
{
	(void)a, (void)why;
	c->quiet = true;
	return 0;
}

static int set_uid_range(struct brig_config *c, const char *a, const char **why)
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

static int set_user(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected UID[:GID]";
	if (parse_id_pair(a, &c->user, &c->group, true) < 0)
		return -EINVAL;
	c->user_set = true;
	return 0;
}

static int parse_fd(const char *a, int *fd)
{
	uint64_t v;
	if (parse_u64(a, &v) < 0 || v > 1 << 20)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

static int set_pass_fd(struct brig_config *c, const char *a, const char **why)
{
	int fd;
	*why = "expected a file descriptor number of 3 or more";
	if (parse_fd(a, &fd) < 0 || fd < 3)
		return -EINVAL;
	return push(&c->pass_fds, &c->n_pass_fds, sizeof fd, &fd);
}

static int set_status_fd(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected a file descriptor number";
	return parse_fd(a, &c->status_fd);
}

static int set_status_file(struct brig_config *c, const char *a, const char **why)
{
	(void)why;
	char *p = strdup(a);
	if (!p)
		return -ENOMEM;
	free(c->status_file);
	c->status_file = p;
	return 0;
}

/* Accepts "CAP_NET_RAW", "cap_net_raw" and "net_raw". */
static int set_cap_add(struct brig_config *c, const char *a, const char **why)
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
	int v = cap;
	return push(&c->caps, &c->n_caps, sizeof v, &v);
}

static bool valid_env_name(const char *s, size_t len, bool allow_star)
{
	if (len == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (allow_star && i == len - 1 && s[i] == '*')
			return true;
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	}
	return true;
}

static int set_env(struct brig_config *c, const char *a, const char **why)
{
	const char *eq = strchr(a, '=');
	*why = "expected NAME=VALUE";
	if (!eq || !valid_env_name(a, (size_t)(eq - a), false))
		return -EINVAL;
	char *kv = strdup(a);
	if (!kv)
		return -ENOMEM;
	int r = push(&c->env_set, &c->n_env_set, sizeof kv, &kv);
	if (r < 0)
		free(kv);
	return r;
}

static int set_env_pass(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected a variable NAME or a PREFIX_* pattern";
	if (!valid_env_name(a, strlen(a), true))
		return -EINVAL;
	char *n = strdup(a);
	if (!n)
		return -ENOMEM;
	int r = push(&c->env_pass, &c->n_env_pass, sizeof n, &n);
	if (r < 0)
		free(n);
	return r;
}

static int set_timeout(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected a duration such as 90s, 500ms, 10m or 2h";
	if (parse_duration(a, &c->timeout_ms) < 0 || c->timeout_ms == 0)
		return -EINVAL;
	return 0;
}

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

static int set_allow_userns(struct brig_config *c, const char *a, const char **why)
{
	(void)a, (void)why;
	c->allow_userns = true;
	return 0;
}

static int set_allow_ptrace(struct brig_config *c, const char *a, const char **why)
{
	(void)a, (void)why;
	c->allow_ptrace = true;
	return 0;
}

static int set_allow_io_uring(struct brig_config *c, const char *a, const char **why)
{
	(void)a, (void)why;
	c->allow_io_uring = true;
	return 0;
}

/* Loads the profile into the config before any other option is applied,
 * so that the command line overrides it whatever the order. */
static int set_profile(struct brig_config *c, const char *a, const char **why)
{
	(void)why;
	int r = profile_load(a, c);
	return r < 0 ? -ECANCELED : 0;
}

const struct cli_option cli_run_options[] = {
	{ "profile", "NAME|PATH", "apply a profile first; options given here override it", 'p', true, set_profile },
	{ "workspace", "DIR", "bind DIR read-write at the same path and start there", 'w', false, set_workspace },
	{ "bind", "SRC[:DST]", "bind SRC read-write at DST (repeatable)", 0, false, set_bind },
	{ "ro-bind", "SRC[:DST]", "bind SRC read-only at DST (repeatable)", 0, false, set_ro_bind },
	{ "tmpfs", "DST[:SIZE]", "mount a fresh tmpfs at DST (repeatable)", 0, false, set_tmpfs },
	{ "chdir", "DIR", "working directory inside the job", 'C', false, set_chdir },
	{ "hostname", "NAME", "host name inside the job (default brig-JOBID)", 0, false, set_hostname },
	{ "rootfs", "DIR", "use the prepared tree DIR, read-only, instead of the host's /usr", 0, false, set_rootfs },
	{ "sys", NULL, "mount /sys read-only (absent by default)", 0, false, set_sys },
	{ "uid-range", "BASE:COUNT", "host ids that ids 0.. inside map to (root only)", 0, false, set_uid_range },
	{ "user", "UID[:GID]", "run the job as this user inside (default 0:0)", 'u', false, set_user },
	{ "pass-fd", "N", "keep file descriptor N open in the job (repeatable)", 0, false, set_pass_fd },
	{ "cap-add", "NAME", "keep capability NAME instead of dropping it (repeatable)", 0, false, set_cap_add },
	{ "env", "NAME=VALUE", "set a variable in the job's environment (repeatable)", 'e', false, set_env },
	{ "env-pass", "NAME", "pass a host variable, or all matching PREFIX_* (repeatable)", 0, false, set_env_pass },
	{ "seccomp", "NAME|PATH|none", "syscall policy (default: default; none: no filter)", 0, false, set_seccomp },
	{ "allow-userns", NULL, "let the job create user namespaces (rootless container builds)", 0, false, set_allow_userns },
	{ "allow-ptrace", NULL, "let the job use ptrace (debuggers; only its own processes are visible)", 0, false, set_allow_ptrace },
	{ "allow-io-uring", NULL, "let the job use io_uring", 0, false, set_allow_io_uring },
	{ "timeout", "DURATION", "kill the whole job after DURATION (exit 124)", 't', false, set_timeout },
	{ "status-fd", "N", "write JSON status events to file descriptor N", 0, false, set_status_fd },
	{ "status-file", "PATH", "write JSON status events to PATH", 0, false, set_status_file },
	{ "quiet", NULL, "no warnings on stderr, errors only", 'q', false, set_quiet },
};
const size_t cli_run_options_count = ARRAY_SIZE(cli_run_options);

void cli_print_run_help(void)
{
	printf("Usage: brig run [OPTION...] [--] COMMAND [ARG...]\n"
	       "Run COMMAND as one job in a fresh sandbox.\n\n");
	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		char left[64];
		char shortopt[8] = "    ";
		if (o->short_name)
			snprintf(shortopt, sizeof shortopt, "-%c, ", o->short_name);
		snprintf(left, sizeof left, "%s--%s%s%s", shortopt, o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		printf("  %-30s %s\n", left, o->help);
	}
	printf("  %-30s %s\n", "-h, --help", "show this help and exit");
	printf("\nExit status: the job's own; 128+N if it died of signal N; 124 on time-out;\n"
	       "125 if brig failed; 126/127 if COMMAND cannot run / is not found.\n");
}

enum { OPT_HELP = 1000 };

static const struct cli_option *option_of(int ch)
{
	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		if (ch == (o->short_name ? o->short_name : (int)(OPT_HELP + 1 + i)))
			return o;
	}
	return NULL;
}

static void log_bad_option(char **argv, const char *shortopts)
{
	const char *bad = argv[optind - 1];
	if (optopt && optopt < OPT_HELP)
		log_error("run: option -%c %s (see brig run --help)", optopt,
			  strchr(shortopts, optopt) ? "needs an argument" : "is unknown");
	else if (optopt >= OPT_HELP)
		log_error("run: option %s needs an argument (see brig run --help)", bad);
	else
		log_error("run: unknown option %s (see brig run --help)", bad);
}

/* One getopt_long walk over the command line. The first applies only the
 * early options (--profile), the second every other one, so a profile is
 * always overridden by the command line. Returns 1 after --help. */
static int parse_pass(int argc, char **argv, struct brig_config *c, const char *shortopts,
		      const struct option *longopts, bool early)
{
	optind = 1;
	opterr = 0;
	for (;;) {
		int ch = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (ch == -1)
			return 0;
		if (ch == 'h') {
			if (early)
				continue;
			cli_print_run_help();
			return 1;
		}
		if (ch == '?' || ch == ':') {
			log_bad_option(argv, shortopts);
			return -EINVAL;
		}
		const struct cli_option *o = option_of(ch);
		if (!o)
			return -EINVAL;
		if (o->early != early)
			continue;
		const char *why = "invalid value";
		int r = o->set(c, optarg, &why);
		if (r == -ECANCELED) /* already reported where it was found */
			return r;
		if (r == -ENOMEM)
			log_error("--%s: %s", o->name, strerror(ENOMEM));
		else if (r < 0)
			log_error("--%s %s: %s", o->name, optarg ? optarg : "", why);
		if (r < 0)
			return r;
	}
}

int cli_parse_run(int argc, char **argv, struct brig_config *c)
{
	struct option longopts[ARRAY_SIZE(cli_run_options) + 2];
	char shortopts[2 * ARRAY_SIZE(cli_run_options) + 4] = "+h";
	size_t ns = strlen(shortopts);

	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		longopts[i] = (struct option){ o->name, o->metavar ? required_argument : no_argument, NULL,
					       o->short_name ? o->short_name : (int)(OPT_HELP + 1 + i) };
		if (o->short_name) {
			shortopts[ns++] = (char)o->short_name;
			if (o->metavar)
				shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = '\0';
	longopts[cli_run_options_count] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[cli_run_options_count + 1] = (struct option){ 0 };

	for (int pass = 0; pass < 2; pass++) {
		int r = parse_pass(argc, argv, c, shortopts, longopts, pass == 0);
		if (r != 0)
			return r;
	}
	c->argv = argv + optind;
	return 0;
}

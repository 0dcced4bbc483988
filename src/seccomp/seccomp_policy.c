/* Syscall policy files: `TARGET ACTION [ERRNO] [quiet|unless-dir] [argN OP VALUE]`,
 * one rule per line, `#` comments, `include NAME`. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/lib/checkout.h"
#include "brig/lib/err.h"
#include "brig/seccomp/seccomp.h"
#include "brig/lib/util.h"

#ifndef BRIG_DATADIR
#define BRIG_DATADIR "/usr/local/share/brig"
#endif

#define MAX_DEPTH 8
#define MAX_POLICY_SIZE (1 << 20)

/* Symbolic argument values a policy may use. */
static const struct {
	const char *name;
	uint64_t value;
} constants[] = {
	{ "CLONE_NEWNS", CLONE_NEWNS },	      { "CLONE_NEWUTS", CLONE_NEWUTS },
	{ "CLONE_NEWIPC", CLONE_NEWIPC },     { "CLONE_NEWUSER", CLONE_NEWUSER },
	{ "CLONE_NEWPID", CLONE_NEWPID },     { "CLONE_NEWNET", CLONE_NEWNET },
	{ "CLONE_NEWCGROUP", CLONE_NEWCGROUP }, { "TIOCSTI", TIOCSTI },
	{ "TIOCLINUX", TIOCLINUX },	      { "PER_LINUX", PER_LINUX },
	{ "PER_QUERY", 0xffffffffu },	      { "AF_UNIX", AF_UNIX },
	{ "AF_INET", AF_INET },		      { "AF_INET6", AF_INET6 },
	{ "AF_NETLINK", AF_NETLINK },	      { "AF_PACKET", AF_PACKET },
	{ "AF_KEY", AF_KEY },		      { "AF_ALG", AF_ALG },
	{ "AF_VSOCK", AF_VSOCK },	      { "AF_TIPC", AF_TIPC },
	{ "AF_RDS", AF_RDS },		      { "AF_CAN", AF_CAN },
	{ "AF_BLUETOOTH", AF_BLUETOOTH },     { "AF_NFC", AF_NFC },
	{ "AF_XDP", AF_XDP },		      { "AF_LLC", AF_LLC },
	{ "AF_X25", AF_X25 },		      { "AF_AX25", AF_AX25 },
	{ "AF_APPLETALK", AF_APPLETALK },     { "AF_PHONET", AF_PHONET },
	{ "AF_IEEE802154", AF_IEEE802154 },   { "AF_CAIF", AF_CAIF },
	{ "AF_SMC", AF_SMC },		      { "AF_QIPCRTR", AF_QIPCRTR },
	{ "AF_ATMPVC", AF_ATMPVC },	      { "AF_ATMSVC", AF_ATMSVC },
	{ "AF_ROSE", AF_ROSE },		      { "AF_NETROM", AF_NETROM },
	{ "S_ISUID", S_ISUID },		      { "S_ISGID", S_ISGID },
	{ "O_CREAT", O_CREAT },
	/* The kernel's bit alone: glibc's O_TMPFILE adds O_DIRECTORY, which
	 * on its own never makes open read its mode. */
	{ "__O_TMPFILE", 020000000 },
	/* socket(AF_NETLINK, ..., protocol): the families the host owns. */
	{ "NETLINK_KOBJECT_UEVENT", NETLINK_KOBJECT_UEVENT },
	{ "NETLINK_AUDIT", NETLINK_AUDIT },
};

static const struct {
	const char *name;
	enum sc_op op;
} ops[] = { { "==", SC_OP_EQ }, { "!=", SC_OP_NE }, { "&", SC_OP_ANY_BITS }, { ">=", SC_OP_GE } };

struct ctx {
	struct seccomp_policy *p;
	const char *file;
	unsigned line;
	int depth;
	struct brig_err *e;
};

__attribute__((format(printf, 2, 3))) static int bad(const struct ctx *x, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(x->e, -EINVAL, "%s:%u: %s", x->file, x->line, msg);
}

static int parse_errno(const char *s)
{
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);
		if (n && strcmp(n, s) == 0)
			return e;
	}
	return -1;
}

/* A number, a constant, or constants joined with '|'. */
static int parse_value(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	/* strtok_r would skip the empty pieces of "A||B" or "A|". */
	if (!*s || *s == '|' || s[strlen(s) - 1] == '|' || strstr(s, "||"))
		return -EINVAL;
	_cleanup_free_ char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	char *save = NULL;
	for (char *t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
		char *end = NULL;
		errno = 0;
		unsigned long long n = strtoull(t, &end, 0);
		bool found = false;
		if (t[0] >= '0' && t[0] <= '9' && errno == 0 && *end == '\0') {
			v |= n;
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(constants) && !found; i++)
			if (strcmp(constants[i].name, t) == 0) {
				v |= constants[i].value;
				found = true;
			}
		if (!found)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static int add_rule(struct seccomp_policy *p, const struct sc_rule *r)
{
	if (r->n_cond == 0) {
		size_t kept = 0;
		for (size_t i = 0; i < p->n; i++)
			if (p->v[i].nr != r->nr)
				p->v[kept++] = p->v[i];
		p->n = kept;
	}
	struct sc_rule *grown = realloc(p->v, (p->n + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	p->v = grown;
	p->v[p->n++] = *r;
	return 0;
}

/* A group adds its calls that this architecture has; a lone name must be
 * a syscall libseccomp knows. */
static int add_target(struct ctx *x, const char *target, struct sc_rule *r)
{
	const char *calls = target[0] == '@' ? seccomp_group(target) : NULL;
	if (target[0] == '@' && !calls)
		return bad(x, "%s: unknown group", target);
	if (!calls) {
		int nr = seccomp_syscall_resolve_name(target);
		if (nr == __NR_SCMP_ERROR)
			return bad(x, "%s: unknown system call", target);
		r->nr = nr;
		return add_rule(x->p, r);
	}
	_cleanup_free_ char *list = strdup(calls);
	if (!list)
		return -ENOMEM;
	char *save = NULL;
	for (char *name = strtok_r(list, " ", &save); name; name = strtok_r(NULL, " ", &save)) {
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue;
		r->nr = nr;
		int e = add_rule(x->p, r);
		if (e < 0)
			return e;
	}
	return 0;
}

/* One or more `argN OP VALUE` triples, all of which must hold. */
static int parse_conditions(struct ctx *x, char **tok, size_t n, struct sc_rule *r)
{
	if (n == 0 || n % 3 != 0)
		return bad(x, "expected a condition like 'arg1 == TIOCSTI' (arg0..arg5, ==, !=, >= or &)");
	if (n / 3 > SC_MAX_COND)
		return bad(x, "at most %d conditions in one rule", SC_MAX_COND);
	for (size_t i = 0; i < n; i += 3) {
		struct sc_cond *c = &r->cond[r->n_cond++];
		const char *a = tok[i];
		if (strncmp(a, "arg", 3) != 0 || strlen(a) != 4 || a[3] < '0' || a[3] > '5')
			return bad(x, "expected a condition like 'arg1 == TIOCSTI' (arg0..arg5, ==, !=, >= or &)");
		c->arg = (unsigned)(a[3] - '0');
		for (size_t j = 0; j < ARRAY_SIZE(ops); j++)
			if (strcmp(tok[i + 1], ops[j].name) == 0)
				c->op = ops[j].op;
		if (c->op == SC_OP_NONE)
			return bad(x, "%s: unknown operator (==, !=, >= or &)", tok[i + 1]);
		if (parse_value(tok[i + 2], &c->value) < 0)
			return bad(x, "%s: not a number or a known constant", tok[i + 2]);
	}
	return 0;
}

static int read_policy(struct seccomp_policy *p, const char *name, int depth, const struct ctx *from,
		       struct brig_err *e);

/* The calls whose target the answerer can check for a directory. */
static bool waivable(const char *call)
{
	static const char *const calls[] = { "chmod", "fchmod", "fchmodat", "fchmodat2" };
	for (size_t i = 0; i < ARRAY_SIZE(calls); i++)
		if (strcmp(call, calls[i]) == 0)
			return true;
	return false;
}

static int parse_line(struct ctx *x, char *line)
{
	char *tok[16];
	size_t n = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == ARRAY_SIZE(tok))
			return bad(x, "too many words");
		tok[n++] = t;
	}
	if (n == 0)
		return 0;
	if (strcmp(tok[0], "include") == 0)
		return n == 2 ? read_policy(x->p, tok[1], x->depth + 1, x, x->e) : bad(x, "include: expected one NAME");
	if (n < 2)
		return bad(x, "%s: missing action (allow, errno NAME, kill or log)", tok[0]);
	struct sc_rule r = { 0 };
	size_t i = 2;
	if (strcmp(tok[1], "allow") == 0) {
		r.action = SC_ALLOW;
	} else if (strcmp(tok[1], "kill") == 0) {
		r.action = SC_KILL;
	} else if (strcmp(tok[1], "log") == 0) {
		r.action = SC_LOG;
	} else if (strcmp(tok[1], "errno") == 0) {
		r.action = SC_ERRNO;
		if (n < 3 || (r.err = parse_errno(tok[2])) < 0)
			return bad(x, "%s: errno needs an error name such as EPERM", tok[0]);
		i = 3;
	} else {
		return bad(x, "%s: unknown action '%s' (allow, errno NAME, kill or log)", tok[0], tok[1]);
	}
	if (i < n && strcmp(tok[i], "quiet") == 0) {
		if (r.action != SC_ERRNO)
			return bad(x, "%s: only errno rules can be quiet", tok[0]);
		r.quiet = true;
		i++;
	}
	if (i < n && strcmp(tok[i], "unless-dir") == 0) {
		if (r.action != SC_ERRNO || r.quiet)
			return bad(x, "%s: only errno rules that are not quiet can be unless-dir", tok[0]);
		if (!waivable(tok[0]))
			return bad(x, "%s: unless-dir is for chmod, fchmod, fchmodat and fchmodat2", tok[0]);
		r.unless_dir = true;
		i++;
	}
	if (i < n) {
		int e = parse_conditions(x, tok + i, n - i, &r);
		if (e < 0)
			return e;
	}
	return add_target(x, tok[0], &r);
}

int seccomp_policy_parse(struct seccomp_policy *p, const char *file, const char *text, int depth, struct brig_err *e)
{
	struct ctx x = { .p = p, .file = file, .depth = depth, .e = e };
	const char *s = text;
	while (*s) {
		x.line++;
		size_t len = strcspn(s, "\n");
		_cleanup_free_ char *line = strndup(s, len);
		if (!line)
			return -ENOMEM;
		s += len + (s[len] == '\n');
		line[strcspn(line, "#")] = '\0';
		int r = parse_line(&x, line);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_text(const char *path, char **out)
{
	/* Non-blocking: a FIFO named as a policy must not hang brig. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if (st.st_size > MAX_POLICY_SIZE)
		return -EFBIG;
	_cleanup_free_ char *buf = calloc(1, (size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	ssize_t n = read(fd, buf, (size_t)st.st_size);
	if (n < 0)
		return -errno;
	if (memchr(buf, '\0', (size_t)n))
		return -EINVAL;
	*out = TAKE_PTR(buf);
	return 0;
}

/* A PATH as is; a NAME from the profile directories' seccomp/, then the
 * copy built into brig, so a bare binary always has its default. */
static int find_policy(const char *name, char *path, size_t len, char **out)
{
	if (strchr(name, '/')) {
		snprintf(path, len, "%s", name);
		return read_text(path, out);
	}
	const char *env = getenv("BRIG_PROFILE_PATH"), *checkout = checkout_profiles_dir();
	_cleanup_free_ char *dirs = NULL;
	if (asprintf(&dirs, "%s:%s:/etc/brig/profiles:%s/profiles", env ? env : "", checkout ? checkout : "",
		     BRIG_DATADIR) < 0)
		return -ENOMEM;
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, len, "%s/seccomp/%s.policy", d, name);
		if (access(path, F_OK) == 0)
			return read_text(path, out);
	}
	const char *builtin = seccomp_builtin_policy(name);
	snprintf(path, len, "(built in)/seccomp/%s.policy", name);
	if (!builtin)
		return -ENOENT;
	return (*out = strdup(builtin)) ? 0 : -ENOMEM;
}

static int read_policy(struct seccomp_policy *p, const char *name, int depth, const struct ctx *from,
		       struct brig_err *e)
{
	char path[PATH_MAX];
	if (depth > MAX_DEPTH)
		return from ? bad(from, "include %s: nested deeper than %d", name, MAX_DEPTH)
			    : err_set(e, -ELOOP, "seccomp %s: nested deeper than %d", name, MAX_DEPTH);
	_cleanup_free_ char *text = NULL;
	int r = find_policy(name, path, sizeof path, &text);
	if (r < 0) {
		if (from)
			return bad(from, "include %s: %s", name, strerror(-r));
		return err_set(e, r, "seccomp %s: %s", name, strerror(-r));
	}
	return seccomp_policy_parse(p, path, text, depth, e);
}

int seccomp_policy_load(const struct brig_config *c, struct seccomp_policy *p, struct brig_err *e)
{
	static const struct {
		size_t offset;
		const char *fragment;
	} fragments[] = {
		{ offsetof(struct brig_config, allow_userns), "allow-userns" },
		{ offsetof(struct brig_config, allow_ptrace), "allow-ptrace" },
		{ offsetof(struct brig_config, allow_io_uring), "allow-io-uring" },
	};
	const char *name = c->seccomp ? c->seccomp : "default";
	*p = (struct seccomp_policy){ 0 };
	if (strcmp(name, "none") == 0) {
		p->none = true;
		return 0;
	}
	int r = read_policy(p, name, 0, NULL, e);
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(fragments); i++)
		if (*(const bool *)((const char *)c + fragments[i].offset))
			r = read_policy(p, fragments[i].fragment, 0, NULL, e);
	if (r < 0)
		seccomp_policy_free(p);
	return r;
}

void seccomp_policy_free(struct seccomp_policy *p)
{
	free(p->v);
	*p = (struct seccomp_policy){ 0 };
}

static bool cond_holds(const struct sc_cond *c, const uint64_t args[6])
{
	/* The kernel reads int arguments (ioctl's request, personality, ids)
	 * as 32 bits; the high half must not matter here either. */
	uint64_t a = args[c->arg];
	switch (c->op) {
	case SC_OP_NONE:
		return true;
	case SC_OP_EQ:
		return (a & 0xffffffffu) == c->value;
	case SC_OP_NE:
		return (a & 0xffffffffu) != c->value;
	case SC_OP_GE:
		return (a & 0xffffffffu) >= c->value;
	case SC_OP_ANY_BITS:
		return (a & c->value) != 0;
	case SC_OP_MASKED:
		return (a & c->mask & 0xffffffffu) == c->value;
	}
	return false;
}

static bool holds(const struct sc_rule *r, const uint64_t args[6])
{
	for (unsigned i = 0; i < r->n_cond; i++)
		if (!cond_holds(&r->cond[i], args))
			return false;
	return true;
}

const struct sc_rule *seccomp_policy_decide(const struct seccomp_policy *p, int nr, const uint64_t args[6])
{
	const struct sc_rule *fallback = NULL;
	for (size_t i = 0; i < p->n; i++) {
		const struct sc_rule *r = &p->v[i];
		if (r->nr != nr)
			continue;
		if (r->n_cond == 0)
			fallback = r;
		else if (holds(r, args))
			return r;
	}
	return fallback;
}

/* Profile files. Every directive is a `brig run` long option, looked up in
 * the same table, so flags and files can never disagree.
 *
 * A profile is read whole (it is small, and bounded) and then line by
 * line; nothing in it can make brig read without limit, recurse without
 * limit or follow a cycle. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/cli/cli.h"
#include "brig/lib/log.h"
#include "brig/cli/profile.h"
#include "brig/lib/util.h"

#define NAME_MAX_SHOWN 64 /* of an unknown directive, in messages */

struct frame {
	dev_t dev;
	ino_t ino;
};

struct reader {
	struct brig_config *c;
	const struct profile_opts *o;
	struct brig_reporter *rep;
	const char *name;  /* as given to profile_load_with */
	char *incdir;      /* DIR/inc, DIR holding the top-level profile as named */
	char *profile_dir; /* DIR, absolute: ${BRIG_PROFILE_DIR} */
	unsigned load;
	size_t *first;     /* per option: 1 + index of the origin that set it in this load */
	struct frame stack[PROFILE_MAX_DEPTH];
	int depth;
	int err; /* the first problem's -errno */
};

/* Where an include line sits, for problems with the fragment it names. */
struct from {
	const char *file;
	unsigned line;
	const char *name;
	bool site; /* site/NAME: the operator's file, checked before it is read */
};

__attribute__((format(printf, 3, 4))) static int problem(struct reader *rd, int err, const char *fmt, ...)
{
	va_list ap;
	_cleanup_free_ char *line = NULL;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	brig_report(rd->rep, "%s", line ? line : strerror(ENOMEM));
	if (!rd->err)
		rd->err = err;
	return err;
}

/* Whether reading goes on after a problem: only for a check, which wants
 * every problem, and not after running out of memory or patience. */
static bool stop(const struct reader *rd, int r)
{
	return r < 0 && (!rd->rep->keep_going || r == -ENOMEM || rd->rep->problems >= PROFILE_MAX_PROBLEMS);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Variables */

static const char *var_workspace(struct reader *rd, const char **why)
{
	if (rd->o->workspace)
		return rd->o->workspace;
	if (rd->c->workspace)
		return rd->c->workspace;
	*why = "is not set (give --workspace DIR, or a workspace line before this one)";
	return rd->o->check ? "/brig-check-placeholder/workspace" : NULL;
}

static const char *var_home(struct reader *rd, const char **why)
{
	const char *home = getenv("HOME");
	if (home && home[0] == '/')
		return home;
	*why = "is not set: HOME is not an absolute path";
	return rd->o->check ? "/brig-check-placeholder/home" : NULL;
}

static const char *var_job_id(struct reader *rd, const char **why)
{
	if (rd->c->job_id[0])
		return rd->c->job_id;
	*why = "is not set: no job id yet";
	return rd->o->check ? "000000000000" : NULL;
}

static const char *var_profile_dir(struct reader *rd, const char **why)
{
	(void)why;
	return rd->profile_dir;
}

static const struct {
	const char *name;
	const char *(*get)(struct reader *rd, const char **why);
} variables[] = {
	{ "WORKSPACE", var_workspace },
	{ "HOME", var_home },
	{ "JOB_ID", var_job_id },
	{ "BRIG_PROFILE_DIR", var_profile_dir },
};

static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t want = (*len + n + 1) * 2;
		char *grown = realloc(*buf, want);
		if (!grown)
			return -ENOMEM;
		*buf = grown;
		*cap = want;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* ${env:NAME}: the caller's variable NAME, where the profile passes NAME
 * to the job (env-pass before this line): a profile reads nothing of the
 * host's environment that it does not also show the job, and a reader of
 * the profile sees which. Unset or empty is an error; ${env:NAME?} makes
 * it skip the whole line instead (returns 1), for settings that only
 * apply when the caller gives them. */
static int env_var(struct reader *rd, const char *where, const char *s, size_t n, const char **value,
		   char *placeholder, size_t len)
{
	bool optional = n > 1 && s[n - 1] == '?';
	char name[128];
	if (optional)
		n--;
	if (n == 0 || n >= sizeof name)
		return problem(rd, -EINVAL, "%s: ${env:...} needs a variable name", where);
	memcpy(name, s, n);
	name[n] = '\0';
	if (!config_env_passes(rd->c, name))
		return problem(rd, -EINVAL, "%s: ${env:%s}: the profile does not pass %s (add env-pass %s before this line)",
			       where, name, name, name);
	const char *v = getenv(name);
	if (v && *v) {
		*value = v;
		return 0;
	}
	if (rd->o->check) {
		/* One per variable, so that binds of two do not clash. */
		snprintf(placeholder, len, "/brig-check-placeholder/env/%s", name);
		*value = placeholder;
		return 0;
	}
	if (optional)
		return 1;
	return problem(rd, -EINVAL, "%s: ${env:%s} is not set (write ${env:%s?} to skip the line then)", where, name,
		       name);
}

/* ${NAME} from the fixed list expands; $$ is a dollar sign; any other $ is
 * an error, so that a value written for a shell ("$HOME") is never taken
 * literally by mistake. Expansion is one pass: values are not re-read. */
static int expand(struct reader *rd, const char *where, const char *arg, char **out)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	int r = append(&buf, &len, &cap, "", 0);
	for (const char *p = arg; r >= 0 && *p;) {
		size_t plain = strcspn(p, "$");
		if (plain) {
			r = append(&buf, &len, &cap, p, plain);
			p += plain;
			continue;
		}
		if (p[1] == '$') {
			r = append(&buf, &len, &cap, "$", 1);
			p += 2;
			continue;
		}
		if (p[1] != '{')
			return problem(rd, -EINVAL, "%s: a lone $: write $$ for a dollar sign, ${NAME} for a variable",
				       where);
		const char *close = strchr(p + 2, '}');
		if (!close)
			return problem(rd, -EINVAL, "%s: ${ without a closing }", where);
		int n = (int)(close - p - 2);
		const char *value = NULL, *why = "";
		if (n > 4 && strncmp(p + 2, "env:", 4) == 0) {
			char placeholder[192];
			r = env_var(rd, where, p + 6, (size_t)n - 4, &value, placeholder, sizeof placeholder);
			if (r != 0)
				return r;
			r = append(&buf, &len, &cap, value, strlen(value));
			p = close + 1;
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(variables); i++)
			if (strlen(variables[i].name) == (size_t)n && strncmp(variables[i].name, p + 2, (size_t)n) == 0) {
				value = variables[i].get(rd, &why);
				if (!value)
					return problem(rd, -EINVAL, "%s: ${%.*s} %s", where, n, p + 2, why);
			}
		if (!value)
			return problem(rd, -EINVAL,
				       "%s: unknown variable ${%.*s} (known: WORKSPACE, HOME, JOB_ID, BRIG_PROFILE_DIR, env:NAME)",
				       where, n < NAME_MAX_SHOWN ? n : NAME_MAX_SHOWN, p + 2);
		r = append(&buf, &len, &cap, value, strlen(value));
		p = close + 1;
	}
	if (r < 0)
		return problem(rd, r, "%s: %s", where, strerror(-r));
	*out = TAKE_PTR(buf);
	return 0;
}

/* Directives */

static int read_file(struct reader *rd, const char *path, const struct from *from);

static bool valid_fragment_name(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
	return n > 0 && n <= 64 && s[n] == '\0' && s[0] != '.';
}

static unsigned next_load(const struct brig_config *c)
{
	unsigned last = 0;
	for (size_t i = 0; i < c->n_origins; i++)
		if (c->origins[i].load > last)
			last = c->origins[i].load;
	return last + 1;
}

/* include site/NAME: the operator's settings for this host (the forge's
 * name), from site/ beside the top-level profile, then PROFILE_SITE_DIR;
 * never from a place a variable names. Missing, it says what to write:
 * a profile that needs it cannot work without it. */
static int include_site(struct reader *rd, const char *file, unsigned line, const char *name)
{
	_cleanup_free_ char *beside = NULL;
	if (asprintf(&beside, "%s/site", rd->profile_dir) < 0)
		return problem(rd, -ENOMEM, "%s:%u: include site/%s: %s", file, line, name, strerror(ENOMEM));
	const char *dirs[] = { beside, PROFILE_SITE_DIR };
	_cleanup_free_ char *path = profile_find_site(dirs, ARRAY_SIZE(dirs), name);
	if (!path && errno != ENOENT)
		return problem(rd, -errno, "%s:%u: include site/%s: %s", file, line, name, strerror(errno));
	if (!path && rd->o->check) {
		log_warn("%s:%u: include site/%s: not configured on this host (jobs will need %s/%s.inc)", file, line,
			 name, PROFILE_SITE_DIR, name);
		return 0;
	}
	/* Without root the forge is not what stops the job: say what does. */
	if (!path && geteuid() != 0 && rd->c->net.mode == NET_VETH)
		return problem(rd, -EPERM, "%s:%u: include site/%s: this profile's net veth " NET_VETH_NEEDS_ROOT, file,
			       line, name);
	if (!path)
		return problem(rd, -ENOENT, "%s:%u: include site/%s: not configured on this host: write %s/%s.inc with %s",
			       file, line, name, PROFILE_SITE_DIR, name, profile_site_hint(name));
	char shown[80];
	snprintf(shown, sizeof shown, PROFILE_SITE_PREFIX "%s", name);
	struct from from = { .file = file, .line = line, .name = shown, .site = true };
	/* A source of its own, as the command line is: a rule the shipped
	 * lines give already (the operator's forge is github.com) repeats
	 * it harmlessly rather than being a mistake within one profile. */
	unsigned load = rd->load;
	rd->load = next_load(rd->c);
	int r = read_file(rd, path, &from);
	rd->load = load;
	return r;
}

static int include(struct reader *rd, const char *file, unsigned line, const char *name)
{
	if (!*name)
		return problem(rd, -EINVAL, "%s:%u: include: needs an argument (NAME)", file, line);
	size_t prefix = strlen(PROFILE_SITE_PREFIX);
	bool site = strncmp(name, PROFILE_SITE_PREFIX, prefix) == 0;
	if (!valid_fragment_name(site ? name + prefix : name))
		return problem(rd, -EINVAL,
			       "%s:%u: include %s: expected a fragment name from inc/, or site/NAME (letters, digits, '.', '_', '-')",
			       file, line, name);
	if (site)
		return include_site(rd, file, line, name + prefix);
	_cleanup_free_ char *inc = NULL;
	if (asprintf(&inc, "%s/%s.inc", rd->incdir, name) < 0)
		return problem(rd, -ENOMEM, "%s:%u: include %s: %s", file, line, name, strerror(ENOMEM));
	struct from from = { .file = file, .line = line, .name = name };
	return read_file(rd, inc, &from);
}

static int unknown(struct reader *rd, const char *file, unsigned line, const char *name)
{
	const struct cli_planned *p = cli_find_planned(name);
	if (p)
		return problem(rd, -EINVAL, "%s:%u: %s: not implemented by this version of brig (planned: %s)", file,
			       line, name, p->feature);
	const char *hint = cli_suggest(name);
	if (hint)
		return problem(rd, -EINVAL, "%s:%u: %.*s: unknown directive (did you mean %s?)", file, line,
			       NAME_MAX_SHOWN, name, hint);
	return problem(rd, -EINVAL, "%s:%u: %.*s: unknown directive", file, line, NAME_MAX_SHOWN, name);
}

static int apply(struct reader *rd, const struct cli_option *o, const char *file, unsigned line, const char *arg)
{
	size_t idx = (size_t)(o - cli_run_options);
	if (o->list == CONFIG_SCALAR && rd->first[idx]) {
		const struct brig_origin *prev = &rd->c->origins[rd->first[idx] - 1];
		return problem(rd, -EINVAL, "%s:%u: %s: already set at %s:%u (a profile sets each value once)", file,
			       line, o->name, prev->file, prev->line);
	}
	_cleanup_free_ char *where = NULL, *value = NULL;
	if (asprintf(&where, "%s:%u: %s", file, line, o->name) < 0)
		return problem(rd, -ENOMEM, "%s:%u: %s", file, line, strerror(ENOMEM));
	int r = expand(rd, where, arg, &value);
	if (r != 0)
		return r < 0 ? r : 0; /* 1: an optional ${env:NAME?} is unset */
	const char *why;
	r = cli_apply(o, rd->c, value, file, line, rd->load, &why);
	if (r < 0)
		return problem(rd, r, "%s%s%s: %s", where, *arg ? " " : "", arg, why);
	if (o->list == CONFIG_SCALAR)
		rd->first[idx] = rd->c->n_origins;
	return 0;
}

static int directive(struct reader *rd, const char *file, unsigned line, char *text)
{
	char *arg = text + strcspn(text, " \t");
	if (*arg)
		*arg++ = '\0';
	arg = trim(arg);
	if (strcmp(text, "include") == 0)
		return include(rd, file, line, arg);
	const struct cli_option *o = cli_find(text);
	if (!o)
		return unknown(rd, file, line, text);
	if (o->early)
		return problem(rd, -EINVAL, "%s:%u: %s: not a profile directive (use include)", file, line, text);
	if (!o->metavar && *arg)
		return problem(rd, -EINVAL, "%s:%u: %s: takes no argument", file, line, text);
	if (o->metavar && !*arg)
		return problem(rd, -EINVAL, "%s:%u: %s: needs an argument (%s)", file, line, text, o->metavar);
	return apply(rd, o, file, line, arg);
}

static int one_line(struct reader *rd, const char *path, unsigned line, char *text, size_t n)
{
	size_t at;
	if (n > PROFILE_MAX_LINE)
		return problem(rd, -E2BIG, "%s:%u: line longer than %d bytes", path, line, PROFILE_MAX_LINE);
	if (memchr(text, '\0', n))
		return problem(rd, -EINVAL, "%s:%u: NUL byte: a profile is text", path, line);
	if (n && text[n - 1] == '\r') /* written on Windows */
		text[--n] = '\0';
	const char *bad = profile_text_problem(text, n, &at);
	if (bad)
		return problem(rd, -EINVAL, "%s:%u: %s at byte %zu: a profile is plain UTF-8 text", path, line, bad,
			       at + 1);
	char *t = trim(text);
	if (*t == '\0' || *t == '#')
		return 0;
	return directive(rd, path, line, t);
}

static int read_lines(struct reader *rd, const char *path, char *buf, size_t len)
{
	unsigned line = 0;
	int first = 0;
	for (char *p = buf, *end = buf + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p[n] = '\0';
		int r = one_line(rd, path, ++line, p, n);
		if (r < 0 && !first)
			first = r;
		if (stop(rd, r))
			break;
		p += n + 1;
	}
	return first;
}

/* "FILE:LINE: include NAME" for a fragment, the profile itself otherwise. */
static void file_where(const struct reader *rd, const char *path, const struct from *from, char *buf, size_t len)
{
	if (from)
		snprintf(buf, len, "%s:%u: include %s: %s", from->file, from->line, from->name, path);
	else
		snprintf(buf, len, "%s%s", rd->o->check ? "" : "--profile ", path);
}

static int read_file(struct reader *rd, const char *path, const struct from *from)
{
	char where[PATH_MAX + 256];
	file_where(rd, path, from, where, sizeof where);
	if (rd->depth == PROFILE_MAX_DEPTH)
		return problem(rd, -ELOOP, "%s: includes nested deeper than %d", where, PROFILE_MAX_DEPTH);
	struct stat st;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = profile_read_file(path, &st, &buf, &len);
	if (r < 0)
		return problem(rd, r == -EFBIG ? -E2BIG : r, "%s: %s", where, profile_read_error(r));
	const char *unsafe = from && from->site ? profile_site_file_problem(&st, geteuid()) : NULL;
	if (unsafe)
		return problem(rd, -EPERM, "%s: %s: a site fragment is the operator's, only they may change it", where,
			       unsafe);
	for (int i = 0; i < rd->depth; i++)
		if (rd->stack[i].dev == st.st_dev && rd->stack[i].ino == st.st_ino)
			return problem(rd, -ELOOP, "%s: include cycle (the file is already being read)", where);
	rd->stack[rd->depth++] = (struct frame){ st.st_dev, st.st_ino };
	r = read_lines(rd, path, buf, len);
	rd->depth--;
	return r;
}

/* Fragments live in inc/ beside the top-level profile, whatever includes
 * them, so a fragment reads the same from every profile of a directory. */
static int locate(struct reader *rd, const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (asprintf(&rd->incdir, "%s/inc", strcmp(dir, "/") == 0 ? "" : dir) < 0) {
		rd->incdir = NULL;
		return -ENOMEM;
	}
	rd->profile_dir = realpath(dir, NULL);
	return rd->profile_dir ? 0 : -errno;
}

static int load(struct reader *rd)
{
	_cleanup_free_ char *path = NULL;
	int found = profile_find(rd->name, &path);
	if (found < 0) {
		/* A directory or a FIFO is "no profile there" as much as a typo. */
		const char *why = found == -EISDIR ? "is a directory, not a profile" :
				  found == -EINVAL ? "not a regular file" :
				  found == -ENOENT ? "no such profile" : strerror(-found);
		/* A NAME is never looked up in the current directory (that would
		 * make a job's policy depend on where brig was started). */
		struct stat st;
		bool here = !strchr(rd->name, '/') && stat(rd->name, &st) == 0 && S_ISREG(st.st_mode);
		problem(rd, -ENOENT, "%s%s: %s%s%s", rd->o->check ? "" : "--profile ", rd->name, why,
			here ? "; for the file here, write ./" : "", here ? rd->name : "");
		return -ENOENT;
	}
	int r = locate(rd, path);
	if (r < 0)
		return problem(rd, r, "%s%s: %s", rd->o->check ? "" : "--profile ", path, strerror(-r));
	if (!(rd->first = calloc(cli_run_options_count, sizeof *rd->first)))
		return problem(rd, -ENOMEM, "%s: %s", path, strerror(ENOMEM));
	rd->load = next_load(rd->c);
	read_file(rd, path, NULL);
	return rd->err;
}

int profile_load_with(const char *name, struct brig_config *c, const struct profile_opts *o)
{
	static const struct profile_opts defaults = { 0 };
	struct brig_reporter first = { 0 };
	struct reader rd = { .c = c, .o = o ? o : &defaults, .name = name };
	rd.rep = rd.o->report ? rd.o->report : &first;
	unsigned before = rd.rep->problems;
	int r = load(&rd);
	if (rd.rep->keep_going && rd.rep->problems >= PROFILE_MAX_PROBLEMS && before < PROFILE_MAX_PROBLEMS)
		brig_report(rd.rep, "%s: too many problems, stopping here", name);
	free(rd.incdir);
	free(rd.profile_dir);
	free(rd.first);
	return r;
}

int profile_load(const char *name, struct brig_config *c)
{
	return profile_load_with(name, c, NULL);
}

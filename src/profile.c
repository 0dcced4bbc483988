/* Profile files. Every directive is a `brig run` long option, looked up in
 * the same table, so flags and files can never disagree. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "brig/cli.h"
#include "brig/log.h"
#include "brig/profile.h"
#include "brig/util.h"

#define MAX_LINE 4096
#define MAX_DEPTH 8

#ifndef BRIG_DATADIR
#define BRIG_DATADIR "/usr/local/share/brig"
#endif

struct reader {
	struct brig_config *c;
	const char *stack[MAX_DEPTH]; /* real paths of the files being read */
	int depth;
};

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *try_dir(const char *dir, const char *name)
{
	char *p = NULL;
	if (!dir || !*dir || asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	if (is_file(p))
		return p;
	free(p);
	return NULL;
}

char *profile_find(const char *name)
{
	if (strchr(name, '/')) {
		char *p = strdup(name);
		if (p && !is_file(p)) {
			free(p);
			errno = ENOENT;
			return NULL;
		}
		return p;
	}
	/* $BRIG_PROFILE_PATH is a colon-separated list, like $PATH. */
	const char *env = getenv("BRIG_PROFILE_PATH");
	_cleanup_free_ char *list = strdup(env ? env : "");
	char *save = NULL;
	for (char *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char *p = try_dir(d, name);
		if (p)
			return p;
	}
	char *p = try_dir(PROFILE_SYSTEM_DIR, name);
	if (!p)
		p = try_dir(BRIG_DATADIR "/profiles", name);
	if (!p)
		errno = ENOENT;
	return p;
}

static const struct cli_option *lookup(const char *name)
{
	for (size_t i = 0; i < cli_run_options_count; i++)
		if (strcmp(cli_run_options[i].name, name) == 0)
			return &cli_run_options[i];
	return NULL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int read_file(struct reader *rd, const char *path);

static int include(struct reader *rd, const char *file, unsigned line, const char *name)
{
	_cleanup_free_ char *dir = strdup(file);
	if (!dir)
		return -ENOMEM;
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	_cleanup_free_ char *inc = NULL;
	if (strchr(name, '/') || asprintf(&inc, "%s/inc/%s.inc", slash ? dir : ".", name) < 0) {
		log_error("%s:%u: include %s: expected a fragment name from inc/", file, line, name);
		return -EINVAL;
	}
	if (!is_file(inc)) {
		log_error("%s:%u: include %s: no such fragment (%s)", file, line, name, inc);
		return -ENOENT;
	}
	return read_file(rd, inc);
}

static int directive(struct reader *rd, const char *file, unsigned line, char *text)
{
	char *arg = text + strcspn(text, " \t");
	if (*arg)
		*arg++ = '\0';
	arg = trim(arg);
	if (strcmp(text, "include") == 0)
		return include(rd, file, line, arg);
	if (strstr(arg, "${")) {
		log_error("%s:%u: %s: ${...} variables are not supported yet", file, line, text);
		return -EINVAL;
	}
	const struct cli_option *o = lookup(text);
	if (o && o->early) {
		log_error("%s:%u: %s: not a profile directive (use include)", file, line, text);
		return -EINVAL;
	}
	if (!o) {
		log_error("%s:%u: %s: unknown directive", file, line, text);
		return -EINVAL;
	}
	if (!o->metavar && *arg) {
		log_error("%s:%u: %s: takes no argument", file, line, text);
		return -EINVAL;
	}
	if (o->metavar && !*arg) {
		log_error("%s:%u: %s: needs an argument (%s)", file, line, text, o->metavar);
		return -EINVAL;
	}
	const char *why = "invalid value";
	int r = o->set(rd->c, arg, &why);
	if (r < 0)
		log_error("%s:%u: %s %s: %s", file, line, text, arg, r == -ENOMEM ? strerror(ENOMEM) : why);
	return r;
}

static int read_file(struct reader *rd, const char *path)
{
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		int e = errno;
		log_error("%s: %s", path, strerror(e));
		return -e;
	}
	for (int i = 0; i < rd->depth; i++)
		if (strcmp(rd->stack[i], real) == 0) {
			log_error("%s: include cycle", path);
			return -ELOOP;
		}
	if (rd->depth == MAX_DEPTH) {
		log_error("%s: includes nested deeper than %d", path, MAX_DEPTH);
		return -ELOOP;
	}
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = errno;
		log_error("%s: %s", path, strerror(e));
		return -e;
	}
	rd->stack[rd->depth++] = real;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned line = 0;
	int r = 0;
	while (r >= 0 && (len = getline(&buf, &cap, f)) >= 0) {
		line++;
		if (len > MAX_LINE) {
			log_error("%s:%u: line longer than %d bytes", path, line, MAX_LINE);
			r = -E2BIG;
			break;
		}
		if (strlen(buf) != (size_t)len) {
			log_error("%s:%u: NUL byte: a profile is text", path, line);
			r = -EINVAL;
			break;
		}
		if (len && buf[len - 1] == '\n')
			buf[len - 1] = '\0';
		char *text = trim(buf);
		if (*text == '\0' || *text == '#')
			continue;
		r = directive(rd, path, line, text);
	}
	free(buf);
	if (r >= 0 && ferror(f)) {
		r = -EIO;
		log_error("%s: %s", path, strerror(EIO));
	}
	fclose(f);
	rd->depth--;
	return r;
}

int profile_load(const char *name, struct brig_config *c)
{
	_cleanup_free_ char *path = profile_find(name);
	if (!path) {
		log_error("--profile %s: no such profile", name);
		return -ENOENT;
	}
	struct reader rd = { .c = c };
	return read_file(&rd, path);
}

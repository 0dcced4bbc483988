/* See brig/run/path_warn.h. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "brig/lib/log.h"
#include "brig/lib/util.h"
#include "brig/run/env.h"
#include "brig/run/path_warn.h"

extern char **environ;

/* One entry of the job's PATH, with where it resolves on the host (or
 * NULL): resolved once, not once for every entry of the caller's. */
struct job_dir {
	const char *name;
	size_t len;
	char *real;
};

static void job_dirs_free(struct job_dir *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].real);
	free(d);
}

/* The entries of job, every one of them; NULL (and *n 0) without memory. */
static struct job_dir *job_dirs_read(const char *job, size_t *n)
{
	size_t count = 1;
	for (const char *p = job ? job : ""; *p; p++)
		count += *p == ':';
	struct job_dir *d = calloc(count, sizeof *d);
	*n = 0;
	for (const char *p = job; d && p && *p;) {
		size_t len = strcspn(p, ":");
		d[*n] = (struct job_dir){ .name = p, .len = len };
		if (len > 0 && len < PATH_MAX) {
			char entry[PATH_MAX];
			memcpy(entry, p, len);
			entry[len] = '\0';
			d[*n].real = realpath(entry, NULL);
		}
		++*n;
		p += len + (p[len] == ':');
	}
	return d;
}

/* Does dir (resolved: real, or NULL) appear in the job's PATH? */
static bool in_path(const char *dir, size_t len, const char *real, const struct job_dir *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((d[i].len == len && strncmp(d[i].name, dir, len) == 0) ||
		    (real && d[i].real && strcmp(d[i].real, real) == 0))
			return true;
	return false;
}

size_t path_unseen(const char *caller, const char *job, char *out, size_t len)
{
	size_t count = 0, used = 0;
	if (len)
		out[0] = '\0';
	size_t n_job;
	struct job_dir *d = job_dirs_read(job, &n_job);
	for (const char *p = caller; p && *p;) {
		size_t n = strcspn(p, ":");
		char dir[PATH_MAX], real[PATH_MAX];
		struct stat st;
		bool check = n > 0 && n < sizeof dir && p[0] == '/';
		if (check) {
			memcpy(dir, p, n);
			dir[n] = '\0';
			/* Only what is there: a stale entry is no toolchain. */
			check = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
		}
		/* Listed once, however often the caller's PATH has it. */
		bool listed = false;
		if (check && count) {
			for (const char *q = out; *q; q += strspn(q, ", ")) {
				size_t m = strcspn(q, ",");
				listed |= m == n && strncmp(q, dir, n) == 0;
				q += m;
			}
		}
		if (check && !listed && !in_path(dir, n, realpath(dir, real) ? real : NULL, d, n_job)) {
			int w = snprintf(out + used, used < len ? len - used : 0, "%s%s", count ? ", " : "", dir);
			if (w > 0)
				used = used + (size_t)w < len ? used + (size_t)w : len;
			count++;
		}
		p += n + (p[n] == ':');
	}
	job_dirs_free(d, n_job);
	return count;
}

void path_warn(const struct brig_config *c)
{
	const char *caller = getenv("PATH");
	char **env = NULL;
	if (!caller || brig_log_quiet || env_build(c, environ, "/", &env) < 0)
		return;
	char list[1024];
	size_t n = path_unseen(caller, env_get(env, "PATH"), list, sizeof list);
	if (n)
		log_warn("the job's PATH leaves out %s of yours: tools there are not found inside (a toolchain "
			 "fragment such as 'include rust', or a bind and --env PATH=..., brings them)",
			 list);
	env_free(env);
}

/* Helpers the CI drivers share (see brig/ci/ci.h). */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/ci/ci.h"
#include "brig/lib/exit.h"
#include "brig/lib/util.h"

#define STATUS_MAX (1 << 20)

int ci_job_code(int fd)
{
	_cleanup_free_ char *text = malloc(STATUS_MAX + 1);
	ssize_t n = text ? pread(fd, text, STATUS_MAX, 0) : -1;
	if (n <= 0)
		return -1;
	text[n] = '\0';
	int code = -1;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_object *o = json_tokener_parse(line), *ev, *v;
		if (o && json_object_object_get_ex(o, "event", &ev) && strcmp(json_object_get_string(ev), "exited") == 0) {
			if (json_object_object_get_ex(o, "exit_code", &v) && json_object_is_type(v, json_type_int))
				code = json_object_get_int(v);
			else
				code = EXIT_SIGNAL_BASE + SIGKILL; /* a signal: the status-less end the runner would see */
			if (json_object_object_get_ex(o, "signal", &v) && json_object_is_type(v, json_type_string)) {
				int sig = 0;
				for (int s = 1; s < 65; s++)
					if (sigabbrev_np(s) && strcmp(json_object_get_string(v) + 3, sigabbrev_np(s)) == 0)
						sig = s;
				if (sig)
					code = EXIT_SIGNAL_BASE + sig;
			}
			/* brig's own time limit: 124, as `brig run` says it. */
			if (json_object_object_get_ex(o, "timed_out", &v) && json_object_get_boolean(v))
				code = EXIT_TIMEOUT;
		}
		json_object_put(o);
	}
	return code;
}

int ci_mkdir_one(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	struct stat st;
	if (lstat(path, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int ci_mkdir_parents(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if ((size_t)snprintf(buf, sizeof buf, "%s", path) >= sizeof buf)
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			int r = ci_mkdir_one(buf, mode);
			*p = '/';
			if (r < 0)
				return r;
		}
	return ci_mkdir_one(buf, mode);
}

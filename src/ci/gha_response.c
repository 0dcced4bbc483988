/* The response file (see brig/ci/gha_response.h). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/ci/gha_response.h"
#include "brig/ci/gha_step.h"
#include "brig/lib/sys.h"
#include "brig/lib/util.h"

int gha_response_open(const char *work, const char *response_file, struct brig_err *e)
{
	_cleanup_free_ char *norm = NULL;
	if (!response_file)
		return err_set(e, -EINVAL, "gha: the request has no responseFile: the runner creates one for every call");
	if (path_normalise(response_file, &norm) < 0 || !gha_path_under(norm, work) || strcmp(norm, work) == 0)
		return err_set(e, -EPERM, "gha: responseFile %.200s is not below the runner's work directory %.200s",
			       response_file, work);
	_cleanup_close_ int dir = open(work, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return err_set(e, -errno, "gha: the work directory %.200s: %s", work, strerror(errno));
	/* Never created, never through a link: a job can write below the
	 * work directory, and the hook may be root. */
	struct open_how how = { .flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = sys_openat2(dir, norm + strlen(work) + 1, &how);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int code = fd < 0 ? errno : EINVAL;
		if (fd >= 0)
			close(fd);
		return err_set(e, -code, "gha: responseFile %.200s: %s (the runner creates it empty before the call)",
			       response_file, code == EINVAL ? "not a regular file" : strerror(code));
	}
	return fd;
}

int gha_response_prepare(int fd, const char *id, bool alpine, struct brig_err *e)
{
	json_object *o = json_object_new_object(), *state = json_object_new_object(), *brig = json_object_new_object(),
		    *ctx = json_object_new_object(), *container = json_object_new_object();
	int r = -ENOMEM;
	if (o && state && brig && ctx && container) {
		json_object_object_add(brig, "job", json_object_new_string(id));
		json_object_object_add(state, "brig", TAKE_PTR(brig));
		json_object_object_add(o, "state", TAKE_PTR(state));
		json_object_object_add(container, "id", json_object_new_string(id));
		json_object_object_add(ctx, "container", TAKE_PTR(container));
		json_object_object_add(ctx, "services", json_object_new_array());
		json_object_object_add(o, "context", TAKE_PTR(ctx));
		json_object_object_add(o, "isAlpine", json_object_new_boolean(alpine));
		const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
		_cleanup_free_ char *line = NULL;
		if (text && asprintf(&line, "%s\n", text) >= 0) {
			size_t len = strlen(line);
			r = write(fd, line, len) == (ssize_t)len ? 0 : -EIO;
		}
	}
	json_object_put(o);
	json_object_put(state);
	json_object_put(brig);
	json_object_put(ctx);
	json_object_put(container);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		return err_set(e, r, "gha: cannot write the response: %s", strerror(-r));
	return 0;
}

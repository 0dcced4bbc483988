/* Job records (see brig/ci/gha_job.h): STATE/ID/job.json, mode 0600,
 * owned by the hook's user; written with json-c, read back with the same
 * checks as any other input. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/ci/ci.h"
#include "brig/ci/gha_job.h"
#include "brig/lib/err.h"
#include "brig/lib/rmtree.h"
#include "brig/lib/util.h"

#define RECORD "job.json"
#define RECORD_MAX (4u << 20)

int gha_state_dir(char *buf, size_t len)
{
	const char *v = getenv(GHA_STATE_ENV), *base = NULL, *tail = "/brig/gha";
	int n;
	if (v && *v)
		n = snprintf(buf, len, "%s", v);
	else if (geteuid() == 0)
		n = snprintf(buf, len, "%s", GHA_STATE_DIR);
	else if ((base = getenv("XDG_RUNTIME_DIR")) && *base)
		n = snprintf(buf, len, "%s%s", base, tail);
	else if ((base = getenv("HOME")) && *base)
		n = snprintf(buf, len, "%s/.cache%s", base, tail);
	else
		return -ENOENT;
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return buf[0] == '/' ? 0 : -EINVAL;
}

static int job_dir(const char *id, char *buf, size_t len, struct brig_err *e)
{
	char state[PATH_MAX];
	int r = gha_state_dir(state, sizeof state);
	if (r < 0)
		return err_set(e, r, "gha: no directory for job records: set %s to an absolute path", GHA_STATE_ENV);
	if ((size_t)snprintf(buf, len, "%s/%s", state, id) >= len)
		return err_at(e, -ENAMETOOLONG, "gha: the job records' directory", state);
	return 0;
}

static void put_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static json_object *mounts_json(const struct gha_mount *m, size_t n)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; a && i < n; i++) {
		json_object *e = json_object_new_object();
		put_str(e, "source", m[i].source);
		put_str(e, "target", m[i].target);
		json_object_object_add(e, "readOnly", json_object_new_boolean(m[i].read_only));
		json_object_array_add(a, e);
	}
	return a;
}

int gha_job_save(struct gha_job *j, struct brig_err *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], state[PATH_MAX];
	int r;
	if ((r = gha_state_dir(state, sizeof state)) < 0 || (r = ci_mkdir_parents(state, 0700)) < 0)
		return err_set(e, r, "gha: the job records' directory %s: %s", state, strerror(-r));
	struct brig_config tmp;
	config_init(&tmp);
	r = config_new_job_id(&tmp);
	memcpy(j->id, tmp.job_id, sizeof j->id);
	config_free(&tmp);
	if (r < 0)
		return err_set(e, r, "gha: cannot make a job id: %s", strerror(-r));
	if ((r = job_dir(j->id, dir, sizeof dir, e)) < 0)
		return r;
	if (mkdir(dir, 0700) < 0)
		return err_at(e, -errno, "gha", dir);
	json_object *o = json_object_new_object(), *env = json_object_new_object(), *tmpfs = json_object_new_array();
	if (!o || !env || !tmpfs) {
		json_object_put(o);
		json_object_put(env);
		json_object_put(tmpfs);
		return err_at(e, -ENOMEM, "gha", "the job record");
	}
	put_str(o, "profile", j->profile);
	put_str(o, "image", j->image);
	put_str(o, "rootfs", j->rootfs);
	json_object_object_add(o, "alpine", json_object_new_boolean(j->alpine));
	put_str(o, "work", j->work);
	put_str(o, "externals", j->externals);
	json_object_object_add(o, "mounts", mounts_json(j->mounts, j->n_mounts));
	for (size_t i = 0; i < j->n_tmpfs; i++)
		json_object_array_add(tmpfs, json_object_new_string(j->tmpfs[i]));
	json_object_object_add(o, "tmpfs", tmpfs);
	for (size_t i = 0; i < j->n_env; i++)
		json_object_object_add(env, j->env[i].key, json_object_new_string(j->env[i].value));
	json_object_object_add(o, "env", env);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	snprintf(path, sizeof path, "%s/%s", dir, RECORD);
	int fd = text ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
	size_t len = text ? strlen(text) : 0;
	r = fd < 0 ? -errno : write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
	if (fd >= 0 && close(fd) < 0 && r == 0)
		r = -errno;
	json_object_put(o);
	if (r < 0) {
		err_at(e, r, "gha", path);
		gha_job_remove(j->id);
	}
	return r;
}

static int load_string(json_object *o, const char *key, bool required, char **out)
{
	json_object *v = NULL;
	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return required ? -EINVAL : 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	return (*out = strdup(json_object_get_string(v))) ? 0 : -ENOMEM;
}

static int load_record(json_object *o, struct gha_job *j)
{
	json_object *v;
	int r;
	if (!json_object_is_type(o, json_type_object))
		return -EINVAL;
	if ((r = load_string(o, "profile", true, &j->profile)) < 0 || (r = load_string(o, "image", true, &j->image)) < 0 ||
	    (r = load_string(o, "rootfs", true, &j->rootfs)) < 0 || (r = load_string(o, "work", true, &j->work)) < 0 ||
	    (r = load_string(o, "externals", false, &j->externals)) < 0)
		return r;
	j->alpine = json_object_object_get_ex(o, "alpine", &v) && json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "mounts", &v) && json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		if (!(j->mounts = calloc(n + 1, sizeof *j->mounts)))
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			json_object *m = json_object_array_get_idx(v, i), *ro;
			j->n_mounts = i + 1;
			if ((r = load_string(m, "source", true, &j->mounts[i].source)) < 0 ||
			    (r = load_string(m, "target", true, &j->mounts[i].target)) < 0)
				return r;
			j->mounts[i].read_only = json_object_object_get_ex(m, "readOnly", &ro) && json_object_get_boolean(ro);
		}
	}
	if (json_object_object_get_ex(o, "tmpfs", &v) && json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		if (!(j->tmpfs = calloc(n + 1, sizeof *j->tmpfs)))
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (!(j->tmpfs[j->n_tmpfs++] = strdup(json_object_get_string(json_object_array_get_idx(v, i)))))
				return -ENOMEM;
	}
	if (json_object_object_get_ex(o, "env", &v) && json_object_is_type(v, json_type_object)) {
		size_t n = (size_t)json_object_object_length(v);
		if (!(j->env = calloc(n + 1, sizeof *j->env)))
			return -ENOMEM;
		json_object_object_foreach(v, key, val)
		{
			struct gha_kv *kv = &j->env[j->n_env++];
			if (!(kv->key = strdup(key)) || !(kv->value = strdup(json_object_get_string(val))))
				return -ENOMEM;
		}
	}
	return 0;
}

int gha_job_load(const char *id, struct gha_job *j, struct brig_err *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	memset(j, 0, sizeof *j);
	int r = job_dir(id, dir, sizeof dir, e);
	if (r < 0)
		return r;
	snprintf(path, sizeof path, "%s/%s", dir, RECORD);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		return err_set(e, r, "gha: state names job %s, which no prepare_job of this host made (or cleanup_job removed): %s",
			       id, strerror(-r));
	}
	/* Only a record this user wrote, that no one else could change. */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) || st.st_size > RECORD_MAX)
		return err_set(e, -EPERM, "gha: %s: not a job record of this hook (owner, mode or size)", path);
	_cleanup_free_ char *text = malloc((size_t)st.st_size + 1);
	ssize_t n = text ? read(fd, text, (size_t)st.st_size) : -1;
	if (n != st.st_size)
		return err_set(e, -EIO, "gha: %s: cannot read", path);
	text[n] = '\0';
	json_object *o = json_tokener_parse(text);
	r = o ? load_record(o, j) : -EINVAL;
	json_object_put(o);
	memcpy(j->id, id, BRIG_JOB_ID_LEN);
	j->id[BRIG_JOB_ID_LEN] = '\0';
	if (r < 0) {
		err_set(e, r, "gha: %s: a damaged job record", path);
		gha_job_free(j);
	}
	return r;
}

int gha_job_remove(const char *id)
{
	char dir[PATH_MAX];
	int r = job_dir(id, dir, sizeof dir, NULL);
	if (r < 0)
		return r;
	r = rmtree_at(AT_FDCWD, dir, NULL, NULL);
	return r > 0 ? -EBUSY : r;
}

void gha_job_free(struct gha_job *j)
{
	free(j->profile);
	free(j->image);
	free(j->rootfs);
	free(j->work);
	free(j->externals);
	for (size_t i = 0; i < j->n_mounts; i++) {
		free(j->mounts[i].source);
		free(j->mounts[i].target);
	}
	free(j->mounts);
	for (size_t i = 0; i < j->n_tmpfs; i++)
		free(j->tmpfs[i]);
	free(j->tmpfs);
	for (size_t i = 0; i < j->n_env; i++) {
		free(j->env[i].key);
		free(j->env[i].value);
	}
	free(j->env);
	memset(j, 0, sizeof *j);
}

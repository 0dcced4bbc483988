/* The runner's request, parsed (see brig/ci/gha_input.h). The input is
 * the runner's, but most of its fields come from the workflow file of
 * whoever opened the pull request: every type is checked, sizes are
 * bounded, and nothing is trusted beyond being well-formed. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brig/ci/gha_input.h"
#include "brig/config/config.h"
#include "brig/lib/err.h"
#include "brig/lib/util.h"

static const char *const command_names[] = {
	[GHA_PREPARE_JOB] = "prepare_job",
	[GHA_CLEANUP_JOB] = "cleanup_job",
	[GHA_RUN_SCRIPT_STEP] = "run_script_step",
	[GHA_RUN_CONTAINER_STEP] = "run_container_step",
};

const char *gha_command_name(enum gha_command c)
{
	return (size_t)c < ARRAY_SIZE(command_names) ? command_names[c] : "?";
}

/* json-c strings may hold NUL: such a value could never reach a path or
 * an environment intact, so it is refused. */
static int get_string(json_object *o, const char *what, char **out, struct brig_err *e)
{
	*out = NULL;
	if (!o || json_object_is_type(o, json_type_null))
		return 0;
	if (!json_object_is_type(o, json_type_string))
		return err_set(e, -EINVAL, "%s: expected a string or null", what);
	const char *s = json_object_get_string(o);
	size_t len = (size_t)json_object_get_string_len(o);
	if (strlen(s) != len)
		return err_set(e, -EINVAL, "%s: contains a NUL character", what);
	if (!(*out = strdup(s)))
		return -ENOMEM;
	return 0;
}

static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;
	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int get_field(json_object *o, const char *key, const char *ctx, char **out, struct brig_err *e)
{
	char what[256];
	snprintf(what, sizeof what, "%.160s%.64s", ctx, key);
	return get_string(field(o, key), what, out, e);
}

static int get_bool(json_object *o, const char *key, const char *ctx, bool *out, struct brig_err *e)
{
	json_object *v = field(o, key);
	*out = false;
	if (!v || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return err_set(e, -EINVAL, "%s%s: expected true or false", ctx, key);
	*out = json_object_get_boolean(v);
	return 0;
}

static int check_array(json_object *v, const char *what, size_t *n, struct brig_err *e)
{
	*n = 0;
	if (!v || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return err_set(e, -EINVAL, "%s: expected an array", what);
	*n = json_object_array_length(v);
	if (*n > GHA_LIST_MAX)
		return err_set(e, -EINVAL, "%s: more than %u entries", what, GHA_LIST_MAX);
	return 0;
}

static int get_strings(json_object *v, const char *what, char ***out, size_t *n, struct brig_err *e)
{
	size_t len;
	int r = check_array(v, what, &len, e);
	if (r < 0)
		return r;
	*out = calloc(len + 1, sizeof **out);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		char item[160];
		snprintf(item, sizeof item, "%s[%zu]", what, i);
		if ((r = get_string(json_object_array_get_idx(v, i), item, &(*out)[i], e)) < 0)
			return r;
		if (!(*out)[i])
			return err_set(e, -EINVAL, "%s: expected a string", item);
		*n = i + 1;
	}
	return 0;
}

static int get_env(json_object *v, const char *what, struct gha_kv **out, size_t *n, struct brig_err *e)
{
	*out = NULL;
	*n = 0;
	if (!v || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return err_set(e, -EINVAL, "%s: expected an object", what);
	size_t len = (size_t)json_object_object_length(v);
	if (len > GHA_LIST_MAX)
		return err_set(e, -EINVAL, "%s: more than %u entries", what, GHA_LIST_MAX);
	*out = calloc(len + 1, sizeof **out);
	if (!*out)
		return -ENOMEM;
	json_object_object_foreach(v, key, val)
	{
		struct gha_kv *kv = &(*out)[*n];
		char item[160];
		snprintf(item, sizeof item, "%s.%.64s", what, key);
		int r = get_string(val, item, &kv->value, e);
		if (r < 0)
			return r;
		if (!(kv->key = strdup(key)))
			return -ENOMEM;
		(*n)++;
		/* null: the variable is set empty, as docker's -e NAME= would. */
		if (!kv->value && !(kv->value = strdup("")))
			return -ENOMEM;
	}
	return 0;
}

static int get_mounts(json_object *v, const char *what, struct gha_mount **out, size_t *n, struct brig_err *e)
{
	size_t len;
	int r = check_array(v, what, &len, e);
	if (r < 0)
		return r;
	*out = calloc(len + 1, sizeof **out);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		json_object *m = json_object_array_get_idx(v, i);
		struct gha_mount *mt = &(*out)[i];
		char ctx[160];
		snprintf(ctx, sizeof ctx, "%s[%zu].", what, i);
		if (!json_object_is_type(m, json_type_object))
			return err_set(e, -EINVAL, "%s[%zu]: expected an object", what, i);
		*n = i + 1;
		if ((r = get_field(m, "sourceVolumePath", ctx, &mt->source, e)) < 0 ||
		    (r = get_field(m, "targetVolumePath", ctx, &mt->target, e)) < 0 ||
		    (r = get_bool(m, "readOnly", ctx, &mt->read_only, e)) < 0)
			return r;
		if (!mt->target || !*mt->target)
			return err_set(e, -EINVAL, "%stargetVolumePath: expected a path", ctx);
		if (mt->source && !*mt->source)
			free(TAKE_PTR(mt->source));
	}
	return 0;
}

static int get_container(json_object *o, const char *ctx, struct gha_container *c, struct brig_err *e)
{
	char what[160];
	int r;
	if (!json_object_is_type(o, json_type_object))
		return err_set(e, -EINVAL, "%s: expected an object", ctx);
#define STR(key, slot) \
	if ((r = get_field(o, key, what, &c->slot, e)) < 0) \
		return r;
	snprintf(what, sizeof what, "%s.", ctx);
	STR("image", image);
	STR("dockerfile", dockerfile);
	STR("entryPoint", entry_point);
	STR("workingDirectory", working_dir);
	STR("createOptions", create_options);
#undef STR
	snprintf(what, sizeof what, "%s.entryPointArgs", ctx);
	if ((r = get_strings(field(o, "entryPointArgs"), what, &c->entry_point_args, &c->n_entry_point_args, e)) < 0)
		return r;
	snprintf(what, sizeof what, "%s.environmentVariables", ctx);
	if ((r = get_env(field(o, "environmentVariables"), what, &c->env, &c->n_env, e)) < 0)
		return r;
	snprintf(what, sizeof what, "%s.portMappings", ctx);
	if ((r = get_strings(field(o, "portMappings"), what, &c->ports, &c->n_ports, e)) < 0)
		return r;
	snprintf(what, sizeof what, "%s.systemMountVolumes", ctx);
	if ((r = get_mounts(field(o, "systemMountVolumes"), what, &c->system, &c->n_system, e)) < 0)
		return r;
	snprintf(what, sizeof what, "%s.userMountVolumes", ctx);
	if ((r = get_mounts(field(o, "userMountVolumes"), what, &c->user, &c->n_user, e)) < 0)
		return r;
	/* registry: credentials, never read, never logged. Only its type. */
	json_object *reg = field(o, "registry");
	if (reg && !json_object_is_type(reg, json_type_null) && !json_object_is_type(reg, json_type_object))
		return err_set(e, -EINVAL, "%s.registry: expected an object or null", ctx);
	return 0;
}

/* prependPath: an array (newest first) or, from runners up to 2.293.0,
 * one string joined with ':'. */
static int get_prepend_path(json_object *v, struct gha_script *s, struct brig_err *e)
{
	if (!v || !json_object_is_type(v, json_type_string))
		return get_strings(v, "args.prependPath", &s->prepend_path, &s->n_prepend_path, e);
	_cleanup_free_ char *joined = NULL;
	int r = get_string(v, "args.prependPath", &joined, e);
	if (r < 0)
		return r;
	size_t parts = 1;
	for (const char *c = joined; *c; c++)
		parts += *c == ':';
	if (parts > GHA_LIST_MAX)
		return err_set(e, -EINVAL, "args.prependPath: more than %u entries", GHA_LIST_MAX);
	if (!(s->prepend_path = calloc(parts + 1, sizeof *s->prepend_path)))
		return -ENOMEM;
	char *save = NULL;
	for (char *t = strtok_r(joined, ":", &save); t; t = strtok_r(NULL, ":", &save))
		if (!(s->prepend_path[s->n_prepend_path++] = strdup(t)))
			return -ENOMEM;
	return 0;
}

static int get_script(json_object *o, struct gha_script *s, struct brig_err *e)
{
	int r;
	if (!json_object_is_type(o, json_type_object))
		return err_set(e, -EINVAL, "args: expected an object");
	if ((r = get_field(o, "entryPoint", "args.", &s->entry_point, e)) < 0 ||
	    (r = get_field(o, "workingDirectory", "args.", &s->working_dir, e)) < 0 ||
	    (r = get_strings(field(o, "entryPointArgs"), "args.entryPointArgs", &s->entry_point_args,
			     &s->n_entry_point_args, e)) < 0 ||
	    (r = get_env(field(o, "environmentVariables"), "args.environmentVariables", &s->env, &s->n_env, e)) < 0 ||
	    (r = get_prepend_path(field(o, "prependPath"), s, e)) < 0)
		return r;
	if (!s->entry_point || !*s->entry_point)
		return err_set(e, -EINVAL, "args.entryPoint: expected a program");
	return 0;
}

/* state: null before prepare_job, else what prepare_job returned:
 * {"brig": {"job": ID}}. Another hook's state has no such key. */
static int get_state(json_object *o, struct gha_request *req, struct brig_err *e)
{
	if (!o || json_object_is_type(o, json_type_null))
		return 0;
	req->has_state = true;
	json_object *job = field(field(o, "brig"), "job");
	if (!json_object_is_type(o, json_type_object) || !job)
		return 0;
	int r = get_string(job, "state.brig.job", &req->job, e);
	if (r < 0)
		return r;
	size_t len = req->job ? strlen(req->job) : 0;
	if (len != BRIG_JOB_ID_LEN || strspn(req->job, "0123456789abcdef") != len)
		return err_set(e, -EINVAL, "state.brig.job: not a brig job id");
	return 0;
}

static int parse_request(json_object *root, struct gha_request *req, struct brig_err *e)
{
	_cleanup_free_ char *command = NULL;
	int r;
	if (!json_object_is_type(root, json_type_object))
		return err_set(e, -EINVAL, "the request is not a JSON object");
	if ((r = get_field(root, "command", "", &command, e)) < 0)
		return r;
	if (!command)
		return err_set(e, -EINVAL, "the request has no command");
	size_t i = 0;
	while (i < ARRAY_SIZE(command_names) && strcmp(command, command_names[i]) != 0)
		i++;
	if (i == ARRAY_SIZE(command_names))
		return err_set(e, -EINVAL, "unknown command '%.64s': expected prepare_job, run_script_step, run_container_step or cleanup_job",
			    command);
	req->command = (enum gha_command)i;
	if ((r = get_field(root, "responseFile", "", &req->response_file, e)) < 0 ||
	    (r = get_state(field(root, "state"), req, e)) < 0)
		return r;
	json_object *args = field(root, "args");
	switch (req->command) {
	case GHA_PREPARE_JOB: {
		if (!json_object_is_type(args, json_type_object))
			return err_set(e, -EINVAL, "args: expected an object");
		json_object *c = field(args, "container"), *svc = field(args, "services");
		if (c && !json_object_is_type(c, json_type_null)) {
			if (!(req->container = calloc(1, sizeof *req->container)))
				return -ENOMEM;
			if ((r = get_container(c, "args.container", req->container, e)) < 0)
				return r;
		}
		size_t n;
		if ((r = check_array(svc, "args.services", &n, e)) < 0)
			return r;
		if (!(req->services = calloc(n + 1, sizeof *req->services)))
			return -ENOMEM;
		for (size_t s = 0; s < n; s++) {
			char ctx[64];
			snprintf(ctx, sizeof ctx, "args.services[%zu]", s);
			req->n_services = s + 1;
			if ((r = get_container(json_object_array_get_idx(svc, s), ctx, &req->services[s], e)) < 0)
				return r;
		}
		return 0;
	}
	case GHA_RUN_SCRIPT_STEP:
		return get_script(args, &req->script, e);
	case GHA_RUN_CONTAINER_STEP:
		return get_container(args, "args", &req->step, e);
	case GHA_CLEANUP_JOB:
		return 0;
	}
	return 0;
}

int gha_input_parse(const char *text, size_t len, struct gha_request *req, struct brig_err *e)
{
	memset(req, 0, sizeof *req);
	if (len > GHA_INPUT_MAX)
		return err_set(e, -EINVAL, "the request is larger than %u bytes", GHA_INPUT_MAX);
	/* The last non-empty line, as the reference hooks read it. */
	size_t end = len;
	while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' ' || text[end - 1] == '\t'))
		end--;
	size_t start = end;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	if (start == end)
		return err_set(e, -EINVAL, "no request on standard input (expected one line of JSON)");
	if (memchr(text + start, '\0', end - start))
		return err_set(e, -EINVAL, "the request is not JSON: it contains a NUL byte");
	json_tokener *tok = json_tokener_new_ex(GHA_JSON_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *root = json_tokener_parse_ex(tok, text + start, (int)(end - start));
	enum json_tokener_error je = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	int r;
	if (!root || je != json_tokener_success)
		r = err_set(e, -EINVAL, "the request is not JSON: %s", je == json_tokener_continue ? "it ends too early" : json_tokener_error_desc(je));
	else if (used != end - start)
		r = err_set(e, -EINVAL, "the request is not JSON: text after the object");
	else
		r = parse_request(root, req, e);
	json_object_put(root);
	if (r == -ENOMEM)
		err_set(e, r, "%s", strerror(ENOMEM));
	if (r < 0)
		gha_request_free(req);
	return r;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void free_env(struct gha_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void free_mounts(struct gha_mount *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free(m[i].source);
		free(m[i].target);
	}
	free(m);
}

static void free_container(struct gha_container *c)
{
	free(c->image);
	free(c->dockerfile);
	free(c->entry_point);
	free(c->working_dir);
	free(c->create_options);
	free_strings(c->entry_point_args, c->n_entry_point_args);
	free_env(c->env, c->n_env);
	free_strings(c->ports, c->n_ports);
	free_mounts(c->system, c->n_system);
	free_mounts(c->user, c->n_user);
}

void gha_request_free(struct gha_request *req)
{
	free(req->response_file);
	free(req->job);
	if (req->container) {
		free_container(req->container);
		free(req->container);
	}
	for (size_t i = 0; req->services && i < req->n_services; i++)
		free_container(&req->services[i]);
	free(req->services);
	struct gha_script *s = &req->script;
	free(s->entry_point);
	free(s->working_dir);
	free_strings(s->entry_point_args, s->n_entry_point_args);
	free_env(s->env, s->n_env);
	free_strings(s->prepend_path, s->n_prepend_path);
	free_container(&req->step);
	memset(req, 0, sizeof *req);
}

/* Words */

int gha_split_words(const char *s, char ***out, size_t *n)
{
	size_t cap = 8, len = strlen(s);
	char **v = calloc(cap, sizeof *v);
	char *word = malloc(len + 1);
	*out = NULL;
	*n = 0;
	if (!v || !word) {
		free(v);
		free(word);
		return -ENOMEM;
	}
	size_t count = 0, w = 0;
	bool in_word = false;
	int r = 0;
	for (const char *c = s; *c && r == 0; c++) {
		if (*c == ' ' || *c == '\t' || *c == '\n') {
			if (in_word) {
				word[w] = '\0';
				if (count + 2 > cap) {
					char **g = realloc(v, (cap *= 2) * sizeof *v);
					if (!g) {
						r = -ENOMEM;
						break;
					}
					v = g;
				}
				if (!(v[count++] = strdup(word)))
					r = -ENOMEM;
				v[count] = NULL;
				w = 0;
				in_word = false;
			}
			continue;
		}
		in_word = true;
		if (*c == '\'') {
			const char *q = strchr(c + 1, '\'');
			if (!q) {
				r = -EINVAL;
				break;
			}
			memcpy(word + w, c + 1, (size_t)(q - c - 1));
			w += (size_t)(q - c - 1);
			c = q;
		} else if (*c == '"') {
			for (c++; *c && *c != '"'; c++) {
				/* Inside double quotes a backslash escapes only these. */
				if (*c == '\\' && c[1] && strchr("\\\"$`", c[1]))
					c++;
				word[w++] = *c;
			}
			if (!*c) {
				r = -EINVAL;
				break;
			}
		} else if (*c == '\\') {
			if (!c[1]) {
				r = -EINVAL;
				break;
			}
			word[w++] = *++c;
		} else {
			word[w++] = *c;
		}
	}
	if (r == 0 && in_word) {
		word[w] = '\0';
		if (count + 2 > cap) {
			char **g = realloc(v, (cap + 2) * sizeof *v);
			if (g)
				v = g;
			else
				r = -ENOMEM;
		}
		if (r == 0 && !(v[count++] = strdup(word)))
			r = -ENOMEM;
		if (r == 0)
			v[count] = NULL;
	}
	free(word);
	if (r < 0) {
		for (size_t i = 0; i < count; i++)
			free(v[i]);
		free(v);
		return r;
	}
	*out = v;
	*n = count;
	return 0;
}

void gha_words_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

/* The job's environment. Nothing of the host's passes unless asked for:
 * CI hosts keep tokens in their environment. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brig/run/env.h"
#include "brig/lib/util.h"

struct envv {
	char **v;
	size_t n;
};

static size_t name_len(const char *kv)
{
	const char *eq = strchr(kv, '=');
	return eq ? (size_t)(eq - kv) : strlen(kv);
}

/* Takes ownership of kv; replaces an entry of the same name. */
static int put(struct envv *e, char *kv)
{
	if (!kv)
		return -ENOMEM;
	size_t len = name_len(kv);
	for (size_t i = 0; i < e->n; i++)
		if (name_len(e->v[i]) == len && strncmp(e->v[i], kv, len) == 0) {
			free(e->v[i]);
			e->v[i] = kv;
			return 0;
		}
	char **grown = realloc(e->v, (e->n + 2) * sizeof *grown);
	if (!grown) {
		free(kv);
		return -ENOMEM;
	}
	e->v = grown;
	e->v[e->n++] = kv;
	e->v[e->n] = NULL;
	return 0;
}

static int put_pair(struct envv *e, const char *k, const char *v)
{
	char *kv = NULL;
	if (asprintf(&kv, "%s=%s", k, v) < 0)
		return -ENOMEM;
	return put(e, kv);
}

const char *env_get(char *const *env, const char *name)
{
	size_t len = strlen(name);
	for (; env && *env; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

int env_build(const struct brig_config *c, char *const *host, const char *home, char ***out)
{
	static const char *const from_host[] = { "TERM", "LANG" };
	struct envv e = { 0 };
	int r = 0;

	if ((r = put_pair(&e, "PATH", ENV_DEFAULT_PATH)) < 0 || (r = put_pair(&e, "HOME", home)) < 0)
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(from_host); i++) {
		const char *v = env_get(host, from_host[i]);
		if (v && (r = put_pair(&e, from_host[i], v)) < 0)
			goto fail;
	}
	if (!env_get(e.v, "LANG") && (r = put_pair(&e, "LANG", "C.UTF-8")) < 0)
		goto fail;
	for (char *const *h = host; c->n_env_pass && h && *h; h++) {
		char name[256];
		size_t len = name_len(*h);
		if (len == 0 || len >= sizeof name || !strchr(*h, '='))
			continue;
		memcpy(name, *h, len);
		name[len] = '\0';
		if (config_env_passes(c, name) && (r = put(&e, strdup(*h))) < 0)
			goto fail;
	}
	for (size_t i = 0; i < c->n_env_set; i++)
		if ((r = put(&e, strdup(c->env_set[i]))) < 0)
			goto fail;
	*out = e.v;
	return 0;
fail:
	env_free(e.v);
	return r;
}

void env_free(char **env)
{
	for (char **p = env; p && *p; p++)
		free(*p);
	free(env);
}

/* The setters and formatters of the root file system and cache options,
 * for the option table in cli_options.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brig/cli/cli_rootfs.h"
#include "brig/lib/util.h"

#define CACHE_KEY_MAX 128

static const char *const mode_names[] = {
	[ROOTFS_MODE_DEFAULT] = NULL, [ROOTFS_RO] = "ro", [ROOTFS_OVERLAY] = "overlay", [ROOTFS_RW] = "rw",
};

int cli_set_rootfs_mode(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected ro, overlay or rw";
	for (size_t m = 0; m < ARRAY_SIZE(mode_names); m++)
		if (mode_names[m] && strcmp(a, mode_names[m]) == 0) {
			c->rootfs_mode = (enum rootfs_mode)m;
			return 0;
		}
	return -EINVAL;
}

int cli_show_rootfs_mode(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	const char *n = mode_names[c->rootfs_mode];
	return n && !(*out = strdup(n)) ? -ENOMEM : 0;
}

int cli_set_overlay_size(struct brig_config *c, const char *a, const char **why)
{
	uint64_t v;
	*why = "expected a size of at least 1M, such as 256M or 8G";
	if (parse_size(a, &v) < 0 || v < (1u << 20))
		return -EINVAL;
	c->overlay_size = v;
	return 0;
}

int cli_show_overlay_size(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	if (!c->overlay_size)
		return 0;
	return asprintf(out, "%llu", (unsigned long long)c->overlay_size) < 0 ? -ENOMEM : 0;
}

static int set_dir(char **slot, const char *a, const char **why)
{
	char *p = NULL;
	*why = "expected an absolute path";
	if (path_normalise(a, &p) < 0)
		return -EINVAL;
	free(*slot);
	*slot = p;
	return 0;
}

static int show_dir(const char *v, char **out)
{
	*out = NULL;
	return v && !(*out = strdup(v)) ? -ENOMEM : 0;
}

int cli_set_overlay_dir(struct brig_config *c, const char *a, const char **why) { return set_dir(&c->overlay_dir, a, why); }
int cli_show_overlay_dir(const struct brig_config *c, size_t i, char **out) { (void)i; return show_dir(c->overlay_dir, out); }
int cli_set_overlay_upper(struct brig_config *c, const char *a, const char **why) { return set_dir(&c->overlay_upper, a, why); }
int cli_show_overlay_upper(const struct brig_config *c, size_t i, char **out) { (void)i; return show_dir(c->overlay_upper, out); }
int cli_set_cache_dir(struct brig_config *c, const char *a, const char **why) { return set_dir(&c->cache_dir, a, why); }
int cli_show_cache_dir(const struct brig_config *c, size_t i, char **out) { (void)i; return show_dir(c->cache_dir, out); }

int cli_cache_dir_name(const char *key, char **out)
{
	size_t len = strlen(key);
	*out = NULL;
	if (len == 0 || len > CACHE_KEY_MAX)
		return -EINVAL;
	char *name = malloc(3 * len + 1), *p = name;
	if (!name)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)key[i];
		bool plain = isalnum(ch) || ch == '_' || ch == '-' || (ch == '.' && i > 0);
		if (plain && ch < 0x80)
			*p++ = (char)ch;
		else
			p += sprintf(p, "%%%02X", ch);
	}
	*p = '\0';
	*out = name;
	return 0;
}

/* "KEY DST" (a profile line) or "KEY:DST" (handier on a command line):
 * the key ends at the first blank, else at the last ':' before a '/'. */
int cli_set_cache(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected KEY DST: a cache name of at most 128 bytes, then an absolute path";
	size_t klen = strcspn(a, " \t");
	const char *dst = a + klen;
	if (!*dst) {
		const char *colon = strstr(a, ":/");
		if (!colon)
			return -EINVAL;
		klen = (size_t)(colon - a);
		dst = colon + 1;
	}
	while (*dst == ' ' || *dst == '\t')
		dst++;
	if (klen == 0 || klen > CACHE_KEY_MAX)
		return -EINVAL;
	struct brig_cache k = { 0 };
	int r = -ENOMEM;
	if (!(k.key = strndup(a, klen)))
		goto fail;
	for (const char *p = k.key; *p; p++)
		if (iscntrl((unsigned char)*p)) {
			r = -EINVAL;
			goto fail;
		}
	if ((r = cli_cache_dir_name(k.key, &k.dir)) < 0 || (r = path_normalise(dst, &k.dst)) < 0)
		goto fail;
	r = -E2BIG;
	if (c->n_caches >= CONFIG_LIST_MAX)
		goto fail;
	struct brig_cache *grown = realloc(c->caches, (c->n_caches + 1) * sizeof *grown);
	r = -ENOMEM;
	if (!grown)
		goto fail;
	c->caches = grown;
	c->caches[c->n_caches++] = k;
	return 0;
fail:
	free(k.key);
	free(k.dir);
	free(k.dst);
	return r == -ENOMEM || r == -E2BIG ? r : -EINVAL;
}

int cli_show_cache(const struct brig_config *c, size_t i, char **out)
{
	*out = NULL;
	if (i >= c->n_caches)
		return 0;
	return asprintf(out, "%s %s", c->caches[i].key, c->caches[i].dst) < 0 ? -ENOMEM : 0;
}

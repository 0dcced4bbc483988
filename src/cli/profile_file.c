/* Profile files: where a NAME is found, reading one safely whatever it is,
 * and what counts as profile text. No knowledge of directives here. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/cli/profile.h"
#include "brig/lib/checkout.h"
#include "brig/lib/util.h"

#ifndef BRIG_DATADIR
#define BRIG_DATADIR "/usr/local/share/brig"
#endif

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

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

int profile_find(const char *name, char **path)
{
	*path = NULL;
	if (strchr(name, '/')) {
		struct stat st;
		if (stat(name, &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		return (*path = strdup(name)) ? 0 : -ENOMEM;
	}
	/* $BRIG_PROFILE_PATH is a colon-separated list, like $PATH. */
	const char *env = getenv("BRIG_PROFILE_PATH");
	_cleanup_free_ char *list = strdup(env ? env : "");
	char *save = NULL;
	for (char *d = strtok_r(list, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if ((*path = try_dir(d, name)))
			return 0;
	}
	/* A brig in its build tree: the checkout's profiles, which match it. */
	if ((*path = try_dir(checkout_profiles_dir(), name)) || (*path = try_dir(PROFILE_SYSTEM_DIR, name)) ||
	    (*path = try_dir(BRIG_DATADIR "/profiles", name)))
		return 0;
	return -ENOENT;
}

char *profile_find_site(const char *const *dirs, size_t n, const char *name)
{
	_cleanup_free_ char *file = NULL;
	if (asprintf(&file, "%s.inc", name) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char *p = try_dir(dirs[i], file);
		if (p)
			return p;
	}
	errno = ENOENT;
	return NULL;
}

const char *profile_site_file_problem(const struct stat *st, uid_t caller)
{
	if (st->st_uid != 0 && st->st_uid != caller)
		return "owned by another user than root or the one running brig";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

static const struct {
	const char *name;
	const char *hint;
} site_hints[] = {
	{ "forge", "the forge's name, e.g. `egress-allow-host git.example.com:443/tcp` (for GitLab, "
		   "`brig gitlab config` writes it from the runner's config.toml)" },
};

const char *profile_site_hint(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(site_hints); i++)
		if (strcmp(site_hints[i].name, name) == 0)
			return site_hints[i].hint;
	return "the directives this site adds (see profiles/README.md, Site fragments)";
}

/* Reads a regular file of at most PROFILE_MAX_FILE bytes. O_NONBLOCK: a
 * FIFO in place of a profile must not hang brig. */
int profile_read_file(const char *path, struct stat *st, char **out, size_t *len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		return -errno;
	if (S_ISDIR(st->st_mode))
		return -EISDIR;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (st->st_size > PROFILE_MAX_FILE)
		return -EFBIG;
	/* One byte more than fstat said, to notice a file that grows. */
	size_t want = (size_t)st->st_size + 1, n = 0;
	_cleanup_free_ char *buf = malloc(want + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t got = read(fd, buf + n, want - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == want) /* grew since fstat: being written right now */
			return -EAGAIN;
	}
	buf[n] = '\0';
	*out = TAKE_PTR(buf);
	*len = n;
	return 0;
}

const char *profile_read_error(int r)
{
	switch (r) {
	case -EISDIR: return "is a directory, not a profile";
	case -EINVAL: return "not a regular file";
	case -EFBIG: return "larger than " STRINGIFY(PROFILE_MAX_FILE) " bytes";
	case -ENOENT: return "no such file";
	case -EAGAIN: return "changed while being read";
	}
	return strerror(-r);
}

/* Characters that make a line read differently from what it does: bidi
 * overrides and isolates (the "trojan source" trick). */
static bool is_bidi_control(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

const char *profile_text_problem(const char *text, size_t n, size_t *at)
{
	const unsigned char *s = (const unsigned char *)text;
	for (size_t i = 0; i < n;) {
		*at = i;
		if (s[i] < 0x80) {
			if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
				return "control character";
			i++;
			continue;
		}
		size_t len = s[i] >= 0xf0 ? 4 : s[i] >= 0xe0 ? 3 : 2;
		static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
		uint32_t cp = s[i] & (0x7f >> len);
		if (s[i] < 0xc2 || s[i] > 0xf4 || i + len > n)
			return "not valid UTF-8";
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return "not valid UTF-8";
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return "not valid UTF-8";
		if (cp < 0xa0)
			return "control character";
		if (is_bidi_control(cp))
			return "bidirectional control character";
		i += len;
	}
	return NULL;
}

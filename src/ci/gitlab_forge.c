/* site/forge.inc from the runner's config.toml. The file is the runner's
 * own (root's, the operator's), so this reads only the few lines it needs:
 * `url = "..."` and `clone_url = "..."` directly under a [[runners]]
 * header, as basic or literal strings. No TOML library is packaged for C;
 * anything this reader does not understand is skipped, never guessed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/ci/gitlab_forge.h"
#include "brig/cli/profile.h"
#include "brig/config/net_config.h"
#include "brig/lib/log.h"
#include "brig/lib/util.h"

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* The value of `key = "v"` or `key = 'v'` (a comment may follow), or NULL. */
static const char *string_value(char *line, const char *key)
{
	size_t k = strlen(key);
	if (strncmp(line, key, k) != 0)
		return NULL;
	char *p = trim(line + k);
	if (*p != '=')
		return NULL;
	p = trim(p + 1);
	char quote = *p;
	if (quote != '"' && quote != '\'')
		return NULL;
	char *end = strchr(p + 1, quote);
	if (!end || (quote == '"' && memchr(p + 1, '\\', (size_t)(end - p - 1))))
		return NULL;
	*end = '\0';
	return p + 1;
}

/* "https://user@host:port/path" -> "host:port/tcp"; 0, or -EINVAL. */
static int url_rule(const char *url, char *rule, size_t len)
{
	static const struct {
		const char *scheme;
		unsigned port;
	} schemes[] = { { "https://", 443 }, { "http://", 80 } };
	unsigned port = 0;
	for (size_t i = 0; i < ARRAY_SIZE(schemes) && !port; i++)
		if (strncmp(url, schemes[i].scheme, strlen(schemes[i].scheme)) == 0) {
			port = schemes[i].port;
			url += strlen(schemes[i].scheme);
		}
	if (!port)
		return -EINVAL;
	size_t auth = strcspn(url, "/?#");
	const char *at = memrchr(url, '@', auth);
	if (at) {
		auth -= (size_t)(at + 1 - url);
		url = at + 1;
	}
	char host[256];
	if (auth == 0 || auth >= sizeof host || url[0] == '[')
		return -EINVAL;
	memcpy(host, url, auth);
	host[auth] = '\0';
	char *colon = strchr(host, ':');
	if (colon) {
		uint64_t p;
		*colon = '\0';
		if (parse_u64(colon + 1, &p) < 0 || p == 0 || p > 65535)
			return -EINVAL;
		port = (unsigned)p;
	}
	for (char *c = host; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	if ((size_t)snprintf(rule, len, "%s:%u/tcp", host, port) >= len)
		return -EINVAL;
	/* A DNS name, as egress-allow-host takes it: an address is refused. */
	struct egress_host h;
	return net_parse_egress_host(rule, true, &h) < 0 ? -EINVAL : 0;
}

int gitlab_forge_rules(const char *toml, char rules[][300], size_t max, size_t *n)
{
	_cleanup_free_ char *text = strdup(toml);
	if (!text)
		return -ENOMEM;
	bool runners = false;
	*n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *t = trim(line);
		if (*t == '[') {
			runners = strncmp(t, "[[runners]]", 11) == 0 && (t[11] == '\0' || t[11] == '#' || t[11] == ' ');
			continue;
		}
		if (!runners)
			continue;
		const char *url = string_value(t, "url");
		if (!url)
			url = string_value(t, "clone_url");
		if (!url || !*url)
			continue;
		char rule[300];
		if (url_rule(url, rule, sizeof rule) < 0) {
			log_warn("gitlab config: %s: not the http(s) URL of a host name; write its rule into the site's "
				 "forge.inc by hand",
				 url);
			continue;
		}
		bool seen = false;
		for (size_t i = 0; i < *n && !seen; i++)
			seen = strcmp(rules[i], rule) == 0;
		if (seen)
			continue;
		if (*n == max)
			return -E2BIG;
		snprintf(rules[(*n)++], sizeof rules[0], "%s", rule);
	}
	return 0;
}

static int write_all(int fd, const char *s)
{
	for (size_t len = strlen(s); len;) {
		ssize_t w = write(fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

int gitlab_forge_write(const char *dir, const char *config, struct brig_err *e)
{
	char path[4096], tmp[4200];
	if ((size_t)snprintf(path, sizeof path, "%s/forge.inc", dir) >= sizeof path)
		return err_at(e, -ENAMETOOLONG, dir, NULL);
	if (access(path, F_OK) == 0)
		return 0;
	struct stat st;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = profile_read_file(config, &st, &text, &len);
	if (r < 0)
		return err_set(e, r, "gitlab config: cannot write %s: the runner's configuration %s: %s", path, config,
			       profile_read_error(r));
	char rules[GITLAB_FORGE_MAX][300];
	size_t n = 0;
	if ((r = gitlab_forge_rules(text, rules, GITLAB_FORGE_MAX, &n)) < 0)
		return err_set(e, r, "gitlab config: %s: more than %d forges", config, GITLAB_FORGE_MAX);
	if (n == 0)
		return err_set(e, -ENOENT,
			       "gitlab config: %s: no [[runners]] url naming a host: write %s yourself (egress-allow-host "
			       "HOST:443/tcp)",
			       config, path);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return err_at(e, -errno, dir, "cannot create");
	snprintf(tmp, sizeof tmp, "%s/.forge.inc.%d", dir, (int)getpid());
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return err_at(e, -errno, tmp, "cannot create");
	char head[4400];
	snprintf(head, sizeof head,
		 "# brig site fragment: the forge jobs of the gitlab profile may reach, by name.\n"
		 "# Written by `brig gitlab config` from %s; brig never rewrites it:\n"
		 "# edit it, or delete it to have it written anew.\n",
		 config);
	r = write_all(fd, head);
	for (size_t i = 0; i < n && r >= 0; i++) {
		char line[320];
		snprintf(line, sizeof line, "egress-allow-host %.299s\n", rules[i]);
		r = write_all(fd, line);
	}
	if (r >= 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	/* link, not rename: a file written meanwhile by the operator wins. */
	bool written = false;
	if (r >= 0 && link(tmp, path) == 0)
		written = true;
	else if (r >= 0 && errno != EEXIST)
		r = -errno;
	unlink(tmp);
	if (r < 0)
		return err_at(e, r, path, "cannot write");
	return written;
}

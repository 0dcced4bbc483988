#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "brig/config/dns.h"

static char *slurp(const char *path);

static bool is_loopback(const struct cidr *c)
{
	static const unsigned char v6_loopback[16] = { [15] = 1 };
	if (c->family == AF_INET)
		return c->addr[0] == 127;
	return memcmp(c->addr, v6_loopback, 16) == 0;
}

size_t dns_parse_resolv(const char *text, struct cidr *out, size_t max, size_t *n_loopback)
{
	size_t n = 0;
	*n_loopback = 0;
	for (const char *l = text; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n')) {
		char word[16], addr[64];
		int len = (int)strcspn(l, "\n");
		char line[256];
		snprintf(line, sizeof line, "%.*s", len < 255 ? len : 255, l);
		/* sscanf stops at the first blank: "nameserver ADDR # comment" */
		if (sscanf(line, " %15s %63s", word, addr) != 2 || strcmp(word, "nameserver") != 0)
			continue;
		/* A zone ("fe80::1%eth0") names a host link: useless inside. */
		struct cidr c;
		if (parse_cidr(addr, &c) < 0 || c.prefix != (c.family == AF_INET ? 32u : 128u))
			continue;
		if (is_loopback(&c)) {
			(*n_loopback)++;
			continue;
		}
		if (n < max)
			out[n++] = c;
	}
	return n;
}

char *dns_host_resolv_text(void)
{
	return slurp("/etc/resolv.conf");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = calloc(1, 65537);
	size_t len = buf ? fread(buf, 1, 65536, f) : 0;
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

int dns_host_resolvers(struct cidr *out, size_t max, size_t *n)
{
	/* systemd-resolved writes its upstreams here; a stub at 127.0.0.53
	 * stands in /etc/resolv.conf. */
	static const char *const files[] = { "/etc/resolv.conf", "/run/systemd/resolve/resolv.conf" };
	*n = 0;
	for (size_t i = 0; i < sizeof files / sizeof files[0] && *n == 0; i++) {
		_cleanup_free_ char *text = slurp(files[i]);
		size_t loopback = 0;
		if (!text)
			continue;
		*n = dns_parse_resolv(text, out, max, &loopback);
		if (*n == 0 && loopback == 0)
			break; /* no resolver at all: the other file would not know better */
	}
	return 0;
}

char *dns_format_resolv(const struct cidr *servers, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fputs("# brig: the resolvers this job may reach through its firewall\n", f);
	if (n == 0)
		fputs("# (the host has no resolver a job can reach)\n", f);
	for (size_t i = 0; i < n; i++) {
		char buf[64];
		format_cidr(&servers[i], buf, sizeof buf);
		buf[strcspn(buf, "/")] = '\0';
		fprintf(f, "nameserver %s\n", buf);
	}
	fputs("options edns0\n", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

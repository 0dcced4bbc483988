#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "brig/lib/util.h"

int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Splits "123abc" into the number and its suffix without strtoull, whose
 * acceptance of signs and leading blanks we do not want. */
static int split_number(const char *s, uint64_t *num, const char **suffix)
{
	size_t n = strspn(s, "0123456789");
	char buf[32];
	if (n == 0 || n >= sizeof buf)
		return n == 0 ? -EINVAL : -ERANGE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*suffix = s + n;
	return parse_u64(buf, num);
}

static int mul_checked(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b && a > UINT64_MAX / b)
		return -ERANGE;
	*out = a * b;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	static const struct { const char *suffix; uint64_t mult; } units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", 1ULL << 10 }, { "KiB", 1ULL << 10 }, { "KB", 1ULL << 10 },
		{ "M", 1ULL << 20 }, { "MiB", 1ULL << 20 }, { "MB", 1ULL << 20 },
		{ "G", 1ULL << 30 }, { "GiB", 1ULL << 30 }, { "GB", 1ULL << 30 },
		{ "T", 1ULL << 40 }, { "TiB", 1ULL << 40 }, { "TB", 1ULL << 40 },
	};
	uint64_t num;
	const char *suffix;
	int r = split_number(s ? s : "", &num, &suffix);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (strcmp(suffix, units[i].suffix) == 0)
			return mul_checked(num, units[i].mult, out);
	return -EINVAL;
}

int parse_duration(const char *s, uint64_t *out_ms)
{
	static const struct { const char *suffix; uint64_t ms; } units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
	};
	uint64_t num;
	const char *suffix;
	int r = split_number(s ? s : "", &num, &suffix);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (strcmp(suffix, units[i].suffix) == 0)
			return mul_checked(num, units[i].ms, out_ms);
	return -EINVAL;
}

int parse_id_pair(const char *s, uint32_t *a, uint32_t *b, bool allow_single)
{
	char buf[64];
	uint64_t x, y;
	if (!s || strlen(s) >= sizeof buf)
		return -EINVAL;
	strcpy(buf, s);
	char *colon = strchr(buf, ':');
	if (colon)
		*colon = '\0';
	else if (!allow_single)
		return -EINVAL;
	int r = parse_u64(buf, &x);
	if (r < 0)
		return r;
	if (colon) {
		r = parse_u64(colon + 1, &y);
		if (r < 0)
			return r;
	} else {
		y = x;
	}
	if (x > UINT32_MAX || y > UINT32_MAX)
		return -ERANGE;
	*a = (uint32_t)x;
	*b = (uint32_t)y;
	return 0;
}

int parse_src_dst(const char *s, char **src, char **dst)
{
	const char *colon = strchr(s, ':');
	char *a = colon ? strndup(s, (size_t)(colon - s)) : strdup(s);
	char *b = strdup(colon ? colon + 1 : s);
	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	if (!*a || !*b) {
		free(a);
		free(b);
		return -EINVAL;
	}
	*src = a;
	*dst = b;
	return 0;
}

int path_normalise(const char *in, char **out)
{
	if (!in || in[0] != '/')
		return -EINVAL;
	size_t len = strlen(in);
	char *res = malloc(len + 2);
	if (!res)
		return -ENOMEM;
	size_t n = 0;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *end = p + strcspn(p, "/");
		size_t clen = (size_t)(end - p);
		if (clen == 0)
			break;
		if (clen == 1 && p[0] == '.') {
			/* skip */
		} else if (clen == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && res[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else {
			res[n++] = '/';
			memcpy(res + n, p, clen);
			n += clen;
		}
		p = end;
	}
	if (n == 0)
		res[n++] = '/';
	res[n] = '\0';
	*out = res;
	return 0;
}

void format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;
	double v = (double)bytes;
	while (v >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (u == 0 || v == (double)(uint64_t)v)
		snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

bool env_name_matches(const char *pattern, const char *name)
{
	size_t plen = strlen(pattern);
	if (plen > 0 && pattern[plen - 1] == '*')
		return strncmp(pattern, name, plen - 1) == 0;
	return strcmp(pattern, name) == 0;
}

int parse_cidr(const char *s, struct cidr *out)
{
	char addr[64];
	struct cidr c = { 0 };
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t alen = !s ? 0 : slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof addr)
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	/* inet_pton is pure parsing: no leading zeros in a quad, no blanks. */
	if (inet_pton(AF_INET, addr, c.addr) == 1)
		c.family = AF_INET;
	else if (inet_pton(AF_INET6, addr, c.addr) == 1)
		c.family = AF_INET6;
	else
		return -EINVAL;
	unsigned bits = c.family == AF_INET ? 32 : 128;
	c.prefix = bits;
	if (slash) {
		const char *p = slash + 1;
		uint64_t v;
		if ((p[0] == '0' && p[1]) || parse_u64(p, &v) < 0)
			return -EINVAL;
		if (v > bits)
			return -ERANGE;
		c.prefix = (unsigned)v;
	}
	for (unsigned b = c.prefix; b < bits; b++)
		if (c.addr[b / 8] & (0x80 >> (b % 8)))
			return -EDOM;
	*out = c;
	return 0;
}

bool cidr_same_address(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

void format_cidr(const struct cidr *c, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	inet_ntop(c->family, c->addr, addr, sizeof addr);
	snprintf(buf, len, "%s/%u", addr, c->prefix);
}

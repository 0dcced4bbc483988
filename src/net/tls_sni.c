/* The server name of a ClientHello or an HTTP request (see
 * brig/net/tls_sni.h). No library parses a ClientHello without taking
 * over the connection, so this is by hand, with a cursor that cannot read
 * past its end. */
#include "brig/net/tls_sni.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

struct cur {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static uint32_t take(struct cur *c, size_t n)
{
	uint32_t v = 0;
	if (c->bad || c->left < n) {
		c->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v = v << 8 | c->p[i];
	c->p += n;
	c->left -= n;
	return v;
}

/* A sub-cursor over the next N bytes, which the parent skips. */
static struct cur sub(struct cur *c, size_t n)
{
	struct cur s = { .p = c->p, .left = n, .bad = c->bad || c->left < n };
	if (s.bad) {
		c->bad = true;
		s.left = 0;
		return s;
	}
	c->p += n;
	c->left -= n;
	return s;
}

/* Copies a host name, lower-cased, checking its alphabet and length. */
static int copy_name(const uint8_t *s, size_t n, char *out, size_t out_len)
{
	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253 || n >= out_len)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		char ch = (char)s[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return -EBADMSG;
		if (ch == '.' && (i == 0 || out[i - 1] == '.'))
			return -EBADMSG;
		out[i] = ch;
	}
	out[n] = '\0';
	return 1;
}

/* The handshake bytes of consecutive handshake records, up to MAX. */
static int gather(const uint8_t *data, size_t len, uint8_t *hs, size_t max, size_t *hs_len)
{
	size_t at = 0;
	*hs_len = 0;
	while (at < len) {
		if (len - at < 5)
			return 0;
		/* handshake(22), TLS 1.x record version (the ClientHello's
		 * record may say 3.1 whatever it offers) */
		if (data[at] != 22 || data[at + 1] != 3 || data[at + 2] > 4)
			return -EBADMSG;
		size_t rlen = (size_t)data[at + 3] << 8 | data[at + 4];
		if (rlen == 0 || rlen > 16384)
			return -EBADMSG;
		if (len - at - 5 < rlen)
			rlen = len - at - 5; /* the rest is still coming */
		if (*hs_len + rlen > max)
			return -EBADMSG;
		memcpy(hs + *hs_len, data + at + 5, rlen);
		*hs_len += rlen;
		at += 5 + rlen;
		/* Enough once the handshake message is whole. */
		if (*hs_len >= 4 && *hs_len >= 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]))
			return 1;
	}
	return 0;
}

int tls_client_hello_sni(const uint8_t *data, size_t len, char *name, size_t name_len)
{
	uint8_t hs[SNI_PEEK_MAX];
	size_t hs_len;
	int r = gather(data, len, hs, sizeof hs, &hs_len);
	if (r <= 0)
		return r;
	struct cur c = { .p = hs, .left = hs_len };
	if (take(&c, 1) != 1) /* client_hello */
		return -EBADMSG;
	size_t body_len = take(&c, 3);
	struct cur b = sub(&c, body_len);
	if (take(&b, 1) != 3) /* legacy_version 3.x */
		return -EBADMSG;
	take(&b, 1);
	sub(&b, 32); /* random */
	size_t sid = take(&b, 1);
	if (sid > 32)
		return -EBADMSG;
	sub(&b, sid);
	size_t suites = take(&b, 2);
	if (suites < 2 || suites % 2)
		return -EBADMSG;
	sub(&b, suites);
	size_t comp = take(&b, 1);
	if (comp < 1)
		return -EBADMSG;
	sub(&b, comp);
	if (b.bad)
		return -EBADMSG;
	if (b.left == 0)
		return -ENOENT; /* no extensions at all */
	struct cur exts = sub(&b, take(&b, 2));
	if (b.bad || b.left != 0)
		return -EBADMSG;
	int found = -ENOENT;
	while (exts.left && !exts.bad) {
		uint32_t type = take(&exts, 2);
		struct cur e = sub(&exts, take(&exts, 2));
		if (exts.bad)
			return -EBADMSG;
		if (type != 0) /* server_name */
			continue;
		if (found != -ENOENT)
			return -EBADMSG; /* twice: which one would the server take? */
		struct cur list = sub(&e, take(&e, 2));
		if (e.bad || e.left)
			return -EBADMSG;
		int names = 0;
		while (list.left && !list.bad) {
			uint32_t kind = take(&list, 1);
			size_t n = take(&list, 2);
			struct cur v = sub(&list, n);
			if (list.bad)
				return -EBADMSG;
			if (kind != 0) /* host_name is the only kind there is */
				return -EBADMSG;
			if (names++)
				return -EBADMSG;
			found = copy_name(v.p, n, name, name_len);
			if (found < 0)
				return found;
		}
		if (list.bad || names == 0)
			return -EBADMSG;
	}
	return exts.bad ? -EBADMSG : found;
}

/* ---- HTTP/1 ---- */

static const char *find_crlf(const char *s, const char *end)
{
	for (const char *p = s; p + 1 < end; p++)
		if (p[0] == '\r' && p[1] == '\n')
			return p;
	return NULL;
}

int http_request_host(const uint8_t *data, size_t len, char *name, size_t name_len)
{
	const char *s = (const char *)data, *end = s + (len < SNI_PEEK_MAX ? len : SNI_PEEK_MAX);
	/* The request line: a token method, a space. */
	size_t m = 0;
	while (s + m < end && s[m] >= 'A' && s[m] <= 'Z')
		m++;
	if (s + m < end && (m == 0 || s[m] != ' '))
		return -EBADMSG;
	const char *line = find_crlf(s, end);
	if (!line)
		return len >= SNI_PEEK_MAX ? -EBADMSG : 0;
	int found = 0;
	for (const char *h = line + 2;;) {
		const char *eol = find_crlf(h, end);
		if (!eol)
			return len >= SNI_PEEK_MAX ? -EBADMSG : 0;
		if (eol == h)
			return found ? 1 : -EBADMSG; /* the headers' end: no Host is no name */
		if ((size_t)(eol - h) > 5 && strncasecmp(h, "host:", 5) == 0) {
			if (found)
				return -EBADMSG;
			const char *v = h + 5, *ve = eol;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			const char *colon = memchr(v, ':', (size_t)(ve - v));
			if (colon) {
				for (const char *d = colon + 1; d < ve; d++)
					if (*d < '0' || *d > '9')
						return -EBADMSG;
				ve = colon;
			}
			int r = copy_name((const uint8_t *)v, (size_t)(ve - v), name, name_len);
			if (r < 0)
				return r;
			found = 1;
		} else if (*h == ' ' || *h == '\t') {
			return -EBADMSG; /* folded lines hide what a server would read */
		}
		h = eol + 2;
	}
}

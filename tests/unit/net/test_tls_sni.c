/* The server name of a ClientHello and the Host of an HTTP request. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "brig/net/tls_sni.h"

/* A ClientHello as a TLS 1.3 client sends it: random, session id, two
 * suites, null compression, then the extensions given (already encoded). */
static size_t hello(uint8_t *out, const uint8_t *exts, size_t exts_len)
{
	uint8_t body[4096];
	size_t n = 0;
	body[n++] = 3, body[n++] = 3;
	memset(body + n, 0xab, 32), n += 32;
	body[n++] = 32, memset(body + n, 0xcd, 32), n += 32;
	body[n++] = 0, body[n++] = 4, body[n++] = 0x13, body[n++] = 0x01, body[n++] = 0x13, body[n++] = 0x02;
	body[n++] = 1, body[n++] = 0;
	body[n++] = (uint8_t)(exts_len >> 8), body[n++] = (uint8_t)exts_len;
	memcpy(body + n, exts, exts_len), n += exts_len;
	size_t hs = 4 + n, m = 0;
	out[m++] = 22, out[m++] = 3, out[m++] = 1, out[m++] = (uint8_t)(hs >> 8), out[m++] = (uint8_t)hs;
	out[m++] = 1, out[m++] = 0, out[m++] = (uint8_t)(n >> 8), out[m++] = (uint8_t)n;
	memcpy(out + m, body, n);
	return m + n;
}

static size_t sni_ext(uint8_t *out, const char *name)
{
	size_t l = strlen(name), m = 0;
	out[m++] = 0, out[m++] = 0;                                       /* server_name */
	out[m++] = (uint8_t)((l + 5) >> 8), out[m++] = (uint8_t)(l + 5); /* extension length */
	out[m++] = (uint8_t)((l + 3) >> 8), out[m++] = (uint8_t)(l + 3); /* list length */
	out[m++] = 0, out[m++] = (uint8_t)(l >> 8), out[m++] = (uint8_t)l;
	memcpy(out + m, name, l);
	return m + l;
}

static const uint8_t other_ext[] = { 0, 43, 0, 3, 2, 3, 4 }; /* supported_versions: TLS 1.3 */

Test(tls_sni, the_server_name_of_a_client_hello)
{
	uint8_t ext[600], msg[5000];
	char name[256];
	size_t e = 0;
	memcpy(ext, other_ext, sizeof other_ext), e += sizeof other_ext;
	e += sni_ext(ext + e, "Registry.NPMjs.org");
	size_t n = hello(msg, ext, e);
	cr_assert_eq(tls_client_hello_sni(msg, n, name, sizeof name), 1);
	cr_expect_str_eq(name, "registry.npmjs.org");
	/* Every shorter prefix wants more, none is taken for a whole hello. */
	for (size_t i = 0; i < n; i++)
		cr_expect_eq(tls_client_hello_sni(msg, i, name, sizeof name), 0, "prefix of %zu", i);
}

Test(tls_sni, a_hello_split_over_two_records)
{
	uint8_t ext[600], msg[5000], split[5100];
	char name[256];
	size_t n = hello(msg, ext, sni_ext(ext, "a.example.com"));
	size_t hs = n - 5, first = 20;
	/* record 1: the first 20 handshake bytes; record 2: the rest */
	size_t m = 0;
	split[m++] = 22, split[m++] = 3, split[m++] = 1, split[m++] = 0, split[m++] = (uint8_t)first;
	memcpy(split + m, msg + 5, first), m += first;
	split[m++] = 22, split[m++] = 3, split[m++] = 1, split[m++] = (uint8_t)((hs - first) >> 8),
	split[m++] = (uint8_t)(hs - first);
	memcpy(split + m, msg + 5 + first, hs - first), m += hs - first;
	cr_assert_eq(tls_client_hello_sni(split, m, name, sizeof name), 1);
	cr_expect_str_eq(name, "a.example.com");
}

Test(tls_sni, ambiguous_or_missing_names_are_refused)
{
	uint8_t ext[600], msg[5000];
	char name[256];
	size_t e = sni_ext(ext, "a.test");
	e += sni_ext(ext + e, "b.test");
	cr_expect_eq(tls_client_hello_sni(msg, hello(msg, ext, e), name, sizeof name), -EBADMSG, "two names");
	cr_expect_eq(tls_client_hello_sni(msg, hello(msg, other_ext, sizeof other_ext), name, sizeof name), -ENOENT);
	cr_expect_eq(tls_client_hello_sni(msg, hello(msg, ext, sni_ext(ext, "a\x01.test")), name, sizeof name), -EBADMSG);
	cr_expect_eq(tls_client_hello_sni(msg, hello(msg, ext, sni_ext(ext, "a..test")), name, sizeof name), -EBADMSG);
	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	cr_expect_eq(tls_client_hello_sni(http, sizeof http - 1, name, sizeof name), -EBADMSG);
	/* A length that runs past the extensions. */
	size_t n = hello(msg, ext, sni_ext(ext, "a.test"));
	msg[n - 8] = 0xff;
	cr_expect_eq(tls_client_hello_sni(msg, n, name, sizeof name), -EBADMSG);
}

static int host_of(const char *req, char *name)
{
	return http_request_host((const uint8_t *)req, strlen(req), name, 256);
}

Test(http_host, the_host_header)
{
	char name[256];
	cr_assert_eq(host_of("GET /x HTTP/1.1\r\nUser-Agent: t\r\nhost:  OK.test:8080 \r\n\r\n", name), 1);
	cr_expect_str_eq(name, "ok.test");
	cr_expect_eq(host_of("GET /x HTTP/1.1\r\nHost: ok.test\r\n", name), 0, "the headers are not over");
	cr_expect_eq(host_of("GET /x HT", name), 0);
	cr_expect_eq(host_of("GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n", name), -EBADMSG);
	cr_expect_eq(host_of("GET / HTTP/1.1\r\n\r\n", name), -EBADMSG);
	cr_expect_eq(host_of("GET / HTTP/1.1\r\nHost: a.test:80x\r\n\r\n", name), -EBADMSG);
	cr_expect_eq(host_of("\x16\x03\x01", name), -EBADMSG);
	cr_expect_eq(host_of("GET / HTTP/1.1\r\nX: y\r\n folded\r\nHost: a.test\r\n\r\n", name), -EBADMSG);
}

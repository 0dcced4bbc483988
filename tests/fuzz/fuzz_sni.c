/* libFuzzer target for the ClientHello and HTTP Host parsers
 * (src/net/tls_sni.c): hostile bytes from a job. Whatever the input, they
 * must stay within it, and a name they return must be a host name:
 * lower case letters, digits, '-', '_', '.', not empty. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brig/net/tls_sni.h"

static void check(int r, const char *name)
{
	if (r != 1)
		return;
	size_t n = strlen(name);
	if (n == 0 || n > 253 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	/* A copy of exactly LEN bytes, so that ASan sees any read past it. */
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, len);
	char name[256];
	check(tls_client_hello_sni(copy, len, name, sizeof name), name);
	check(http_request_host(copy, len, name, sizeof name), name);
	/* Every prefix of a valid beginning is asked again as more arrives. */
	if (len > 5) {
		check(tls_client_hello_sni(copy, len / 2, name, sizeof name), name);
		check(http_request_host(copy, len / 2, name, sizeof name), name);
	}
	free(copy);
	return 0;
}

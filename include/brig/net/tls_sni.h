/* The name a TCP client asks for in its first bytes: the server name of a
 * TLS ClientHello (SNI), or the Host header of an HTTP/1 request. Pure
 * parsers of hostile input (the job writes it), fuzzed by
 * tests/fuzz/fuzz_sni.c: they read only within LEN and never allocate.
 *
 * Each returns 1 with the name (lower case, no final dot, no port) in
 * NAME, 0 when DATA is a valid beginning that needs more bytes, and
 * -EBADMSG when it is not what it should be or is ambiguous (two server
 * names, two Host headers, a name outside the host name alphabet), or
 * -ENOENT for a ClientHello without a server name. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* The most a client may send before its name is known. */
#define SNI_PEEK_MAX 16384

int tls_client_hello_sni(const uint8_t *data, size_t len, char *name, size_t name_len);
int http_request_host(const uint8_t *data, size_t len, char *name, size_t name_len);

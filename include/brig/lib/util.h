/* Pure helpers: parsing and small string work. No syscalls, no logging. */
#pragma once
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

/* Milliseconds on the monotonic clock: deadlines and timeouts. */
static inline long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

#define TAKE_PTR(p) ({ __typeof__(p) _t = (p); (p) = NULL; _t; })
#define TAKE_FD(fd) ({ int _t = (fd); (fd) = -1; _t; })
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Unsigned decimal with no sign, no trailing garbage, no overflow. */
int parse_u64(const char *s, uint64_t *out);
/* 512, 64K, 4M, 2G, 1T (binary multiples; a trailing "B"/"iB" is allowed). */
int parse_size(const char *s, uint64_t *out);
/* 1500ms, 30s, 5m, 2h; a bare number is seconds. Result in milliseconds. */
int parse_duration(const char *s, uint64_t *out_ms);
/* "A:B" with both halves parse_u64 and fitting in 32 bits; B optional when
 * allow_single (then *b = *a). */
int parse_id_pair(const char *s, uint32_t *a, uint32_t *b, bool allow_single);
/* "SRC[:DST]"; DST defaults to SRC. Both returned freshly allocated. */
int parse_src_dst(const char *s, char **src, char **dst);
/* Absolute, normalised: no "//", ".", ".." components, no trailing slash. */
int path_normalise(const char *in, char **out);
/* Human-readable size, "512 MiB". */
void format_size(uint64_t bytes, char *buf, size_t len);
/* A shell-style glob of one trailing '*' only: "PREFIX_*" or an exact name. */
bool env_name_matches(const char *pattern, const char *name);

/* An IPv4 or IPv6 network. */
struct cidr {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network byte order; IPv4 uses the first 4 */
	unsigned prefix;         /* 0..32 or 0..128 */
};
/* "ADDRESS[/PREFIX]", strictly: a dotted quad without leading zeros, or
 * any RFC 4291 IPv6 text form ("::", "2001:db8::/32", "::ffff:1.2.3.4");
 * PREFIX decimal without sign or leading zeros; no blanks, no zone, nothing
 * after. Without PREFIX the address is one host (/32, /128). -EINVAL for
 * the syntax, -ERANGE for a prefix longer than the address, -EDOM when the
 * address has bits set beyond the prefix (10.1.0.0/8: say 10.0.0.0/8). */
int parse_cidr(const char *s, struct cidr *out);
/* The inverse of parse_cidr; at least 44 bytes for any value. */
void format_cidr(const struct cidr *c, char *buf, size_t len);
/* The same family and the same address bytes (4 or 16); the prefix is
 * not compared. */
bool cidr_same_address(const struct cidr *a, const struct cidr *b);

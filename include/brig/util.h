/* Pure helpers: parsing and small string work. No syscalls, no logging. */
#pragma once
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

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

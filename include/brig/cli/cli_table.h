/* What the option modules (cli_options.c and the cli_*.c it gathers)
 * share: growing a list and writing a formatter's result. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Appends el (size bytes) to the array *arrp of *n; -E2BIG past
 * CONFIG_LIST_MAX entries. */
int cli_push(void *arrp, size_t *n, size_t size, const void *el);
/* *out: a copy of v, or NULL for NULL (the option is not set). */
int cli_out_str(const char *v, char **out);
__attribute__((format(printf, 2, 3))) int cli_out_fmt(char **out, const char *fmt, ...);
/* v in the largest unit that divides it exactly (suffix[u] for unit[u]),
 * so nothing is rounded. */
int cli_show_exact(uint64_t v, const char *const *suffix, const uint64_t *unit, size_t n, char **out);

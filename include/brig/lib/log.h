/* One-line diagnostics on stderr, always prefixed "brig: ". */
#pragma once
#include <stdbool.h>

extern bool brig_log_quiet;

__attribute__((format(printf, 1, 2))) void log_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void log_warn(const char *fmt, ...);

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "brig/lib/log.h"

bool brig_log_quiet = false;

/* The whole line goes out in one write so concurrent jobs sharing a log
 * never interleave halves of messages. */
static void vlog(const char *fmt, va_list ap)
{
	char line[1024];
	int n = snprintf(line, sizeof line, "brig: ");
	n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	fwrite(line, 1, (size_t)n, stderr);
	fflush(stderr);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	if (brig_log_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

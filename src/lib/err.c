/* The error type of brig/lib/err.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "brig/lib/err.h"
#include "brig/lib/log.h"

int err_set(struct brig_err *e, int code, const char *fmt, ...)
{
	if (!e)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}

int err_at(struct brig_err *e, int code, const char *what, const char *detail)
{
	return err_set(e, code, "%s: %s%s%s", what, detail ? detail : "", detail ? ": " : "", strerror(-code));
}

const char *err_message(const struct brig_err *e)
{
	if (e->msg[0])
		return e->msg;
	return e->code ? strerror(-e->code) : "unknown error";
}

void err_log(const struct brig_err *e)
{
	log_error("%s", err_message(e));
}

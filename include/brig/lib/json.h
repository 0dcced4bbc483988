/* brig's one JSON writer, over json-c: the status events (one object per
 * line), the probe's and the drivers' reports (pretty). */
#pragma once
#include <json-c/json.h>
#include <stdio.h>

static inline void json_putp(json_object **o)
{
	json_object_put(*o);
}
#define _cleanup_json_ __attribute__((cleanup(json_putp)))

/* The object on one line, newline-terminated, malloc'ed; NULL on failure. */
char *json_line(json_object *o);
/* The object indented, and a newline, on f. -errno. */
int json_print_pretty(json_object *o, FILE *f);
/* A decimal number printed with three places: milliseconds to the
 * microsecond, as fine as brig's clocks honestly are. */
json_object *json_decimal(double v);

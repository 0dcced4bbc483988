/* The JSON writer of brig/lib/json.h. */
#include <errno.h>
#include <stdio.h>

#include "brig/lib/json.h"

#define FLAGS JSON_C_TO_STRING_NOSLASHESCAPE

char *json_line(json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | FLAGS);
	char *line = NULL;
	if (!s || asprintf(&line, "%s\n", s) < 0)
		return NULL;
	return line;
}

int json_print_pretty(json_object *o, FILE *f)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | FLAGS);
	if (!s)
		return -ENOMEM;
	return fprintf(f, "%s\n", s) < 0 || fflush(f) != 0 ? -errno : 0;
}

json_object *json_decimal(double v)
{
	/* Printed as such rather than as the nearest binary fraction. */
	char s[32];
	snprintf(s, sizeof s, "%.3f", v);
	return json_object_new_double_s(v, s);
}

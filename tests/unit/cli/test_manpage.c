/* brig(1) and `brig run --help` come from different files; this keeps them
 * describing the same options. Run from the top of the checkout. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brig/cli/cli.h"

#define MANPAGE "docs/brig.1.scd"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f, "cannot open %s (run the suite from the checkout's top)", path);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, out);
	fclose(f);
	fclose(out);
	return buf;
}

static bool in_table(const char *name, size_t len)
{
	for (size_t i = 0; i < cli_run_options_count; i++)
		if (strlen(cli_run_options[i].name) == len && strncmp(cli_run_options[i].name, name, len) == 0)
			return true;
	return len == 4 && strncmp(name, "help", 4) == 0;
}

Test(manpage, documents_every_run_option)
{
	char *page = slurp(MANPAGE);
	for (size_t i = 0; i < cli_run_options_count; i++) {
		char needle[96];
		snprintf(needle, sizeof needle, "*--%s*", cli_run_options[i].name);
		cr_expect_not_null(strstr(page, needle), "%s does not document --%s", MANPAGE, cli_run_options[i].name);
	}
	free(page);
}

Test(manpage, documents_no_option_that_does_not_exist)
{
	char *page = slurp(MANPAGE);
	size_t seen = 0;
	for (const char *p = strstr(page, "*--"); p; p = strstr(p + 1, "*--")) {
		const char *name = p + 3;
		size_t len = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-");
		cr_expect(in_table(name, len), "%s documents --%.*s, which brig run does not have", MANPAGE, (int)len,
			  name);
		seen++;
	}
	cr_assert_geq(seen, cli_run_options_count, "expected the man page to name every option as *--NAME*");
	free(page);
}

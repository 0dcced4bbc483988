/* libFuzzer target for the GitHub hook's request parser: whatever the
 * bytes, gha_input_parse either fills a request whose every string is
 * NUL-free and whose lists are bounded, or refuses with a message; the
 * word splitter is run on every argument list it accepts. Any crash,
 * leak or sanitizer report is a bug. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brig/ci/gha_input.h"

static void split(char *const *args, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(args[i]) + 1;
	char *joined = calloc(1, len);
	if (!joined)
		return;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(joined, " ");
		strcat(joined, args[i]);
	}
	char **words = NULL;
	size_t count = 0;
	if (gha_split_words(joined, &words, &count) == 0) {
		for (size_t i = 0; i < count; i++)
			if (!words[i])
				abort();
		if (words[count])
			abort();
	}
	gha_words_free(words);
	free(joined);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gha_request req;
	struct brig_err e = BRIG_ERR_INIT;
	if (gha_input_parse((const char *)data, size, &req, &e) < 0) {
		if (!e.msg[0] || e.code >= 0)
			abort(); /* every refusal says why */
		return 0;
	}
	if (req.n_services > GHA_LIST_MAX || req.script.n_env > GHA_LIST_MAX)
		abort();
	split(req.script.entry_point_args, req.script.n_entry_point_args);
	split(req.step.entry_point_args, req.step.n_entry_point_args);
	if (req.container) {
		split(req.container->entry_point_args, req.container->n_entry_point_args);
		if (req.container->create_options) {
			char *opts[] = { req.container->create_options };
			split(opts, 1);
		}
	}
	gha_request_free(&req);
	return 0;
}

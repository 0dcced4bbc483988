/* The option table of `brig run`: one entry per option, shared by
 * getopt_long, --help and (later) the profile reader. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/config.h"

struct cli_option {
	const char *name;
	const char *metavar; /* NULL: the option takes no argument */
	const char *help;
	int short_name; /* 0 for none */
	bool early;     /* applied in a first pass, before every other option */
	/* Stores the argument in the config; returns -errno and may set *why
	 * to a static explanation of what was expected. */
	int (*set)(struct brig_config *c, const char *arg, const char **why);
};

extern const struct cli_option cli_run_options[];
extern const size_t cli_run_options_count;

/* Parses `brig run` arguments (argv[0] is "run"). Returns 0 and fills c,
 * 1 when --help was printed, or -errno after logging one line. */
int cli_parse_run(int argc, char **argv, struct brig_config *c);
void cli_print_run_help(void);

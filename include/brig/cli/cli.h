/* The option table of `brig run`: one entry per option, shared by
 * getopt_long, --help, the profile reader and `brig profile show`. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/config/config.h"

struct cli_option {
	const char *name;
	const char *metavar; /* NULL: the option takes no argument */
	const char *help;
	int short_name; /* 0 for none */
	bool early;     /* applied in a first pass, before every other option */
	/* CONFIG_SCALAR: given once (in a profile; on the command line the
	 * last one wins). Otherwise repeatable: each use appends one element
	 * to that list of the config. */
	enum config_list list;
	/* Stores the argument in the config; returns -errno and may set *why
	 * to a static explanation of what was expected. */
	int (*set)(struct brig_config *c, const char *arg, const char **why);
	/* The inverse of set: the current value as a directive argument ("" for
	 * a flag that is on), malloc'ed in *out, or NULL when at the default.
	 * For a repeatable option, element i of its list (NULL when that
	 * element belongs to another option of the same list). -errno. */
	int (*show)(const struct brig_config *c, size_t i, char **out);
	const char *dflt; /* what applies when the option is not given */
};

extern const struct cli_option cli_run_options[];
extern const size_t cli_run_options_count;

/* Directives of features this version does not have yet: rejected with
 * their own message, never ignored. The list shrinks as they land. */
struct cli_planned {
	const char *name;
	const char *feature;
};
extern const struct cli_planned cli_planned_options[];
extern const size_t cli_planned_count;

const struct cli_option *cli_find(const char *name);
const struct cli_planned *cli_find_planned(const char *name);
/* The known name (option, planned option or `include`) closest to name
 * by edit distance, or NULL when nothing is close enough. */
const char *cli_suggest(const char *name);

/* Applies one option from file:line (file NULL: the command line) and
 * records where it came from. */
int cli_apply(const struct cli_option *o, struct brig_config *c, const char *arg, const char *file, unsigned line,
	      unsigned load, const char **why);

/* Parses `brig run` arguments (argv[0] is "run"). Returns 0 and fills c,
 * 1 when --help was printed, or -errno after logging one line. */
int cli_parse_run(int argc, char **argv, struct brig_config *c);
void cli_print_run_help(void);

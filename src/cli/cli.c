/* `brig run`'s command line: getopt_long over the option table (in
 * cli_options.c), with --profile applied first, plus the lookups and
 * suggestions the profile reader shares. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brig/cli/cli.h"
#include "brig/lib/log.h"
#include "brig/cli/profile.h"
#include "brig/lib/util.h"

const struct cli_option *cli_find(const char *name)
{
	for (size_t i = 0; i < cli_run_options_count; i++)
		if (strcmp(cli_run_options[i].name, name) == 0)
			return &cli_run_options[i];
	return NULL;
}

const struct cli_planned *cli_find_planned(const char *name)
{
	for (size_t i = 0; i < cli_planned_count; i++)
		if (strcmp(cli_planned_options[i].name, name) == 0)
			return &cli_planned_options[i];
	return NULL;
}

#define SUGGEST_MAX 64
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* Optimal string alignment distance: insertions, deletions, substitutions
 * and swaps of neighbours cost one each; case differences are free. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + cost;
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

static void consider(const char *name, const char *candidate, const char **best, size_t *best_d)
{
	size_t la = strlen(name), lb = strlen(candidate);
	if ((la > lb ? la - lb : lb - la) >= *best_d) /* the distance is at least that */
		return;
	size_t d = edit_distance(name, candidate);
	if (d < *best_d) {
		*best = candidate;
		*best_d = d;
	}
}

const char *cli_suggest(const char *name)
{
	/* A flag pasted from a command line ("--hostname") is the directive. */
	while (*name == '-')
		name++;
	size_t len = strlen(name);
	if (len == 0 || len > SUGGEST_MAX)
		return NULL;
	const char *best = NULL;
	size_t best_d = 2 + len / 4; /* suggest only up to 1 + len/4 edits away */
	for (size_t i = 0; i < cli_run_options_count; i++)
		if (!cli_run_options[i].early)
			consider(name, cli_run_options[i].name, &best, &best_d);
	for (size_t i = 0; i < cli_planned_count; i++)
		consider(name, cli_planned_options[i].name, &best, &best_d);
	consider(name, "include", &best, &best_d);
	return best;
}

int cli_apply(const struct cli_option *o, struct brig_config *c, const char *arg, const char *file, unsigned line,
	      unsigned load, const char **why)
{
	*why = "invalid value";
	int r = o->set(c, arg, why);
	if (r == -ENOMEM)
		*why = strerror(ENOMEM);
	else if (r == -E2BIG)
		*why = "given too many times (at most " STRINGIFY(CONFIG_LIST_MAX) ")";
	if (r < 0 || o->early)
		return r;
	struct brig_origin origin = { .directive = o->name, .list = o->list, .file = (char *)file, .line = line,
				      .load = load };
	r = config_add_origin(c, &origin);
	if (r < 0)
		*why = strerror(ENOMEM);
	return r;
}

void cli_print_run_help(void)
{
	printf("Usage: brig run [OPTION...] [--] COMMAND [ARG...]\n"
	       "Run COMMAND as one job in a fresh sandbox.\n\n");
	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		char left[64];
		char shortopt[8] = "    ";
		if (o->short_name)
			snprintf(shortopt, sizeof shortopt, "-%c, ", o->short_name);
		snprintf(left, sizeof left, "%s--%s%s%s", shortopt, o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		printf("  %-30s %s\n", left, o->help);
	}
	printf("  %-30s %s\n", "-h, --help", "show this help and exit");
	printf("\nEvery option but --profile is also a profile directive of the same name.\n"
	       "\nExit status: the job's own; 128+N if it died of signal N; 124 on time-out;\n"
	       "125 if brig failed; 126/127 if COMMAND cannot run / is not found.\n");
}

enum { OPT_HELP = 1000 };

static const struct cli_option *option_of(int ch)
{
	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		if (ch == (o->short_name ? o->short_name : (int)(OPT_HELP + 1 + i)))
			return o;
	}
	return NULL;
}

/* Why getopt refused argv[optind - 1], in one line. */
static void log_bad_option(char **argv, const char *shortopts)
{
	const char *bad = argv[optind - 1];
	const struct cli_option *o = optopt ? option_of(optopt) : NULL;
	if (o && strncmp(bad, "--", 2) == 0 && strchr(bad, '=') && !o->metavar) {
		log_error("run: option --%s takes no argument (see brig run --help)", o->name);
	} else if (optopt && optopt < OPT_HELP) {
		log_error("run: option -%c %s (see brig run --help)", optopt,
			  strchr(shortopts, optopt) ? "needs an argument" : "is unknown");
	} else if (optopt >= OPT_HELP) {
		log_error("run: option %s needs an argument (see brig run --help)", bad);
	} else {
		char name[SUGGEST_MAX + 8];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(bad + 2, "="), bad + 2);
		const char *hint = cli_suggest(name);
		if (cli_find_planned(name))
			log_error("run: option --%s is not implemented by this version of brig", name);
		else if (hint)
			log_error("run: unknown option %s (did you mean --%s?)", bad, hint);
		else
			log_error("run: unknown option %s (see brig run --help)", bad);
	}
}

struct early {
	const char *workspace; /* the last --workspace, for ${WORKSPACE} */
};

/* One getopt_long walk over the command line. The first applies only the
 * early options (--profile), the second every other one, so a profile is
 * always overridden by the command line. Returns 1 after --help. */
static int parse_pass(int argc, char **argv, struct brig_config *c, const char *shortopts,
		      const struct option *longopts, struct early *early)
{
	optind = 0; /* glibc: start afresh, whatever getopt parsed before */
	opterr = 0;
	for (;;) {
		int ch = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (ch == -1)
			return 0;
		if (ch == 'h') {
			if (early)
				continue;
			cli_print_run_help();
			return 1;
		}
		if (ch == '?' || ch == ':') {
			log_bad_option(argv, shortopts);
			return -EINVAL;
		}
		const struct cli_option *o = option_of(ch);
		if (!o)
			return -EINVAL;
		if (early && strcmp(o->name, "workspace") == 0)
			early->workspace = optarg;
		if (o->early != !!early)
			continue;
		const char *why;
		int r = cli_apply(o, c, optarg, NULL, 0, 0, &why);
		if (r < 0) {
			log_error("--%s %s: %s", o->name, optarg ? optarg : "", why);
			return r;
		}
	}
}

int cli_parse_run(int argc, char **argv, struct brig_config *c)
{
	/* Sized by the table, which lives in another file. */
	struct option longopts[cli_run_options_count + 2];
	char shortopts[2 * cli_run_options_count + 4];
	strcpy(shortopts, "+h");
	size_t ns = strlen(shortopts);

	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		longopts[i] = (struct option){ o->name, o->metavar ? required_argument : no_argument, NULL,
					       o->short_name ? o->short_name : (int)(OPT_HELP + 1 + i) };
		if (o->short_name) {
			shortopts[ns++] = (char)o->short_name;
			if (o->metavar)
				shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = '\0';
	longopts[cli_run_options_count] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[cli_run_options_count + 1] = (struct option){ 0 };

	struct early early = { 0 };
	int r = parse_pass(argc, argv, c, shortopts, longopts, &early);
	if (r != 0)
		return r;
	if (c->profile) {
		_cleanup_free_ char *ws = NULL;
		if (early.workspace && path_normalise(early.workspace, &ws) < 0)
			ws = NULL; /* the second pass reports it */
		struct profile_opts po = { .workspace = ws };
		if (profile_load_with(c->profile, c, &po) < 0)
			return -ECANCELED; /* reported where it was found */
	}
	r = parse_pass(argc, argv, c, shortopts, longopts, NULL);
	if (r != 0)
		return r;
	c->argv = argv + optind;
	return 0;
}

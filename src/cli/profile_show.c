/* `brig profile check` and `brig profile show`: profiles reviewed without
 * running anything. show writes the resolved policy back in profile syntax
 * through each option's formatter, so its output is itself a profile that
 * reads back to the same policy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brig/cli/cli.h"
#include "brig/lib/log.h"
#include "brig/cli/profile.h"
#include "brig/seccomp/seccomp.h"
#include "brig/lib/util.h"

/* Text for a comment: whatever a path holds, the comment stays one line
 * of valid text, so it cannot smuggle a directive into the output. */
static void put_comment_text(FILE *f, const char *s)
{
	size_t n = strlen(s), at;
	while (n) {
		const char *bad = profile_text_problem(s, n, &at);
		if (!bad) {
			fwrite(s, 1, n, f);
			return;
		}
		fwrite(s, 1, at, f);
		fputc('?', f);
		s += at + 1;
		n -= at + 1;
	}
}

static void put_origin(FILE *f, const struct brig_origin *o)
{
	if (o && o->file) {
		put_comment_text(f, o->file);
		fprintf(f, ":%u", o->line);
	} else {
		fputs("command line", f);
	}
}

/* Why a value cannot be a directive argument, or NULL. The reader trims
 * blanks and reads text only, so those values would not come back. */
static const char *unwritable(const struct cli_option *o, const char *v)
{
	size_t n = strlen(v), at, dollars = 0;
	if (o->metavar && n == 0)
		return "it is empty";
	if (n && (strchr(" \t", v[0]) || strchr(" \t", v[n - 1])))
		return "it starts or ends with a blank";
	if (profile_text_problem(v, n, &at))
		return "it holds a control character or is not UTF-8 text";
	for (const char *p = v; (p = strchr(p, '$')); p++)
		dollars++;
	if (strlen(o->name) + 1 + n + dollars > PROFILE_MAX_LINE)
		return "it is too long";
	return NULL;
}

static void put_directive(FILE *f, const struct cli_option *o, const char *v, bool commented)
{
	fprintf(f, "%s%s%s", commented ? "# " : "", o->name, *v ? " " : "");
	for (; *v; v++)
		fputs(*v == '$' ? "$$" : (char[]){ *v, '\0' }, f);
	fputc('\n', f);
}

struct walk {
	const struct brig_config *c;
	FILE *f;
	size_t *last;         /* per option: index of its last origin */
	size_t count[CONFIG_N_LISTS]; /* elements seen so far, per list */
	bool *seen;           /* per option: set by something */
};

/* One origin: a scalar at its last setting, or the next element of a list. */
static int show_origin(struct walk *w, size_t k, struct brig_err *e)
{
	const struct brig_origin *org = &w->c->origins[k];
	const struct cli_option *o = cli_find(org->directive);
	if (!o || !o->show)
		return 0;
	size_t idx = (size_t)(o - cli_run_options);
	w->seen[idx] = true;
	size_t elem = o->list == CONFIG_SCALAR ? 0 : w->count[o->list]++;
	if (o->list == CONFIG_SCALAR && w->last[idx] != k)
		return 0;
	_cleanup_free_ char *v = NULL;
	int r = o->show(w->c, elem, &v);
	if (r < 0)
		return err_set(e, r, "--%s: %s", o->name, strerror(-r));
	if (!v)
		return 0;
	const char *why = unwritable(o, v);
	if (why)
		return err_set(e, -EINVAL, "--%s: cannot be written as a profile line: %s", o->name, why);
	ssize_t by = o->list == CONFIG_SCALAR ? -1 : config_replaced_by(w->c, o->list, elem);
	fputs("# ", w->f);
	put_origin(w->f, org);
	if (by >= 0) {
		fputs(" (replaced by ", w->f);
		put_origin(w->f, config_origin_of(w->c, o->list, (size_t)by));
		fputs(")", w->f);
	}
	for (size_t j = k; o->list == CONFIG_SCALAR && j-- > 0;)
		if (w->c->origins[j].directive == org->directive) {
			fputs(" (overrides ", w->f);
			put_origin(w->f, &w->c->origins[j]);
			fputs(")", w->f);
			break;
		}
	fputc('\n', w->f);
	put_directive(w->f, o, v, by >= 0);
	return 0;
}

static void show_defaults(struct walk *w)
{
	fputs("\n# Not set, so the built-in default applies:\n", w->f);
	for (size_t i = 0; i < cli_run_options_count; i++) {
		const struct cli_option *o = &cli_run_options[i];
		if (!o->early && !w->seen[i])
			fprintf(w->f, "# default: %s = %s\n", o->name, o->dflt);
	}
}

int profile_show(const struct brig_config *c, FILE *f, struct brig_err *e)
{
	struct walk w = { .c = c, .f = f };
	_cleanup_free_ size_t *last = calloc(cli_run_options_count, sizeof *last);
	_cleanup_free_ bool *seen = calloc(cli_run_options_count, sizeof *seen);
	if (!last || !seen)
		return err_set(e, -ENOMEM, "profile show: %s", strerror(ENOMEM));
	w.last = last;
	w.seen = seen;
	for (size_t k = 0; k < c->n_origins; k++) {
		const struct cli_option *o = cli_find(c->origins[k].directive);
		if (o)
			last[o - cli_run_options] = k;
	}
	fputs("# The resolved policy", f);
	if (c->profile) {
		fputs(" of profile ", f);
		put_comment_text(f, c->profile);
	}
	fputs(".\n# Built-in defaults < the profile and its includes < the command line;\n"
	      "# each line below says where it came from.\n",
	      f);
	if (c->job_id[0])
		fprintf(f, "# Every job has its own ${JOB_ID}; this rendering used %s.\n", c->job_id);
	fputc('\n', f);
	for (size_t k = 0; k < c->n_origins; k++) {
		int r = show_origin(&w, k, e);
		if (r < 0)
			return r;
	}
	show_defaults(&w);
	return fflush(f) == 0 ? 0 : err_at(e, -errno, "profile show", "cannot write the policy");
}

/* The commands */

static void print_problem(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
}

static bool is_policy(const char *name)
{
	size_t n = strlen(name);
	return n > 7 && strcmp(name + n - 7, ".policy") == 0;
}

static int check_one(const char *name)
{
	/* Syscall policies are checked by the parser that loads them. */
	if (is_policy(name)) {
		struct brig_config pc;
		struct seccomp_policy p;
		config_init(&pc);
		pc.seccomp = strdup(name);
		struct brig_err e = BRIG_ERR_INIT;
		int r = pc.seccomp ? seccomp_policy_load(&pc, &p, &e) : -ENOMEM;
		if (r >= 0)
			seccomp_policy_free(&p);
		else
			err_log(&e);
		config_free(&pc);
		return r < 0 ? 1 : 0;
	}
	struct brig_config c;
	struct brig_reporter rep = { .fn = print_problem, .keep_going = true };
	struct profile_opts o = { .report = &rep, .check = true };
	config_init(&c);
	/* Contradictions too, even after other problems: a check lists all. */
	profile_load_with(name, &c, &o);
	config_check(&c, &rep);
	/* The policy a profile names must load too. */
	struct seccomp_policy p;
	struct brig_err e = BRIG_ERR_INIT;
	if (c.seccomp && seccomp_policy_load(&c, &p, &e) >= 0) {
		seccomp_policy_free(&p);
	} else if (c.seccomp) {
		err_log(&e);
		rep.problems++;
	}
	config_free(&c);
	return rep.problems ? 1 : 0;
}

int profile_cmd_check(int argc, char **argv)
{
	int code = 0, files = 0;
	bool options = true;
	for (int i = 1; i < argc; i++) {
		if (options && strcmp(argv[i], "--") == 0) {
			options = false;
		} else if (options && (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)) {
			printf("Usage: brig profile check FILE|NAME...\n"
			       "Validate profiles without running anything: one line FILE:LINE: message\n"
			       "per problem; exit 0 when every profile is valid, 1 otherwise.\n");
			return 0;
		} else if (options && argv[i][0] == '-' && argv[i][1]) {
			log_error("profile check: unknown option %s", argv[i]);
			return 1;
		} else {
			files++;
			code |= check_one(argv[i]);
		}
	}
	if (!files) {
		log_error("profile check: no profile given (usage: brig profile check FILE|NAME...)");
		return 1;
	}
	fflush(stdout);
	return code;
}

int profile_cmd_show(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("Usage: brig profile show [NAME|PATH] [OPTION...]\n"
		       "Print the policy a job would get from the profile (none: the built-in\n"
		       "defaults) and the `brig run` OPTIONs, in profile syntax.\n");
		return 0;
	}
	/* NAME first, then run options: the same parse as `brig run`, so
	 * what is shown is what a job would get. */
	bool named = argc > 1 && argv[1][0] != '-';
	_cleanup_free_ char **args = calloc((size_t)argc + 3, sizeof *args);
	if (!args) {
		log_error("profile show: %s", strerror(ENOMEM));
		return 1;
	}
	int n = 0;
	args[n++] = argv[0];
	if (named) {
		args[n++] = "--profile";
		args[n++] = argv[1];
	}
	for (int i = named ? 2 : 1; i < argc; i++)
		args[n++] = argv[i];
	struct brig_config c;
	config_init(&c);
	int code = 1;
	struct brig_err e = BRIG_ERR_INIT;
	int r = config_new_job_id(&c);
	if (r < 0)
		log_error("cannot make a job id: %s", strerror(-r));
	else if ((r = cli_parse_run(n, args, &c)) == 1)
		code = 0;
	else if (r == 0 && c.argv[0])
		log_error("profile show: unexpected argument %s (usage: brig profile show [NAME|PATH] [OPTION...])",
			  c.argv[0]);
	else if (r == 0 && config_check(&c, NULL) == 0 && profile_show(&c, stdout, &e) == 0)
		code = 0;
	else if (e.code < 0)
		err_log(&e);
	config_free(&c);
	return code;
}

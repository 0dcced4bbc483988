/* brig probe: the runner, the score and the two output formats. The checks
 * themselves live in src/probe_<category>.c, one table per category. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brig/lib/exit.h"
#include "brig/lib/log.h"
#include "brig/probe/checks.h"
#include "brig/probe/egress.h"
#include "brig/probe/probe.h"
#include "brig/lib/util.h"


void probe_set(struct probe_report *r, enum probe_result res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->evidence, sizeof r->evidence, fmt, ap);
	va_end(ap);
	/* One line, whatever a path or a process name contained. */
	for (char *p = r->evidence; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	r->result = res;
	r->depth = PROBE_DEPTH_KERNEL;
	r->scope = PROBE_SCOPE_NONE;
}

#define E(x) { x, #x }
static const struct {
	int e;
	const char *name;
} errnos[] = {
	E(EPERM),	 E(ENOENT),	E(ESRCH),     E(EINTR),	      E(EIO),	       E(ENXIO),      E(E2BIG),
	E(ENOEXEC),	 E(EBADF),	E(ECHILD),    E(EAGAIN),      E(ENOMEM),       E(EACCES),     E(EFAULT),
	E(EBUSY),	 E(EEXIST),	E(ENODEV),    E(ENOTDIR),     E(EISDIR),       E(EINVAL),     E(ENFILE),
	E(EMFILE),	 E(ENOTTY),	E(ETXTBSY),   E(ENOSPC),      E(EROFS),	       E(ENOSYS),     E(EOPNOTSUPP),
	E(EAFNOSUPPORT), E(EADDRNOTAVAIL), E(ENETUNREACH), E(ECONNREFUSED), E(EHOSTUNREACH), E(ETIMEDOUT),
	E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(ENOTCONN), E(ENOKEY), E(ECONNRESET),
};
#undef E

const char *probe_errno_name(int e)
{
	static __thread char buf[16];
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].e == e && e != 0)
			return errnos[i].name;
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

const char *probe_result_name(enum probe_result r)
{
	static const char *const n[] = { "blocked", "exposed", "not-applicable" };
	return n[r];
}

const char *probe_severity_name(enum probe_severity s)
{
	static const char *const n[] = { "low", "medium", "high" };
	return n[s];
}

const char *probe_depth_name(enum probe_depth d)
{
	return d == PROBE_DEPTH_FILTER ? "filter" : "kernel";
}

const char *probe_scope_name(enum probe_scope s)
{
	static const char *const n[] = { "", "host", "namespace" };
	return n[s];
}

int probe_result_of(const char *s)
{
	for (int i = PROBE_BLOCKED; i <= PROBE_NA; i++)
		if (strcmp(s, probe_result_name(i)) == 0)
			return i;
	return -1;
}

int probe_severity_of(const char *s)
{
	for (int i = PROBE_LOW; i <= PROBE_HIGH; i++)
		if (strcmp(s, probe_severity_name(i)) == 0)
			return i;
	return -1;
}

/* Weights in the spirit of systemd-analyze security: a high-severity hole
 * counts five times a low one. */
static const double weight[] = { 0.2, 0.5, 1.0 };

void probe_score(const struct probe_report *r, size_t n, struct probe_score *s)
{
	memset(s, 0, sizeof *s);
	double total = 0, bad = 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].result == PROBE_NA) {
			s->na++;
			continue;
		}
		bool filter = r[i].result == PROBE_EXPOSED && r[i].depth == PROBE_DEPTH_FILTER;
		total += weight[r[i].severity];
		if (r[i].result == PROBE_EXPOSED) {
			s->exposed++;
			s->exposed_filter += filter;
			/* Past the filter, the kernel's own checks untried: half. */
			bad += weight[r[i].severity] * (filter ? 0.5 : 1.0);
		} else
			s->blocked++;
		if (r[i].severity == PROBE_HIGH) {
			s->high_total++;
			if (r[i].result == PROBE_BLOCKED)
				s->high_blocked++;
			else if (!filter)
				s->high_exposed++;
		}
	}
	s->exposure = total > 0 ? 10.0 * bad / total : 0;
}

struct probe_report *probe_run(const char *only, bool network, const struct probe_egress_list *egress, size_t *n)
{
	size_t rows = probe_checks_count + (network && egress ? egress->n : 0);
	struct probe_report *out = calloc(rows, sizeof *out);
	if (!out)
		return NULL;
	size_t k = 0;
	/* Category by category, in report order, whatever the table's order. */
	for (size_t c = 0; c < probe_categories_count; c++) {
		const char *cat = probe_categories[c];
		if (only && strcmp(only, cat) != 0)
			continue;
		for (size_t i = 0; i < probe_checks_count; i++) {
			const struct probe_check *ck = &probe_checks[i];
			if (strcmp(ck->category, cat) != 0 || (ck->opt_in && !network))
				continue;
			struct probe_report *r = &out[k++];
			r->id = ck->id;
			r->category = ck->category;
			r->severity = ck->severity;
			probe_set(r, PROBE_NA, "not tried");
			/* Output already buffered must not be duplicated by a check that forks. */
			fflush(NULL);
			ck->fn(r);
		}
		/* The egress rows end the network category. */
		if (network && egress && egress->n && strcmp(cat, "network") == 0) {
			probe_egress_run(egress, &out[k]);
			k += egress->n;
		}
	}
	*n = k;
	return out;
}

static json_object *report_json(const struct probe_report *r, size_t n)
{
	struct probe_score s;
	probe_score(r, n, &s);
	json_object *root = json_object_new_object(), *checks = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(r[i].id));
		json_object_object_add(o, "category", json_object_new_string(r[i].category));
		json_object_object_add(o, "severity", json_object_new_string(probe_severity_name(r[i].severity)));
		json_object_object_add(o, "result", json_object_new_string(probe_result_name(r[i].result)));
		json_object_object_add(o, "depth", json_object_new_string(probe_depth_name(r[i].depth)));
		if (r[i].scope != PROBE_SCOPE_NONE)
			json_object_object_add(o, "scope", json_object_new_string(probe_scope_name(r[i].scope)));
		json_object_object_add(o, "evidence", json_object_new_string(r[i].evidence));
		json_object_array_add(checks, o);
	}
	json_object *sum = json_object_new_object();
	json_object_object_add(sum, "checks", json_object_new_int64((int64_t)n));
	json_object_object_add(sum, "blocked", json_object_new_int64((int64_t)s.blocked));
	json_object_object_add(sum, "exposed", json_object_new_int64((int64_t)s.exposed));
	json_object_object_add(sum, "exposed_filter_only", json_object_new_int64((int64_t)s.exposed_filter));
	json_object_object_add(sum, "not_applicable", json_object_new_int64((int64_t)s.na));
	json_object_object_add(sum, "high_blocked", json_object_new_int64((int64_t)s.high_blocked));
	json_object_object_add(sum, "high_total", json_object_new_int64((int64_t)s.high_total));
	json_object_object_add(sum, "high_exposed", json_object_new_int64((int64_t)s.high_exposed));
	json_object_object_add(sum, "exposure", json_object_new_double(((int)(s.exposure * 10 + 0.5)) / 10.0));
	json_object_object_add(root, "checks", checks);
	json_object_object_add(root, "summary", sum);
	return root;
}

static void print_table(const struct probe_report *r, size_t n)
{
	const char *cat = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!cat || strcmp(cat, r[i].category) != 0) {
			cat = r[i].category;
			printf("%s%s\n", i ? "\n" : "", cat);
		}
		const char *res = r[i].result != PROBE_EXPOSED	       ? probe_result_name(r[i].result)
				  : r[i].depth == PROBE_DEPTH_FILTER ? "EXPOSED filter"
								     : "EXPOSED";
		printf("  %-28s %-6s %-14s %s\n", r[i].id, probe_severity_name(r[i].severity), res, r[i].evidence);
	}
	struct probe_score s;
	probe_score(r, n, &s);
	printf("\n%zu checks: %zu blocked, %zu exposed (%zu past the filter only), %zu not applicable\n", n, s.blocked,
	       s.exposed, s.exposed_filter, s.na);
	printf("score: %zu/%zu high-severity checks blocked; exposure %.1f/10\n", s.high_blocked, s.high_total,
	       s.exposure);
}

static bool category_known(const char *name)
{
	for (size_t c = 0; c < probe_categories_count; c++)
		if (strcmp(probe_categories[c], name) == 0)
			return true;
	return false;
}

static void probe_usage(FILE *f)
{
	fprintf(f, "Usage: brig probe [--json] [--only CATEGORY] [--network] [--egress-name NAME[:PORT]]...\n"
		   "       brig probe [--json] --compare A.json B.json\n"
		   "Try, from here, what sandbox escapes use, and report what is blocked.\n\n"
		   "  --json            one JSON document instead of the table\n"
		   "  --only CATEGORY   only these checks: identity, privileges, syscalls,\n"
		   "                    filesystem, secrets, network, resources, processes\n"
		   "  --network         also the network checks (they connect to addresses)\n"
		   "                    and the egress rows: which names the job's resolver\n"
		   "                    answers and whether their addresses take a connection\n"
		   "  --egress-name NAME[:PORT]  the names of the egress rows (repeatable; port\n"
		   "                    443 by default) instead of the registries profile's and\n"
		   "                    " PROBE_EGRESS_OUTSIDE "; implies --network\n"
		   "  --compare A B     two saved `brig probe --json` outputs side by side\n"
		   "  -h, --help        show this help\n\n"
		   "Exit status: 0 when nothing of high severity is exposed, 1 otherwise;\n"
		   "with --compare, 0 when B exposes nothing of high severity that A blocks.\n");
}

int probe_cmd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "only", required_argument, NULL, 'o' },
		{ "network", no_argument, NULL, 'n' },
		{ "compare", no_argument, NULL, 'c' },
		{ "egress-name", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, network = false, compare = false;
	const char *only = NULL;
	static struct probe_egress_list egress;
	egress.n = 0;
	bool named = false;
	optind = 1;
	opterr = 0; /* our own message, prefixed like every other */
	int c;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'o':
			only = optarg;
			break;
		case 'n':
			network = true;
			break;
		case 'c':
			compare = true;
			break;
		case 'e': {
			int r = probe_egress_add(&egress, optarg, false);
			if (r < 0) {
				log_error("probe: --egress-name %s: %s", optarg,
					  r == -E2BIG ? "too many names" : "not NAME or NAME:PORT (port 1-65535)");
				return EXIT_BRIG;
			}
			named = network = true;
			break;
		}
		case 'h':
			probe_usage(stdout);
			return 0;
		default:
			log_error("%s: %s: unknown option or missing argument (see brig %s --help)", "probe",
				  argv[optind - 1], "probe");
			return EXIT_BRIG;
		}
	}
	if (compare) {
		if (argc - optind != 2 || only || network) {
			log_error("probe: --compare takes two files and no --only, --network or --egress-name (see brig "
				  "probe --help)");
			return EXIT_BRIG;
		}
		return probe_compare(argv[optind], argv[optind + 1], json);
	}
	if (optind < argc) {
		log_error("probe: unexpected argument '%s'", argv[optind]);
		return EXIT_BRIG;
	}
	if (only && !category_known(only)) {
		log_error("probe: --only %s: unknown category (see brig probe --help)", only);
		return EXIT_BRIG;
	}
	if (only && strcmp(only, "network") == 0)
		network = true;
	if (!named)
		probe_egress_defaults(&egress);
	size_t n = 0;
	struct probe_report *r = probe_run(only, network, &egress, &n);
	if (!r) {
		log_error("probe: out of memory");
		return EXIT_BRIG;
	}
	if (json) {
		json_object *o = report_json(r, n);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else
		print_table(r, n);
	struct probe_score s;
	probe_score(r, n, &s);
	free(r);
	return s.high_exposed ? 1 : 0;
}

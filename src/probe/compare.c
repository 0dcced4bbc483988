/* brig probe --compare A.json B.json: two saved probe documents (from two
 * sandboxes, say a CI host's container job and its brig job) side by side,
 * so an operator sees what switching buys. `brig audit --json` documents
 * are read too: their first profile. */
#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brig/lib/err.h"
#include "brig/lib/exit.h"
#include "brig/lib/util.h"
#include "brig/probe/probe.h"


struct side {
	char name[64];
	struct probe_report *r;
	size_t n;
};

static void side_free(struct side *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free((char *)s->r[i].id);
		free((char *)s->r[i].category);
	}
	free(s->r);
	s->r = NULL;
	s->n = 0;
}

static const char *str_field(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       NULL;
}

/* One probe document into s; -errno with e naming the file on failure. */
static int side_load(struct side *s, const char *path, struct brig_err *e)
{
	char *copy = strdup(path);
	if (!copy)
		return err_set(e, -ENOMEM, "probe: --compare %s: out of memory", path);
	snprintf(s->name, sizeof s->name, "%s", basename(copy));
	free(copy);
	char *dot = strstr(s->name, ".json");
	if (dot && dot != s->name)
		*dot = 0;
	json_object *doc = json_object_from_file(path), *checks, *profiles;
	if (!doc) {
		char why[256];
		snprintf(why, sizeof why, "%s", json_util_get_last_err() ? json_util_get_last_err() : "unreadable");
		why[strcspn(why, "\n")] = 0;
		return err_set(e, -EBADMSG, "probe: --compare %s: not a JSON document (%s)", path, why);
	}
	json_object *top = doc;
	if (json_object_object_get_ex(doc, "profiles", &profiles) && json_object_is_type(profiles, json_type_array) &&
	    json_object_array_length(profiles) > 0)
		top = json_object_array_get_idx(profiles, 0);
	int r = 0;
	if (!json_object_object_get_ex(top, "checks", &checks) || !json_object_is_type(checks, json_type_array)) {
		r = err_set(e, -EBADMSG, "probe: --compare %s: no \"checks\" array: not the output of brig probe --json",
			    path);
		goto out;
	}
	size_t n = json_object_array_length(checks);
	s->r = calloc(n ? n : 1, sizeof *s->r);
	if (!s->r) {
		r = err_set(e, -ENOMEM, "probe: --compare %s: out of memory", path);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(checks, i);
		const char *id = str_field(c, "id"), *cat = str_field(c, "category"), *sev = str_field(c, "severity"),
			   *res = str_field(c, "result"), *depth = str_field(c, "depth"), *ev = str_field(c, "evidence");
		int sv = sev ? probe_severity_of(sev) : -1, rv = res ? probe_result_of(res) : -1;
		if (!id || !cat || sv < 0 || rv < 0) {
			r = err_set(e, -EBADMSG, "probe: --compare %s: check %zu has no valid id, category, severity or result",
				    path, i);
			goto out;
		}
		struct probe_report *p = &s->r[s->n++];
		p->id = strdup(id);
		p->category = strdup(cat);
		if (!p->id || !p->category) {
			r = err_set(e, -ENOMEM, "probe: --compare %s: out of memory", path);
			goto out;
		}
		p->severity = (enum probe_severity)sv;
		probe_set(p, (enum probe_result)rv, "%s", ev ? ev : "");
		if (depth && strcmp(depth, "filter") == 0)
			p->depth = PROBE_DEPTH_FILTER;
	}
out:
	json_object_put(doc);
	return r;
}

static const struct probe_report *find(const struct side *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->r[i].id, id) == 0)
			return &s->r[i];
	return NULL;
}

static const char *cell(const struct probe_report *r)
{
	if (!r)
		return "-";
	if (r->result != PROBE_EXPOSED)
		return probe_result_name(r->result);
	return r->depth == PROBE_DEPTH_FILTER ? "EXPOSED filter" : "EXPOSED";
}

/* "fixed" when B blocks what A exposed, "worse" the other way round. */
static const char *change(const struct probe_report *a, const struct probe_report *b)
{
	if (!a || !b || a->result == b->result)
		return "";
	if (a->result == PROBE_EXPOSED && b->result == PROBE_BLOCKED)
		return "fixed";
	if (a->result == PROBE_BLOCKED && b->result == PROBE_EXPOSED)
		return "worse";
	return "differs";
}

/* Every id of A in A's order, then those only B has. */
static size_t rows(const struct side *a, const struct side *b, const char **ids)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		ids[n++] = a->r[i].id;
	for (size_t i = 0; i < b->n; i++)
		if (!find(a, b->r[i].id))
			ids[n++] = b->r[i].id;
	return n;
}

static void print_table(const struct side *a, const struct side *b, const char **ids, size_t n)
{
	int w = 16;
	printf("%-37s %-*s %-*s\n", "check / severity", w, a->name, w, b->name);
	for (size_t i = 0; i < n; i++) {
		const struct probe_report *ra = find(a, ids[i]), *rb = find(b, ids[i]), *any = ra ? ra : rb;
		printf("  %-28s %-6s %-*s %-*s %s\n", any->id, probe_severity_name(any->severity), w, cell(ra), w, cell(rb),
		       change(ra, rb));
	}
	struct probe_score sa, sb;
	probe_score(a->r, a->n, &sa);
	probe_score(b->r, b->n, &sb);
	char ha[32], hb[32];
	snprintf(ha, sizeof ha, "%zu/%zu", sa.high_blocked, sa.high_total);
	snprintf(hb, sizeof hb, "%zu/%zu", sb.high_blocked, sb.high_total);
	printf("\n%-37s %-*s %-*s\n", "high-severity blocked", w, ha, w, hb);
	printf("%-37s %-*zu %-*zu\n", "checks exposed", w, sa.exposed, w, sb.exposed);
	printf("%-37s %-*.1f %-*.1f\n", "exposure (0 best, 10 worst)", w, sa.exposure, w, sb.exposure);
}

static json_object *summary_json(const struct side *s)
{
	struct probe_score sc;
	probe_score(s->r, s->n, &sc);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "high_blocked", json_object_new_int64((int64_t)sc.high_blocked));
	json_object_object_add(o, "high_total", json_object_new_int64((int64_t)sc.high_total));
	json_object_object_add(o, "exposed", json_object_new_int64((int64_t)sc.exposed));
	json_object_object_add(o, "exposure", json_object_new_double(((int)(sc.exposure * 10 + 0.5)) / 10.0));
	return o;
}

static void print_json(const struct side *a, const struct side *b, const char **ids, size_t n)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct probe_report *ra = find(a, ids[i]), *rb = find(b, ids[i]), *any = ra ? ra : rb;
		json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(any->id));
		json_object_object_add(o, "category", json_object_new_string(any->category));
		json_object_object_add(o, "severity", json_object_new_string(probe_severity_name(any->severity)));
		json_object_object_add(o, "a", ra ? json_object_new_string(probe_result_name(ra->result)) : NULL);
		json_object_object_add(o, "b", rb ? json_object_new_string(probe_result_name(rb->result)) : NULL);
		const char *ch = change(ra, rb);
		if (*ch)
			json_object_object_add(o, "change", json_object_new_string(ch));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "a", summary_json(a));
	json_object_object_add(root, "b", summary_json(b));
	json_object_object_add(root, "checks", arr);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

int probe_compare(const char *pa, const char *pb, bool json)
{
	struct side a = { 0 }, b = { 0 };
	struct brig_err e = BRIG_ERR_INIT;
	int code = EXIT_BRIG;
	if (side_load(&a, pa, &e) < 0 || side_load(&b, pb, &e) < 0) {
		err_log(&e);
		goto out;
	}
	const char **ids = calloc(a.n + b.n + 1, sizeof *ids);
	if (!ids) {
		err_set(&e, -ENOMEM, "probe: --compare: out of memory");
		err_log(&e);
		goto out;
	}
	size_t n = rows(&a, &b, ids);
	if (json)
		print_json(&a, &b, ids, n);
	else
		print_table(&a, &b, ids, n);
	code = 0;
	for (size_t i = 0; i < n; i++) {
		const struct probe_report *ra = find(&a, ids[i]), *rb = find(&b, ids[i]);
		if (rb && rb->severity == PROBE_HIGH && rb->result == PROBE_EXPOSED && rb->depth == PROBE_DEPTH_KERNEL &&
		    !(ra && ra->result == PROBE_EXPOSED))
			code = 1;
	}
	free(ids);
out:
	side_free(&a);
	side_free(&b);
	return code;
}

/* What a job's names were answered and refused (brig/net/dns_ledger.h). */
#include "brig/net/dns_ledger.h"

#include <stdio.h>
#include <string.h>

void dns_ledger_init(struct dns_ledger *l, long long now)
{
	memset(l, 0, sizeof *l);
	l->tokens = DNS_LEDGER_BURST;
	l->tokens_ms = now;
}

int dns_ledger_find(const struct dns_ledger *l, const char *name)
{
	for (size_t i = 0; i < l->n_names; i++)
		if (strcmp(l->names[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* NAME's entry, made while there is room; past it the shared last one. */
static struct dns_name_count *entry(struct dns_ledger *l, const char *name)
{
	int i = dns_ledger_find(l, name);
	if (i >= 0)
		return &l->names[i];
	if (l->n_names == DNS_NAMES_MAX)
		return &l->names[DNS_NAMES_MAX];
	struct dns_name_count *c = &l->names[l->n_names++];
	snprintf(c->name, sizeof c->name, "%s", name);
	return c;
}

int dns_ledger_allowed(struct dns_ledger *l, const char *name)
{
	struct dns_name_count *c = entry(l, name);
	c->allowed++;
	return c == &l->names[DNS_NAMES_MAX] ? -1 : (int)(c - l->names);
}

bool dns_ledger_refuse(struct dns_ledger *l, struct dns_event *e, long long now)
{
	struct dns_name_count *c = entry(l, e->name);
	c->denied++;
	l->tokens += (double)(now - l->tokens_ms) * DNS_LEDGER_RATE / 1000.0;
	if (l->tokens > DNS_LEDGER_BURST)
		l->tokens = DNS_LEDGER_BURST;
	l->tokens_ms = now;
	bool first = c->denied == 1 && c->name[0];
	/* The first refusal of each name is always told; the rest as the
	 * rate allows, with how many were held back. */
	if (!first && l->tokens < 1) {
		l->suppressed++;
		return false;
	}
	if (!first)
		l->tokens -= 1;
	e->count = c->denied;
	e->suppressed = l->suppressed;
	e->first = first;
	l->suppressed = 0;
	return true;
}

size_t dns_ledger_counts(const struct dns_ledger *l, const struct dns_name_count **out)
{
	*out = l->names;
	bool other = l->names[DNS_NAMES_MAX].allowed || l->names[DNS_NAMES_MAX].denied;
	return l->n_names + (other ? 1 : 0);
}

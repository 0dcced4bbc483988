/* brig probe --network's egress rows: which names the job's own resolver
 * answers and whether their addresses take a TCP connection. One row per
 * name, id "network.egress.NAME:PORT", in the network category.
 *
 * By default the names are those of the shipped registries profile
 * (profiles/inc/registries.inc, wildcards left out) plus one name that
 * profile does not allow (PROBE_EGRESS_OUTSIDE); --egress-name NAME[:PORT]
 * replaces the list. Nothing is sent but DNS queries and TCP SYNs. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/probe/probe.h"

#define PROBE_EGRESS_MAX 40	   /* names per probe */
#define PROBE_EGRESS_ADDRS 4	   /* addresses tried per name */
#define PROBE_EGRESS_PORT 443
/* A name the registries profile does not allow: reserved for examples
 * (RFC 2606), it resolves on the public DNS and serves HTTPS. */
#define PROBE_EGRESS_OUTSIDE "example.com"

struct probe_egress_name {
	char name[254];
	unsigned port;
	/* The allow list should refuse it: resolving it is an exposure. */
	bool outside;
	char id[280]; /* "network.egress.NAME:PORT" */
};

struct probe_egress_list {
	struct probe_egress_name v[PROBE_EGRESS_MAX];
	size_t n;
};

/* The registries profile's names, in its order (unit-tested against the
 * shipped file). */
extern const char *const probe_egress_registry_names[];
extern const size_t probe_egress_registry_count;

/* NAME[:PORT] (port 1-65535, default 443) appended to l: -EINVAL for a bad
 * name or port, -E2BIG past PROBE_EGRESS_MAX. */
int probe_egress_add(struct probe_egress_list *l, const char *arg, bool outside);
/* The default list: the registries' names on 443 and the outside name. */
void probe_egress_defaults(struct probe_egress_list *l);

/* Resolves every name of l through the first nameserver of
 * /etc/resolv.conf and tries TCP to their addresses, all at once with one
 * deadline; fills r[0..l->n) (id, category, severity, result). */
void probe_egress_run(const struct probe_egress_list *l, struct probe_report *r);

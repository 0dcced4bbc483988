/* The DNS responder of a `net veth` job with egress-allow-host or
 * egress-deny-host rules: the job's /etc/resolv.conf names the host end of
 * its veth, and the supervisor answers there, on UDP and TCP port 53, in
 * its own event loop (one descriptor to poll; no daemon, no thread).
 *
 * A query for an allowed name goes to the host's resolvers; the addresses
 * of the answer are checked (brig/net/egress.h: an answer that holds an
 * internal or blocked address is refused whole) and enter the job's
 * address set of the rule's port group, with the record's TTL plus
 * EGRESS_GRACE_S as their timeout, before the answer is sent on. Any
 * other query is answered REFUSED and reported.
 *
 * Messages are parsed and built with ldns; the job's query is rebuilt, not
 * forwarded as it came. Memory is bounded whatever the job sends: at most
 * DNS_PENDING_MAX queries in flight upstream (the oldest is dropped), at
 * most DNS_TCP_MAX connections (the oldest is closed), at most
 * DNS_NAMES_MAX names counted one by one (the rest together; what it
 * counts and tells: brig/net/dns_ledger.h). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brig/config/net_config.h"
#include "brig/net/dns_ledger.h"
#include "brig/net/firewall.h"
#include "brig/lib/util.h"

#define DNS_PENDING_MAX 256
#define DNS_TCP_MAX 16
#define DNS_UPSTREAM_TIMEOUT_MS 5000


/* Lets the job reach ADDRS with the ports of GROUP for TIMEOUT_MS:
 * firewall_job_allow_addrs, or a stand-in for the unit tests. */
typedef int (*dns_allow_fn)(const char *id, unsigned group, const struct cidr *addrs, size_t n, uint64_t timeout_ms);

struct dns_responder_job {
	const char *id;
	struct cidr listen[2];        /* the host end's addresses (family 0: unused) */
	uint16_t port;                /* 0: 53 */
	const struct cidr *upstream;  /* the host's resolvers */
	size_t n_upstream;
	uint16_t upstream_port;       /* 0: 53 */
	const struct egress_host *hosts;
	size_t n_hosts;
	const struct fw_rule *rules;  /* the CIDR rules: an allow rule within a private range opens it to names */
	size_t n_rules;
	const struct cidr *own;       /* the host's own addresses: never an answer */
	size_t n_own;
	dns_allow_fn allow;           /* NULL: firewall_job_allow_addrs */
	void (*on_refused)(void *ctx, const struct dns_event *e);
	void *ctx;
};


struct dns_responder;

/* Binds UDP and TCP sockets on each listen address (before the address
 * exists: IP_FREEBIND) and the sockets to the upstream resolvers. The job
 * struct and what it points to must outlive the responder. */
int dns_responder_open(const struct dns_responder_job *j, struct dns_responder **out);
/* One descriptor that is readable whenever there is work. */
int dns_responder_fd(const struct dns_responder *r);
/* Does the work there is now, a bounded amount, without blocking. */
int dns_responder_handle(struct dns_responder *r);
/* The names asked so far, and how often each was answered or refused. */
size_t dns_responder_counts(const struct dns_responder *r, const struct dns_name_count **out);
/* A connection the name gate refused: counted under NAME with the refused
 * questions and reported as they are (the first per name always, the
 * rest at the rate limit). */
void dns_responder_refused_conn(struct dns_responder *r, const char *name, const char *address, uint16_t port,
				const char *proto, const char *reason);
/* Whether NAME (normalised) was answered with ADDR and its answer still
 * holds (TTL plus EGRESS_GRACE_S): what the name gate asks. At most
 * DNS_NAMES_MAX names and 1024 (name, address) pairs are kept; past them
 * the oldest goes. */
bool dns_responder_resolved(const struct dns_responder *r, const char *name, const struct cidr *addr);
void dns_responder_close(struct dns_responder *r);
static inline void dns_responder_closep(struct dns_responder **r)
{
	if (*r)
		dns_responder_close(*r);
}

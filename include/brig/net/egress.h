/* Egress by name, the pure parts: which rule decides a DNS name, which
 * addresses a name may never resolve to (DNS rebinding), and the port
 * groups whose address sets the firewall keeps per job.
 *
 * A job that has egress-allow-host or egress-deny-host rules asks brig's
 * own DNS responder (brig/net/dns_responder.h); the addresses of allowed
 * names land in the job's sets with the answer's TTL, and only they pass
 * the firewall besides the CIDR rules. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/config/net_config.h"
#include "brig/net/firewall.h"
#include "brig/lib/util.h"

/* How long an address outlives its record's TTL in the set: a resolver
 * or program that caches the answer to its last second still connects.
 * An address asked again is put back in the set (a netlink round trip)
 * only when less than TTL + EGRESS_GRACE_MIN_S of it is left, so every
 * answer holds for its TTL plus at least a minute while a busy name costs
 * one update a minute. */
#define EGRESS_GRACE_S 120u
#define EGRESS_GRACE_MIN_S 60u
/* A TTL longer than this is cut down: a name that moves is looked up again. */
#define EGRESS_TTL_MAX_S 86400u

/* Lower-cases NAME in place and drops one final dot. */
void egress_name_normalise(char *name);

/* Whether rule H names NAME (normalised): the name itself, or for a
 * wildcard a name strictly below it. */
bool egress_host_matches(const struct egress_host *h, const char *name);

/* The rule that decides NAME: a deny rule that names it wins over any
 * allow; then the first allow rule that names it. -1 when none does (the
 * name is refused). *allow tells which kind decided. */
int egress_decide(const struct egress_host *hosts, size_t n, const char *name, bool *allow);

/* Whether NAME may be reached on PORT with PROTO (IPPROTO_TCP, ...): no
 * deny rule names it and an allow rule that names it holds the port. */
bool egress_host_allows(const struct egress_host *hosts, size_t n, const char *name, uint16_t port, uint8_t proto);

/* Whether the CIDR rule R (egress-allow or egress-deny) holds DST (a host
 * address), PORT and PROTO. */
bool egress_rule_covers(const struct fw_rule *r, const struct cidr *dst, uint16_t port, uint8_t proto);

/* The distinct (ports, protocol) pairs of the allow rules, in the order
 * they first appear, as fw_rule with no destination; group_of[i] is the
 * group of hosts[i] (-1 for a deny rule). Returns how many groups, or
 * -ENOBUFS when MAX is too small. */
int egress_groups(const struct egress_host *hosts, size_t n, struct fw_rule *groups, size_t max, int *group_of);

enum egress_addr {
	EGRESS_ADDR_OK,       /* public: may enter the job's set */
	EGRESS_ADDR_INTERNAL, /* loopback, link-local, private, CGNAT, the host's own, brig's pools */
	EGRESS_ADDR_BLOCKED,  /* the firewall's blocklist (metadata): never, whatever the rules */
};

/* What an address a name resolved to is. INTERNAL becomes OK when one of
 * the CIDR allow RULES that lies within an internal range holds it, as the
 * firewall opens private ranges; OWN lists the host's own addresses. IPv6
 * spellings of IPv4 addresses (mapped, NAT64, 6to4) count as the address
 * they carry. */
enum egress_addr egress_classify(const struct cidr *addr, const struct fw_rule *rules, size_t n_rules,
				 const struct cidr *own, size_t n_own);
/* "loopback", "link-local", ... for messages: the range ADDR lies in. */
const char *egress_addr_kind(const struct cidr *addr);

/* What the DNS responder remembers of the answers it let through: which
 * addresses it put in which name group's nftables set, until when (so an
 * answer repeated within its TTL costs no netlink round trip), and which
 * name each address was an answer for, until when (what the name gate asks
 * of a connection). Fixed tables, no allocation: when one is full the entry
 * that expires first gives way. Times are now_ms() values. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brig/lib/util.h"

#define DNS_PLACED_MAX 1024
#define DNS_RESOLVED_MAX 1024

struct dns_placed {
	struct cidr addr;
	int group;
	long long expires_ms;
};

struct dns_resolved {
	struct cidr addr;
	uint16_t name; /* the caller's index of the name */
	long long expires_ms;
};

struct dns_memory {
	struct dns_placed placed[DNS_PLACED_MAX];
	struct dns_resolved resolved[DNS_RESOLVED_MAX];
};

/* Whether ADDR must go (back) into GROUP's set for TTL_S: not when it is
 * there for at least TTL_S + EGRESS_GRACE_MIN_S more. Notes the new
 * expiry (TTL_S + EGRESS_GRACE_S), which the caller makes true. */
bool dns_memory_needs_placing(struct dns_memory *m, const struct cidr *addr, int group, uint32_t ttl_s, long long now);
/* The set refused ADDRS: nothing of them is known to be in GROUP's set. */
void dns_memory_forget_placed(struct dns_memory *m, const struct cidr *addrs, size_t n, int group);
/* NAME resolved to ADDRS for TTL_S: remembered as long as the addresses
 * stay in the set (TTL_S + EGRESS_GRACE_S). */
void dns_memory_note_resolved(struct dns_memory *m, const struct cidr *addrs, size_t n, uint16_t name, uint32_t ttl_s,
			      long long now);
/* Whether NAME resolved to ADDR, and that has not expired. */
bool dns_memory_resolved(const struct dns_memory *m, uint16_t name, const struct cidr *addr, long long now);

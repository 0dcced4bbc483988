/* The host-side firewall for `net veth` jobs: brig's own nftables table
 * (`inet brig`), written with libnftnl over libmnl, one atomic batch per
 * change. It never reads or touches any other table.
 *
 * For traffic arriving from a job's host-side interface, in this order:
 *   1. drop packets whose source is not the job's own address (spoof);
 *   2. reject cloud metadata and link-local destinations (metadata), from
 *      the commented list in src/net/net_blocklist.def, always;
 *   3. reject the host itself, any of its addresses (host; the input
 *      hook), and every other job's subnet, i.e. the pools (host);
 *   4. accept DNS (udp and tcp port 53) to the resolvers the job was given;
 *   5. reject private ranges (private) unless an allow rule lies within one;
 *   6. the profile's egress-deny / egress-allow rules (policy), then the
 *      default: accept or reject (policy).
 * Replies to connections the job opened pass; nothing may open a
 * connection to a job. Rejections answer at once (a TCP reset for TCP,
 * ICMP administratively prohibited otherwise), so a job fails fast instead
 * of timing out. To the host itself a job may send only IPv6 neighbour
 * discovery and DNS to the resolvers it was given (when one of them is a
 * host address).
 *
 * Layout and names (`nft list table inet brig`): see src/net/firewall.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brig/config/net_config.h"
#include "brig/lib/util.h"

#define FIREWALL_TABLE "brig"

struct fw_job {
	const char *id;            /* names the job's chains and counters */
	const char *ifname;        /* the veth's host end */
	struct cidr addr4, addr6;  /* the job's own addresses (/32, /128) */
	struct cidr pool4, pool6;  /* where every job's subnet comes from */
	const struct cidr *dns;    /* resolvers the job may reach on port 53 */
	size_t n_dns;
	const struct fw_rule *rules;
	size_t n_rules;
	/* Egress by name: one pair of address sets (IPv4, IPv6) per group,
	 * each group a port and protocol spec (fw_rule with no destination).
	 * Their elements, added by firewall_job_allow_addrs, pass after the
	 * egress-deny rules and before the private ranges. */
	const struct fw_rule *name_groups;
	size_t n_name_groups;
	/* The name gate (brig/net/egress_gate.h): a new TCP connection to an
	 * address of a name group whose ports hold FW_GATE_TLS_PORT or
	 * FW_GATE_HTTP_PORT is marked FW_GATE_MARK_CHECK in its conntrack
	 * mark, and its packets go to netfilter queue GATE_QUEUE (the
	 * supervisor's) until the supervisor's verdict marks it
	 * FW_GATE_MARK_ALLOW (its packets then pass in the kernel) or
	 * FW_GATE_MARK_DENY (each packet answered with a TCP reset). */
	bool gate;
	uint16_t gate_queue;
	bool default_allow;
};

#define FW_GATE_TLS_PORT 443
#define FW_GATE_HTTP_PORT 80
/* The two bits of the conntrack mark (and of the packet mark, through
 * which the supervisor's verdict sets it) that are brig's: a connection
 * the gate holds, allowed, denied. No other bit is read or changed. */
#define FW_GATE_MARK_MASK  0x30000000u
#define FW_GATE_MARK_CHECK 0x10000000u
#define FW_GATE_MARK_ALLOW 0x20000000u
#define FW_GATE_MARK_DENY  0x30000000u

/* Rejected (or for spoof: dropped) packets, by rule class. */
struct fw_counters {
	uint64_t spoof, metadata, host, private_ranges, policy;
};

/* Creates the table's skeleton when it is missing (hooks, maps, the NAT
 * chain), then adds the job's chains, counters and map entries in one
 * batch. Returns -errno; adds nothing on failure. */
int firewall_job_add(const struct fw_job *j);

/* Lets the job reach ADDRS (host addresses) with the ports of name group
 * GROUP for TIMEOUT_MS, in one batch; an address already there gets the
 * new timeout. Returns -errno; -ENOENT when the job has no such group. */
int firewall_job_allow_addrs(const char *id, unsigned group, const struct cidr *addrs, size_t n, uint64_t timeout_ms);

/* Reads the job's counters (all zero when it has none). */
int firewall_job_counters(const char *id, struct fw_counters *out);

/* Removes everything of the job in one batch. Idempotent: a job with no
 * state is not an error. */
int firewall_job_remove(const char *id);

/* The ids of every job that has state in the table, for `brig gc`.
 * *ids is a malloc'd array of malloc'd strings. */
int firewall_list_jobs(char ***ids, size_t *n);

/* ---- pure parts, exposed for the unit tests ---- */

/* Every destination of src/net/net_blocklist.def, IPv4 entries followed by
 * their IPv6 spellings. Returns how many were written to OUT, -ENOBUFS
 * when MAX is too small. */
int firewall_blocklist(struct cidr *out, size_t max);
/* INNER lies entirely within OUTER (same family). */
bool firewall_cidr_within(const struct cidr *inner, const struct cidr *outer);

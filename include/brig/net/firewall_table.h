/* Internal to the firewall (src/firewall*.c); nothing else includes it.
 * The names in brig's table, and the builders its three files share:
 *   firewall.c        the public calls: add, remove, counters, list (the
 *                     kernel I/O, and reading the table's state back);
 *   firewall_table.c  the table's skeleton and the messages its objects
 *                     are made of (chains, rules, counters, set elements);
 *   firewall_rules.c  a job's chains and rules: what its one batch holds.
 * The layout itself is described in src/net/firewall.c. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "brig/net/firewall.h"
#include "brig/net/nft.h"
#include "brig/lib/util.h"

#define MAP_FORWARD "job_forward"
#define MAP_INPUT "job_input"
#define SET_MASQ4 "masq4"
#define SET_MASQ6 "masq6"
#define LINK_PREFIX "brig-"
#define CHAIN_REFUSE "refuse"
#define ID_MAX 64

enum counter_class { C_SPOOF, C_METADATA, C_HOST, C_PRIVATE, C_POLICY, C_COUNT };
extern const char *const fw_class_name[C_COUNT];

static inline unsigned fw_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* The keys a job's state is filed under. */
struct fw_job_keys {
	char ifname[IFNAMSIZ]; /* zero-padded: the map key */
	struct cidr addr4, addr6;
	bool gate;             /* the job has its prerouting chain (jobpre-<id>) */
};

/* ---- firewall_table.c ---- */

/* An empty rule for CHAIN of brig's table. */
struct nftnl_rule *fw_rule_new(const char *chain);
/* Appends R to its chain. */
int fw_append(struct nft_batch *b, struct nftnl_rule *r);
/* iifname/oifname (KEY NFT_META_IIFNAME, NFT_META_OIFNAME) "brig-*", OP
 * NFT_CMP_EQ or NFT_CMP_NEQ. */
int fw_match_link_prefix(struct nftnl_rule *r, uint32_t key, uint32_t op);
/* Counts in COUNTER, then rejects (the refuse chain). */
int fw_counted_reject(struct nftnl_rule *r, const char *counter);
/* A regular chain, with COMMENT when given. */
int fw_add_chain(struct nft_batch *b, const char *name, const char *comment);
/* A base chain of TYPE ("filter", "nat") on HOOK at PRIO, policy accept. */
int fw_add_base_chain(struct nft_batch *b, const char *name, const char *type, uint32_t hook, int32_t prio);
/* Flushes and deletes chain NAME. */
int fw_del_chain(struct nft_batch *b, const char *name);
/* "<id>-<class>"; -ENAMETOOLONG when it does not fit LEN. */
int fw_counter_name(char *buf, size_t len, const char *id, enum counter_class c);
/* One counter message (NFT_MSG_NEWOBJ, NFT_MSG_DELOBJ) for the job, or
 * one for each of its counters. */
int fw_counter_msg(struct nft_batch *b, const char *id, enum counter_class cls, uint16_t type, uint16_t flags);
int fw_counters_msg(struct nft_batch *b, const char *id, uint16_t type, uint16_t flags);
/* One element of set SET: KEY (LEN bytes), mapped to `jump CHAIN` when
 * CHAIN is given; ID as its comment (additions only). */
int fw_elem_msg(struct nft_batch *b, uint16_t type, uint16_t flags, const char *set, const void *key,
		uint32_t len, const char *chain, const char *id);
/* The job's elements of both maps (to FWD and IN) and of the masquerade
 * sets. */
int fw_elems_msgs(struct nft_batch *b, uint16_t type, uint16_t flags, const struct fw_job_keys *k,
		  const char *fwd, const char *in, const char *id);
/* "<id>-n<group>v4" or "...v6": a name group's address set. */
int fw_name_set(char *buf, size_t len, const char *id, unsigned group, int family);
/* Creates that set (addresses with per-element timeouts). */
int fw_add_name_set(struct nft_batch *b, const char *name, int family, uint32_t set_id);
/* An address element of a name set, with TIMEOUT_MS (additions). */
int fw_elem_timeout_msg(struct nft_batch *b, uint16_t type, const char *set, const void *key, uint32_t len,
			uint64_t timeout_ms);
/* Appends to B the deletion of every name set of job ID in the table. */
int fw_del_name_sets(struct nft_batch *b, const char *id);
/* Creates the table's skeleton when it is missing; 0 when it exists. */
int fw_create_skeleton(void);

/* ---- firewall_rules.c ---- */

/* The batch that adds everything of job J (its validity checked). */
int fw_job_batch(const struct fw_job *j, struct nft_batch **out);

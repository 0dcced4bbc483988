/* Small generic helpers over libnftnl and libmnl: one atomic batch per
 * change, with every message acknowledged and the first error returned;
 * queries (get and dump) with a callback per answer; and builders for the
 * few expressions and matches brig's rules are made of. Nothing here knows
 * brig's table layout (that is firewall*.c), and nothing here logs.
 *
 * Every function returns >= 0 on success, -errno on failure. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "brig/lib/util.h"

/* nft's own datatype numbers (nftables' include/datatype.h), stored as the
 * key type of a set so that `nft list` prints elements readably. The
 * kernel does not interpret them. */
#define NFT_TYPE_IPADDR  7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_IFNAME  41

struct nft_batch;

/* For _cleanup_: free the libnftnl object, if any. */
static inline void nft_table_freep(struct nftnl_table **t)
{
	if (*t)
		nftnl_table_free(*t);
}
static inline void nft_chain_freep(struct nftnl_chain **c)
{
	if (*c)
		nftnl_chain_free(*c);
}
static inline void nft_rule_freep(struct nftnl_rule **r)
{
	if (*r)
		nftnl_rule_free(*r);
}
static inline void nft_set_freep(struct nftnl_set **s)
{
	if (*s)
		nftnl_set_free(*s);
}
static inline void nft_obj_freep(struct nftnl_obj **o)
{
	if (*o)
		nftnl_obj_free(*o);
}
static inline void nft_udata_freep(struct nftnl_udata_buf **u)
{
	if (*u)
		nftnl_udata_buf_free(*u);
}

/* A batch that starts with NFNL_MSG_BATCH_BEGIN; its messages are for
 * FAMILY (NFPROTO_INET, ...). */
int nft_batch_new(struct nft_batch **out, uint16_t family);
void nft_batch_free(struct nft_batch *b);
static inline void nft_batch_freep(struct nft_batch **b)
{
	if (*b)
		nft_batch_free(*b);
}

/* Append one message (TYPE is NFT_MSG_NEWTABLE, NFT_MSG_DELCHAIN, ...; FLAGS
 * such as NLM_F_CREATE | NLM_F_EXCL; NLM_F_ACK is always added). The object
 * is serialised at once and may be freed right after. -E2BIG when the
 * batch is full. */
int nft_batch_table(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_table *t);
int nft_batch_chain(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_chain *c);
int nft_batch_rule(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_rule *r);
int nft_batch_set(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_set *s);
/* The elements attached to S (nftnl_set_elem_add). */
int nft_batch_elems(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_set *s);
int nft_batch_obj(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_obj *o);
/* Messages between begin and end. */
size_t nft_batch_count(const struct nft_batch *b);

/* Ends the batch, sends it and collects the kernel's answer to every
 * message. Returns the first error (the kernel then applied nothing), or 0. */
int nft_batch_send(struct nft_batch *b);

/* One request that is not part of a batch: a get or (with NLM_F_DUMP) a
 * dump. BUILD fills in the payload of the prepared header; CB runs for
 * every answer (MNL_CB_OK to go on). Returns the kernel's error (-ENOENT
 * when the object or table is missing), or 0. */
typedef void (*nft_build_fn)(struct nlmsghdr *nlh, const void *obj);
int nft_query(uint16_t type, uint16_t family, uint16_t flags, nft_build_fn build, const void *obj,
	      mnl_cb_t cb, void *data);
/* Payload builders to pass as BUILD. */
void nft_build_chain(struct nlmsghdr *nlh, const void *chain);
void nft_build_obj(struct nlmsghdr *nlh, const void *obj);
void nft_build_set(struct nlmsghdr *nlh, const void *set);

/* ---- expressions, appended to a rule; each returns 0 or -ENOMEM ---- */

/* meta KEY (NFT_META_NFPROTO, NFT_META_L4PROTO, NFT_META_IIFNAME, ...) => DREG */
int nft_expr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
/* payload BASE (NFT_PAYLOAD_NETWORK_HEADER, ...) + OFFSET, LEN bytes => DREG */
int nft_expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg);
/* cmp OP (NFT_CMP_EQ, ...) SREG against LEN bytes of DATA */
int nft_expr_cmp(struct nftnl_rule *r, uint32_t op, uint32_t sreg, const void *data, uint32_t len);
/* DREG = (SREG & MASK) ^ XOR, LEN bytes each */
int nft_expr_bitwise(struct nftnl_rule *r, uint32_t sreg, uint32_t dreg, const void *mask, const void *xor,
		     uint32_t len);
/* the packet's conntrack state has any bit of STATES (NF_CT_STATE_BIT(...)) */
int nft_expr_ct_state(struct nftnl_rule *r, uint32_t states);
/* lookup SREG in set NAME; DREG >= 0: a map, its value into DREG (NFT_REG_VERDICT for a vmap) */
int nft_expr_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, int dreg);
/* verdict NF_ACCEPT, NF_DROP, NFT_JUMP (CHAIN), ... */
int nft_expr_verdict(struct nftnl_rule *r, int verdict, const char *chain);
/* reject: TYPE NFT_REJECT_TCP_RST (CODE unused), NFT_REJECT_ICMPX_UNREACH
 * with CODE NFT_REJECT_ICMPX_ADMIN_PROHIBITED, ... */
int nft_expr_reject(struct nftnl_rule *r, uint32_t type, uint8_t code);
/* count in the named counter object */
int nft_expr_counter_ref(struct nftnl_rule *r, const char *name);
int nft_expr_masq(struct nftnl_rule *r);
/* ct mark (CT) or the packet's mark: only the bits of MASK become VALUE */
int nft_expr_set_mark(struct nftnl_rule *r, bool ct, uint32_t mask, uint32_t value);
/* an xtables target through nft_compat (NAME, revision REV, its info
 * structure INFO of LEN bytes), e.g. NFQUEUE where nft_queue is not built */
int nft_expr_xt_target(struct nftnl_rule *r, const char *name, uint32_t rev, const void *info, size_t len);

/* ---- matches, appended to a rule; each loads into NFT_REG_1 and returns
 * 0 or -ENOMEM; a rule that matches goes on to its next expression ---- */

/* meta nfproto: FAMILY is AF_INET (ipv4) or AF_INET6 (ipv6) */
int nft_match_nfproto(struct nftnl_rule *r, int family);
/* The source or destination address lies in C (op NFT_CMP_EQ) or not
 * (NFT_CMP_NEQ); implies nft_match_nfproto for C's family. */
int nft_match_addr(struct nftnl_rule *r, const struct cidr *c, bool source, uint32_t op);
/* meta l4proto PROTO (IPPROTO_TCP, ...) */
int nft_match_l4proto(struct nftnl_rule *r, uint8_t proto);
/* The transport header's destination port (tcp and udp alike) in [LO, HI]. */
int nft_match_dport(struct nftnl_rule *r, uint16_t lo, uint16_t hi);
/* ct mark (CT) or the packet's mark, masked with MASK, equals VALUE */
int nft_match_mark(struct nftnl_rule *r, bool ct, uint32_t mask, uint32_t value);
/* icmpv6 type TYPE */
int nft_match_icmpv6_type(struct nftnl_rule *r, uint8_t type);

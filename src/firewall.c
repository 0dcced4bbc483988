/* The host-side firewall of `net veth` jobs (see brig/firewall.h).
 *
 * brig's table, `table inet brig`, has a fixed skeleton shared by all jobs
 * and per-job state that one batch adds and one batch removes, so a job's
 * state is always there entirely or not at all:
 *
 *   map job_forward { type ifname : verdict }  "brig-x" : jump job-<id>
 *   map job_input   { type ifname : verdict }  "brig-x" : jump jobin-<id>
 *   set masq4 { type ipv4_addr }, set masq6 { type ipv6_addr }
 *   chain forward     (filter hook forward priority -1, policy accept)
 *       iifname vmap @job_forward
 *       iifname "brig-*" drop                       stale or foreign brig links
 *       oifname "brig-*" ct state established,related accept
 *       oifname "brig-*" drop                       nothing opens a connection to a job
 *   chain input       (filter hook input priority -1, policy accept)
 *       iifname vmap @job_input
 *       iifname "brig-*" drop
 *   chain postrouting (nat hook postrouting priority 100)
 *       ip saddr @masq4 oifname != "brig-*" masquerade    (and ip6, @masq6)
 *   counter <id>-spoof, <id>-metadata, <id>-host, <id>-private, <id>-policy
 *   chain job-<id>    the job's forwarded traffic, in firewall.h's order
 *   chain jobin-<id>  the job's traffic to the host itself
 *
 * The maps are not called "fwd" and "in": both are nft keywords, and
 * `nft list` output must read back.
 *
 * The job chain's comment records the map and set keys ("IFNAME ADDR4
 * ADDR6"), so that removal needs only the id. Set elements carry the id
 * as their comment, for people reading `nft list table inet brig`. */
#include "brig/firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/udata.h>

#include "brig/nft.h"

#define MAP_FORWARD "job_forward"
#define MAP_INPUT "job_input"
#define SET_MASQ4 "masq4"
#define SET_MASQ6 "masq6"
#define LINK_PREFIX "brig-"
#define CHAIN_REFUSE "refuse"
#define ID_MAX 64

enum counter_class { C_SPOOF, C_METADATA, C_HOST, C_PRIVATE, C_POLICY, C_COUNT };
static const char *const class_name[C_COUNT] = { "spoof", "metadata", "host", "private", "policy" };

static const char *const private_ranges[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7",
};

static const struct {
	const char *cidr;
	bool derive; /* also block its IPv4-mapped, NAT64 and 6to4 forms */
} blocklist[] = {
#define BLOCK4(c, why) { c, true },
#define BLOCK(c, why) { c, false },
#include "net_blocklist.def"
#undef BLOCK4
#undef BLOCK
};

/* ---- pure parts ---- */

static unsigned addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

bool firewall_cidr_within(const struct cidr *inner, const struct cidr *outer)
{
	if (inner->family != outer->family || inner->prefix < outer->prefix)
		return false;
	unsigned full = outer->prefix / 8, rest = outer->prefix % 8;
	if (memcmp(inner->addr, outer->addr, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((inner->addr[full] & mask) != (outer->addr[full] & mask))
			return false;
	}
	return true;
}

static struct cidr embed4(const struct cidr *v4, const uint8_t *prefix, unsigned prefix_len, unsigned at)
{
	struct cidr c = { .family = AF_INET6, .prefix = at * 8 + v4->prefix };
	memcpy(c.addr, prefix, prefix_len);
	memcpy(c.addr + at, v4->addr, 4);
	return c;
}

int firewall_blocklist(struct cidr *out, size_t max)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };     /* ::ffff:0:0/96 */
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };         /* 64:ff9b::/96 */
	static const uint8_t sixto4[2] = { 0x20, 0x02 };                     /* 2002::/16 */
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(blocklist); i++) {
		struct cidr c;
		int r = parse_cidr(blocklist[i].cidr, &c);
		if (r < 0)
			return r;
		if (n + (blocklist[i].derive ? 4 : 1) > max)
			return -ENOBUFS;
		out[n++] = c;
		if (!blocklist[i].derive)
			continue;
		if (c.family != AF_INET)
			return -EINVAL;
		out[n++] = embed4(&c, mapped, sizeof mapped, 12);
		out[n++] = embed4(&c, nat64, sizeof nat64, 12);
		out[n++] = embed4(&c, sixto4, sizeof sixto4, 2);
	}
	return (int)n;
}

static bool valid_id(const char *id)
{
	size_t len = id ? strlen(id) : 0;
	if (len == 0 || len > ID_MAX)
		return false;
	for (const char *p = id; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == '"' || *p == '\\')
			return false;
	return true;
}

/* ---- rule building ---- */

static void rule_freep(struct nftnl_rule **r)
{
	if (*r)
		nftnl_rule_free(*r);
}
static void chain_freep(struct nftnl_chain **c)
{
	if (*c)
		nftnl_chain_free(*c);
}
static void set_freep(struct nftnl_set **s)
{
	if (*s)
		nftnl_set_free(*s);
}
static void obj_freep(struct nftnl_obj **o)
{
	if (*o)
		nftnl_obj_free(*o);
}
static void table_freep(struct nftnl_table **t)
{
	if (*t)
		nftnl_table_free(*t);
}
static void udata_freep(struct nftnl_udata_buf **u)
{
	if (*u)
		nftnl_udata_buf_free(*u);
}

static struct nftnl_rule *rule_new(const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, FIREWALL_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

static int match_nfproto(struct nftnl_rule *r, int family)
{
	uint8_t proto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	return nft_expr_meta(r, NFT_META_NFPROTO, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, NFT_REG_1, &proto, sizeof proto);
}

/* The source or destination address lies in C (op NFT_CMP_EQ) or not
 * (NFT_CMP_NEQ). Loads only the bytes the prefix covers, masking the last
 * partial one, as nft itself does. */
static int match_addr(struct nftnl_rule *r, const struct cidr *c, bool source, uint32_t op)
{
	int ret = match_nfproto(r, c->family);
	if (ret || c->prefix == 0)
		return ret;
	uint32_t off = c->family == AF_INET ? (source ? 12 : 16) : (source ? 8 : 24);
	/* A byte-aligned prefix loads just its bytes; another loads the whole
	 * address and masks it (so that `nft list` prints "ip daddr A/P"). */
	uint32_t len = c->prefix % 8 ? addr_len(c->family) : c->prefix / 8;
	ret = nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, len, NFT_REG_1);
	if (ret)
		return ret;
	uint8_t data[16];
	memcpy(data, c->addr, len);
	if (c->prefix % 8) {
		uint8_t mask[16] = { 0 }, zero[16] = { 0 };
		memset(mask, 0xff, c->prefix / 8);
		mask[c->prefix / 8] = (uint8_t)(0xff << (8 - c->prefix % 8));
		for (uint32_t i = 0; i < len; i++)
			data[i] &= mask[i];
		ret = nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, mask, zero, len);
		if (ret)
			return ret;
	}
	return nft_expr_cmp(r, op, NFT_REG_1, data, len);
}

static int match_l4proto(struct nftnl_rule *r, uint8_t proto)
{
	return nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, NFT_REG_1, &proto, sizeof proto);
}

/* The transport header's destination port (tcp and udp alike) in [lo, hi];
 * ports are big-endian, so byte-wise comparison orders them right. */
static int match_dport(struct nftnl_rule *r, uint16_t lo, uint16_t hi)
{
	uint16_t blo = htons(lo), bhi = htons(hi);
	int ret = nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	if (ret)
		return ret;
	if (lo == hi)
		return nft_expr_cmp(r, NFT_CMP_EQ, NFT_REG_1, &blo, 2);
	return nft_expr_cmp(r, NFT_CMP_GTE, NFT_REG_1, &blo, 2) ?:
	       nft_expr_cmp(r, NFT_CMP_LTE, NFT_REG_1, &bhi, 2);
}

/* iifname/oifname "brig-*": the cmp covers only the prefix's bytes. */
static int match_link_prefix(struct nftnl_rule *r, uint32_t key, uint32_t op)
{
	return nft_expr_meta(r, key, NFT_REG_1) ?:
	       nft_expr_cmp(r, op, NFT_REG_1, LINK_PREFIX, sizeof LINK_PREFIX - 1);
}

static int match_icmpv6_type(struct nftnl_rule *r, uint8_t type)
{
	return match_nfproto(r, AF_INET6) ?: match_l4proto(r, IPPROTO_ICMPV6) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, NFT_REG_1, &type, 1);
}

static int counted_reject(struct nftnl_rule *r, const char *counter)
{
	return nft_expr_counter_ref(r, counter) ?: nft_expr_verdict(r, NFT_GOTO, CHAIN_REFUSE);
}

static int append(struct nft_batch *b, struct nftnl_rule *r)
{
	return nft_batch_rule(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, r);
}

/* ---- the skeleton ---- */

static int add_set(struct nft_batch *b, const char *name, uint32_t key_type, uint32_t key_len, bool vmap,
		   uint32_t id)
{
	_cleanup_(set_freep) struct nftnl_set *s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, FIREWALL_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	if (vmap) {
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	}
	/* Only for `nft list`: interface names are strings in host byte
	 * order (nft's BYTEORDER_HOST_ENDIAN), addresses big-endian. */
	_cleanup_(udata_freep) struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(16);
	if (!u || !nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, key_type == NFT_TYPE_IFNAME ? 1 : 2))
		return -ENOMEM;
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	return nft_batch_set(b, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL, s);
}

static int add_base_chain(struct nft_batch *b, const char *name, const char *type, uint32_t hook, int32_t prio)
{
	_cleanup_(chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FIREWALL_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	return nft_batch_chain(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, c);
}

/* CHAIN: iifname vmap @MAP; iifname "brig-*" drop */
static int add_dispatch(struct nft_batch *b, const char *chain, const char *map)
{
	_cleanup_(rule_freep) struct nftnl_rule *r1 = rule_new(chain);
	_cleanup_(rule_freep) struct nftnl_rule *r2 = rule_new(chain);
	if (!r1 || !r2)
		return -ENOMEM;
	return nft_expr_meta(r1, NFT_META_IIFNAME, NFT_REG_1) ?:
	       nft_expr_lookup(r1, NFT_REG_1, map, NFT_REG_VERDICT) ?: append(b, r1) ?:
	       match_link_prefix(r2, NFT_META_IIFNAME, NFT_CMP_EQ) ?: nft_expr_verdict(r2, NF_DROP, NULL) ?:
	       append(b, r2);
}

static int add_masq(struct nft_batch *b, int family, const char *set)
{
	_cleanup_(rule_freep) struct nftnl_rule *r = rule_new("postrouting");
	if (!r)
		return -ENOMEM;
	return match_nfproto(r, family) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, family == AF_INET ? 12 : 8, addr_len(family),
				NFT_REG_1) ?:
	       nft_expr_lookup(r, NFT_REG_1, set, -1) ?:
	       match_link_prefix(r, NFT_META_OIFNAME, NFT_CMP_NEQ) ?: nft_expr_masq(r) ?: append(b, r);
}

static int add_chain(struct nft_batch *b, const char *name, const char *comment);

/* How every rejection ends: a TCP reset for TCP, else ICMP administratively
 * prohibited. Not ICMP for TCP too: the job's kernel receives it while
 * connect() still holds the socket, takes it as a soft error and waits for
 * its SYN retransmit (a second, at least); a reset is queued and honoured. */
static int add_refuse(struct nft_batch *b)
{
	_cleanup_(rule_freep) struct nftnl_rule *tcp = rule_new(CHAIN_REFUSE);
	_cleanup_(rule_freep) struct nftnl_rule *other = rule_new(CHAIN_REFUSE);
	if (!tcp || !other)
		return -ENOMEM;
	return add_chain(b, CHAIN_REFUSE, NULL) ?:
	       match_l4proto(tcp, IPPROTO_TCP) ?: nft_expr_reject(tcp, NFT_REJECT_TCP_RST, 0) ?: append(b, tcp) ?:
	       nft_expr_reject(other, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED) ?:
	       append(b, other);
}

static int create_skeleton(void)
{
	_cleanup_(nft_batch_freep) struct nft_batch *b = NULL;
	_cleanup_(table_freep) struct nftnl_table *t = nftnl_table_alloc();
	_cleanup_(rule_freep) struct nftnl_rule *est = rule_new("forward");
	_cleanup_(rule_freep) struct nftnl_rule *drop = rule_new("forward");
	if (!t || !est || !drop)
		return -ENOMEM;
	int r = nft_batch_new(&b, NFPROTO_INET);
	if (r < 0)
		return r;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, FIREWALL_TABLE);
	/* EXCL: a table that exists is left alone, whole batch included. */
	r = nft_batch_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, t) ?:
	    add_set(b, MAP_FORWARD, NFT_TYPE_IFNAME, IFNAMSIZ, true, 1) ?:
	    add_set(b, MAP_INPUT, NFT_TYPE_IFNAME, IFNAMSIZ, true, 2) ?:
	    add_set(b, SET_MASQ4, NFT_TYPE_IPADDR, 4, false, 3) ?:
	    add_set(b, SET_MASQ6, NFT_TYPE_IP6ADDR, 16, false, 4) ?:
	    add_base_chain(b, "forward", "filter", NF_INET_FORWARD, -1) ?:
	    add_dispatch(b, "forward", MAP_FORWARD) ?:
	    match_link_prefix(est, NFT_META_OIFNAME, NFT_CMP_EQ) ?:
	    nft_expr_ct_state(est, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED)) ?:
	    nft_expr_verdict(est, NF_ACCEPT, NULL) ?: append(b, est) ?:
	    match_link_prefix(drop, NFT_META_OIFNAME, NFT_CMP_EQ) ?: nft_expr_verdict(drop, NF_DROP, NULL) ?:
	    append(b, drop) ?:
	    add_base_chain(b, "input", "filter", NF_INET_LOCAL_IN, -1) ?:
	    add_dispatch(b, "input", MAP_INPUT) ?:
	    add_refuse(b) ?:
	    add_base_chain(b, "postrouting", "nat", NF_INET_POST_ROUTING, 100) ?:
	    add_masq(b, AF_INET, SET_MASQ4) ?: add_masq(b, AF_INET6, SET_MASQ6);
	if (r < 0)
		return r;
	r = nft_batch_send(b);
	return r == -EEXIST ? 0 : r;
}

/* ---- a job's state ---- */

static int counter_name(char *buf, size_t len, const char *id, enum counter_class c)
{
	int n = snprintf(buf, len, "%s-%s", id, class_name[c]);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

struct job_chain {
	struct nft_batch *b;
	const char *chain;
	const char *id;
};

/* One rule: MATCH..., then either a counted reject into counter CLS, a
 * counted drop, or a plain verdict. */
enum action { A_ACCEPT, A_REJECT, A_DROP, A_DROP_QUIET };

static int finish(struct job_chain *jc, struct nftnl_rule *r, enum action a, enum counter_class cls)
{
	char cname[ID_MAX + 16];
	int ret = counter_name(cname, sizeof cname, jc->id, cls);
	if (ret)
		return ret;
	switch (a) {
	case A_ACCEPT:
		ret = nft_expr_verdict(r, NF_ACCEPT, NULL);
		break;
	case A_REJECT:
		ret = counted_reject(r, cname);
		break;
	case A_DROP:
		ret = nft_expr_counter_ref(r, cname) ?: nft_expr_verdict(r, NF_DROP, NULL);
		break;
	case A_DROP_QUIET:
		ret = nft_expr_verdict(r, NF_DROP, NULL);
		break;
	}
	return ret ?: append(jc->b, r);
}

static int rule_dst(struct job_chain *jc, const struct cidr *dst, enum action a, enum counter_class cls)
{
	_cleanup_(rule_freep) struct nftnl_rule *r = rule_new(jc->chain);
	if (!r)
		return -ENOMEM;
	return match_addr(r, dst, false, NFT_CMP_EQ) ?: finish(jc, r, a, cls);
}

/* Drop what does not come from the job's own address of FAMILY (all of
 * that family when the job has none). */
static int rule_spoof(struct job_chain *jc, int family, const struct cidr *own)
{
	_cleanup_(rule_freep) struct nftnl_rule *r = rule_new(jc->chain);
	if (!r)
		return -ENOMEM;
	int ret = own->family == family ? match_addr(r, own, true, NFT_CMP_NEQ) : match_nfproto(r, family);
	return ret ?: finish(jc, r, A_DROP, C_SPOOF);
}

/* DNS: udp and tcp port 53 to each resolver. */
static int rules_dns(struct job_chain *jc, const struct fw_job *j)
{
	static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP };
	for (size_t i = 0; i < j->n_dns; i++)
		for (size_t p = 0; p < ARRAY_SIZE(protos); p++) {
			_cleanup_(rule_freep) struct nftnl_rule *r = rule_new(jc->chain);
			if (!r)
				return -ENOMEM;
			int ret = match_addr(r, &j->dns[i], false, NFT_CMP_EQ) ?: match_l4proto(r, protos[p]) ?:
				  match_dport(r, 53, 53) ?: finish(jc, r, A_ACCEPT, C_POLICY);
			if (ret)
				return ret;
		}
	return 0;
}

/* A profile rule: with ports and no protocol, one rule each for tcp and udp. */
static int rules_profile(struct job_chain *jc, const struct fw_rule *fr)
{
	bool ports = fr->port_lo || fr->port_hi;
	uint8_t protos[2];
	size_t n = 0;
	if (fr->proto)
		protos[n++] = fr->proto;
	else if (ports) {
		protos[n++] = IPPROTO_TCP;
		protos[n++] = IPPROTO_UDP;
	}
	enum action a = fr->allow ? A_ACCEPT : A_REJECT;
	if (n == 0)
		return rule_dst(jc, &fr->dst, a, C_POLICY);
	for (size_t i = 0; i < n; i++) {
		_cleanup_(rule_freep) struct nftnl_rule *r = rule_new(jc->chain);
		if (!r)
			return -ENOMEM;
		int ret = match_addr(r, &fr->dst, false, NFT_CMP_EQ) ?: match_l4proto(r, protos[i]);
		if (!ret && ports)
			ret = match_dport(r, fr->port_lo, fr->port_hi ? fr->port_hi : fr->port_lo);
		ret = ret ?: finish(jc, r, a, C_POLICY);
		if (ret)
			return ret;
	}
	return 0;
}

static bool in_private_range(const struct cidr *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(private_ranges); i++) {
		struct cidr p;
		if (parse_cidr(private_ranges[i], &p) == 0 && firewall_cidr_within(c, &p))
			return true;
	}
	return false;
}

static int add_job_forward_rules(struct job_chain *jc, const struct fw_job *j)
{
	int ret;
	/* 1. spoof */
	if ((ret = rule_spoof(jc, AF_INET, &j->addr4)) || (ret = rule_spoof(jc, AF_INET6, &j->addr6)))
		return ret;
	/* Replies and the rest of flows already let through: only a new flow
	 * walks the list below, which keeps throughput as without brig. */
	{
		_cleanup_(rule_freep) struct nftnl_rule *r = rule_new(jc->chain);
		if (!r)
			return -ENOMEM;
		ret = nft_expr_ct_state(r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED)) ?:
		      finish(jc, r, A_ACCEPT, C_POLICY);
		if (ret)
			return ret;
	}
	/* 2. metadata */
	struct cidr block[4 * ARRAY_SIZE(blocklist)];
	int n = firewall_blocklist(block, ARRAY_SIZE(block));
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if ((ret = rule_dst(jc, &block[i], A_REJECT, C_METADATA)))
			return ret;
	/* 3. the other jobs (the host itself is the input hook's) */
	if (j->pool4.family && (ret = rule_dst(jc, &j->pool4, A_REJECT, C_HOST)))
		return ret;
	if (j->pool6.family && (ret = rule_dst(jc, &j->pool6, A_REJECT, C_HOST)))
		return ret;
	/* 4. DNS */
	if ((ret = rules_dns(jc, j)))
		return ret;
	/* 6a. deny rules win over any allow, so they come first */
	for (size_t i = 0; i < j->n_rules; i++)
		if (!j->rules[i].allow && (ret = rules_profile(jc, &j->rules[i])))
			return ret;
	/* 5. private ranges, opened by the allow rules that lie within one */
	for (size_t i = 0; i < j->n_rules; i++)
		if (j->rules[i].allow && in_private_range(&j->rules[i].dst) &&
		    (ret = rules_profile(jc, &j->rules[i])))
			return ret;
	for (size_t i = 0; i < ARRAY_SIZE(private_ranges); i++) {
		struct cidr p;
		if ((ret = parse_cidr(private_ranges[i], &p)) || (ret = rule_dst(jc, &p, A_REJECT, C_PRIVATE)))
			return ret;
	}
	/* 6b. the other allow rules, then the default */
	for (size_t i = 0; i < j->n_rules; i++)
		if (j->rules[i].allow && !in_private_range(&j->rules[i].dst) &&
		    (ret = rules_profile(jc, &j->rules[i])))
			return ret;
	_cleanup_(rule_freep) struct nftnl_rule *r = rule_new(jc->chain);
	if (!r)
		return -ENOMEM;
	return j->default_allow ? finish(jc, r, A_ACCEPT, C_POLICY) : finish(jc, r, A_REJECT, C_POLICY);
}

/* To the host itself: neighbour discovery (IPv6 to the gateway needs it),
 * DNS when a resolver is one of the host's addresses, nothing else. */
static int add_job_input_rules(struct job_chain *jc, const struct fw_job *j)
{
	static const uint8_t nd[] = { 135, 136 }; /* neighbour solicitation, advertisement */
	for (size_t i = 0; i < ARRAY_SIZE(nd); i++) {
		_cleanup_(rule_freep) struct nftnl_rule *r = rule_new(jc->chain);
		if (!r)
			return -ENOMEM;
		int ret = match_icmpv6_type(r, nd[i]) ?: finish(jc, r, A_ACCEPT, C_HOST);
		if (ret)
			return ret;
	}
	/* The job's kernel talks to the link on its own (router solicitations,
	 * multicast listener reports) from its link-local or the unspecified
	 * address: not spoofing, nothing to count. */
	static const char *const own_link[] = { "fe80::/10", "::/128" };
	int ret;
	for (size_t i = 0; i < ARRAY_SIZE(own_link); i++) {
		struct cidr c;
		_cleanup_(rule_freep) struct nftnl_rule *r = rule_new(jc->chain);
		if (!r)
			return -ENOMEM;
		if ((ret = parse_cidr(own_link[i], &c)) || (ret = match_addr(r, &c, true, NFT_CMP_EQ)) ||
		    (ret = finish(jc, r, A_DROP_QUIET, C_SPOOF)))
			return ret;
	}
	if ((ret = rule_spoof(jc, AF_INET, &j->addr4)) || (ret = rule_spoof(jc, AF_INET6, &j->addr6)) ||
	    (ret = rules_dns(jc, j)))
		return ret;
	_cleanup_(rule_freep) struct nftnl_rule *r = rule_new(jc->chain);
	if (!r)
		return -ENOMEM;
	return finish(jc, r, A_REJECT, C_HOST);
}

static int add_chain(struct nft_batch *b, const char *name, const char *comment)
{
	_cleanup_(chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	_cleanup_(udata_freep) struct nftnl_udata_buf *u = NULL;
	if (!c)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FIREWALL_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (comment) {
		u = nftnl_udata_buf_alloc(256);
		if (!u || !nftnl_udata_put_strz(u, NFTNL_UDATA_CHAIN_COMMENT, comment))
			return -ENOMEM;
		nftnl_chain_set_data(c, NFTNL_CHAIN_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	}
	return nft_batch_chain(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, c);
}

static int counter_msg(struct nft_batch *b, const char *id, enum counter_class cls, uint16_t type, uint16_t flags)
{
	char name[ID_MAX + 16];
	_cleanup_(obj_freep) struct nftnl_obj *o = nftnl_obj_alloc();
	if (!o)
		return -ENOMEM;
	int ret = counter_name(name, sizeof name, id, cls);
	if (ret)
		return ret;
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, FIREWALL_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	if (type == NFT_MSG_NEWOBJ) {
		nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_PKTS, 0);
		nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_BYTES, 0);
	}
	return nft_batch_obj(b, type, flags, o);
}

static int counters_msg(struct nft_batch *b, const char *id, uint16_t type, uint16_t flags)
{
	int ret = 0;
	for (int i = 0; !ret && i < C_COUNT; i++)
		ret = counter_msg(b, id, i, type, flags);
	return ret;
}

/* One element of set SET: KEY (LEN bytes), mapped to `jump CHAIN` when
 * CHAIN is given; ID as its comment (additions only). */
static int elem_msg(struct nft_batch *b, uint16_t type, uint16_t flags, const char *set, const void *key,
		    uint32_t len, const char *chain, const char *id)
{
	_cleanup_(set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_(udata_freep) struct nftnl_udata_buf *u = NULL;
	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, FIREWALL_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	if (!e)
		return -ENOMEM;
	nftnl_set_elem_add(s, e); /* the set frees it */
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
	if (chain && type == NFT_MSG_NEWSETELEM) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_JUMP);
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain);
	}
	if (id && type == NFT_MSG_NEWSETELEM) {
		u = nftnl_udata_buf_alloc(128);
		if (!u || !nftnl_udata_put_strz(u, NFTNL_UDATA_SET_ELEM_COMMENT, id))
			return -ENOMEM;
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	}
	return nft_batch_elems(b, type, flags, s);
}

/* The keys a job's state is filed under. */
struct job_keys {
	char ifname[IFNAMSIZ]; /* zero-padded: the map key */
	struct cidr addr4, addr6;
};

static int elems_msgs(struct nft_batch *b, uint16_t type, uint16_t flags, const struct job_keys *k, const char *fwd,
		      const char *in, const char *id)
{
	int ret = elem_msg(b, type, flags, MAP_FORWARD, k->ifname, IFNAMSIZ, fwd, id) ?:
		  elem_msg(b, type, flags, MAP_INPUT, k->ifname, IFNAMSIZ, in, id);
	/* Not exclusive: an address element is the one piece that can outlive
	 * its job (the map elements hold the chains, which hold the keys), if
	 * someone deletes a job chain by hand; it must not block the address
	 * for ever. Two live jobs never share an address: the pool sees to it. */
	uint16_t addr_flags = flags & ~NLM_F_EXCL;
	if (!ret && k->addr4.family == AF_INET)
		ret = elem_msg(b, type, addr_flags, SET_MASQ4, k->addr4.addr, 4, NULL, id);
	if (!ret && k->addr6.family == AF_INET6)
		ret = elem_msg(b, type, addr_flags, SET_MASQ6, k->addr6.addr, 16, NULL, id);
	return ret;
}

static void format_key(const struct cidr *c, char *buf, size_t len)
{
	if (c->family)
		format_cidr(c, buf, len);
	else
		snprintf(buf, len, "-");
}

static int job_batch(const struct fw_job *j, struct nft_batch **out)
{
	char fwd[ID_MAX + 8], in[ID_MAX + 8], a4[48], a6[48], comment[IFNAMSIZ + 100];
	struct job_keys k = { .addr4 = j->addr4, .addr6 = j->addr6 };
	snprintf(fwd, sizeof fwd, "job-%s", j->id);
	snprintf(in, sizeof in, "jobin-%s", j->id);
	memcpy(k.ifname, j->ifname, strlen(j->ifname)); /* checked: shorter than IFNAMSIZ */
	format_key(&j->addr4, a4, sizeof a4);
	format_key(&j->addr6, a6, sizeof a6);
	snprintf(comment, sizeof comment, "%s %s %s", j->ifname, a4, a6);

	_cleanup_(nft_batch_freep) struct nft_batch *b = NULL;
	int ret = nft_batch_new(&b, NFPROTO_INET);
	if (ret)
		return ret;
	struct job_chain jf = { b, fwd, j->id }, ji = { b, in, j->id };
	ret = counters_msg(b, j->id, NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_EXCL) ?:
	      add_chain(b, fwd, comment) ?: add_job_forward_rules(&jf, j) ?:
	      add_chain(b, in, NULL) ?: add_job_input_rules(&ji, j) ?:
	      elems_msgs(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, &k, fwd, in, j->id);
	if (ret)
		return ret;
	*out = TAKE_PTR(b);
	return 0;
}

static bool valid_host(const struct cidr *c, int family)
{
	return c->family == 0 || (c->family == family && c->prefix == addr_len(family) * 8);
}

int firewall_job_add(const struct fw_job *j)
{
	if (!j || !valid_id(j->id) || !j->ifname || !*j->ifname || strlen(j->ifname) >= IFNAMSIZ ||
	    strchr(j->ifname, ' ') || !valid_host(&j->addr4, AF_INET) || !valid_host(&j->addr6, AF_INET6) ||
	    (j->n_dns && !j->dns) || (j->n_rules && !j->rules))
		return -EINVAL;
	for (size_t i = 0; i < j->n_dns; i++)
		if (j->dns[i].family != AF_INET && j->dns[i].family != AF_INET6)
			return -EINVAL;
	for (size_t i = 0; i < j->n_rules; i++)
		if ((j->rules[i].dst.family != AF_INET && j->rules[i].dst.family != AF_INET6) ||
		    (j->rules[i].port_hi && j->rules[i].port_hi < j->rules[i].port_lo))
			return -EINVAL;

	/* The table is usually there: try the job first, build the skeleton
	 * only when the kernel says something is missing. */
	for (int attempt = 0;; attempt++) {
		_cleanup_(nft_batch_freep) struct nft_batch *b = NULL;
		int ret = job_batch(j, &b);
		if (ret)
			return ret;
		ret = nft_batch_send(b);
		if (ret != -ENOENT || attempt == 1)
			return ret;
		if ((ret = create_skeleton()) < 0)
			return ret;
	}
}

/* ---- reading state back ---- */

struct chain_comment {
	char text[256];
	bool found;
};

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	struct chain_comment *cc = data;
	/* A udata length is one byte: it always fits. */
	if (nftnl_udata_type(attr) == NFTNL_UDATA_CHAIN_COMMENT) {
		memcpy(cc->text, nftnl_udata_get(attr), nftnl_udata_len(attr));
		cc->text[sizeof cc->text - 1] = 0;
	}
	return 0;
}

static int chain_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chain_comment *cc = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0) {
		cc->found = true;
		uint32_t len = 0;
		const void *ud = nftnl_chain_get_data(c, NFTNL_CHAIN_USERDATA, &len);
		if (ud)
			nftnl_udata_parse(ud, len, comment_cb, cc);
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

/* The job chain's comment: whether it exists, and its keys. */
static int read_job_keys(const char *id, struct job_keys *k, bool *exists)
{
	char name[ID_MAX + 8];
	snprintf(name, sizeof name, "job-%s", id);
	_cleanup_(chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FIREWALL_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	struct chain_comment cc = { .found = false };
	int ret = nft_query(NFT_MSG_GETCHAIN, NFPROTO_INET, 0, nft_build_chain, c, chain_get_cb, &cc);
	*exists = false;
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	*exists = cc.found;
	memset(k, 0, sizeof *k);
	char ifname[IFNAMSIZ + 1], a4[64], a6[64];
	if (sscanf(cc.text, "%16s %63s %63s", ifname, a4, a6) != 3 || strlen(ifname) >= IFNAMSIZ)
		return -EBADMSG;
	memcpy(k->ifname, ifname, strlen(ifname));
	if ((strcmp(a4, "-") && parse_cidr(a4, &k->addr4) < 0) || (strcmp(a6, "-") && parse_cidr(a6, &k->addr6) < 0))
		return -EBADMSG;
	return 0;
}

static int del_chain(struct nft_batch *b, const char *name)
{
	_cleanup_(chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	_cleanup_(rule_freep) struct nftnl_rule *flush = rule_new(name);
	if (!c || !flush)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FIREWALL_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	/* A rule message with no handle flushes the chain; then the (empty)
	 * chain goes, which every kernel with nftables accepts. */
	return nft_batch_rule(b, NFT_MSG_DELRULE, 0, flush) ?: nft_batch_chain(b, NFT_MSG_DELCHAIN, 0, c);
}

static int counters_present(const char *id, unsigned *mask);

/* Sends one piece of a removal as its own batch; what is gone already is
 * fine. Pieces in an order that keeps the job chain, which holds the keys,
 * for last but the counters its rules use. */
static int remove_piece(const struct job_keys *k, int piece, const char *fwd, const char *in)
{
	_cleanup_(nft_batch_freep) struct nft_batch *b = NULL;
	int ret = nft_batch_new(&b, NFPROTO_INET);
	if (ret)
		return ret;
	switch (piece) {
	case 0: ret = elem_msg(b, NFT_MSG_DELSETELEM, 0, MAP_FORWARD, k->ifname, IFNAMSIZ, NULL, NULL); break;
	case 1: ret = elem_msg(b, NFT_MSG_DELSETELEM, 0, MAP_INPUT, k->ifname, IFNAMSIZ, NULL, NULL); break;
	case 2:
		if (k->addr4.family != AF_INET)
			return 0;
		ret = elem_msg(b, NFT_MSG_DELSETELEM, 0, SET_MASQ4, k->addr4.addr, 4, NULL, NULL);
		break;
	case 3:
		if (k->addr6.family != AF_INET6)
			return 0;
		ret = elem_msg(b, NFT_MSG_DELSETELEM, 0, SET_MASQ6, k->addr6.addr, 16, NULL, NULL);
		break;
	case 4: ret = del_chain(b, in); break;
	case 5: ret = del_chain(b, fwd); break;
	default: return 0;
	}
	ret = ret ?: nft_batch_send(b);
	return ret == -ENOENT ? 0 : ret;
}

/* Counters whose chains are gone: only if a removal was cut short half
 * way through its fallback (below), or someone edited the table. */
static int remove_counters(const char *id)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		unsigned mask = 0;
		int ret = counters_present(id, &mask);
		if (ret < 0 || mask == 0)
			return ret;
		_cleanup_(nft_batch_freep) struct nft_batch *b = NULL;
		ret = nft_batch_new(&b, NFPROTO_INET);
		for (int i = 0; !ret && i < C_COUNT; i++)
			if (mask & (1u << i))
				ret = counter_msg(b, id, i, NFT_MSG_DELOBJ, 0);
		ret = ret ?: nft_batch_send(b);
		if (ret != -ENOENT)
			return ret;
	}
	return -ENOENT;
}

int firewall_job_remove(const char *id)
{
	if (!valid_id(id))
		return -EINVAL;
	char fwd[ID_MAX + 8], in[ID_MAX + 8];
	snprintf(fwd, sizeof fwd, "job-%s", id);
	snprintf(in, sizeof in, "jobin-%s", id);
	/* ENOENT: a concurrent remove of the same job (its supervisor and
	 * `brig gc`) took it first, or a piece is missing (someone edited the
	 * table): look again, then go piece by piece. */
	for (int attempt = 0; attempt < 3; attempt++) {
		struct job_keys k;
		bool exists;
		int ret = read_job_keys(id, &k, &exists);
		if (ret < 0)
			return ret;
		if (!exists)
			return remove_counters(id);
		if (attempt == 2) {
			for (int piece = 0; piece < 6; piece++)
				if ((ret = remove_piece(&k, piece, fwd, in)) < 0)
					return ret;
			return remove_counters(id);
		}
		_cleanup_(nft_batch_freep) struct nft_batch *b = NULL;
		ret = nft_batch_new(&b, NFPROTO_INET) ?:
		      elems_msgs(b, NFT_MSG_DELSETELEM, 0, &k, NULL, NULL, NULL) ?:
		      del_chain(b, fwd) ?: del_chain(b, in) ?:
		      counters_msg(b, id, NFT_MSG_DELOBJ, 0) ?: nft_batch_send(b);
		if (ret != -ENOENT)
			return ret;
	}
	return -ENOENT;
}

struct counters_ctx {
	const char *id;
	struct fw_counters *out;
	unsigned present; /* bit per counter_class */
};

static uint64_t *counter_slot(struct fw_counters *c, enum counter_class cls)
{
	switch (cls) {
	case C_SPOOF: return &c->spoof;
	case C_METADATA: return &c->metadata;
	case C_HOST: return &c->host;
	case C_PRIVATE: return &c->private_ranges;
	default: return &c->policy;
	}
}

static int counters_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counters_ctx *ctx = data;
	struct nftnl_obj *o = nftnl_obj_alloc();
	if (!o)
		return MNL_CB_ERROR;
	if (nftnl_obj_nlmsg_parse(nlh, o) == 0 && nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) == NFT_OBJECT_COUNTER) {
		const char *name = nftnl_obj_get_str(o, NFTNL_OBJ_NAME);
		const char *table = nftnl_obj_get_str(o, NFTNL_OBJ_TABLE);
		size_t idlen = strlen(ctx->id);
		if (name && table && strcmp(table, FIREWALL_TABLE) == 0 && strncmp(name, ctx->id, idlen) == 0 &&
		    name[idlen] == '-')
			for (int i = 0; i < C_COUNT; i++)
				if (strcmp(name + idlen + 1, class_name[i]) == 0) {
					ctx->present |= 1u << i;
					if (ctx->out)
						*counter_slot(ctx->out, i) = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
				}
	}
	nftnl_obj_free(o);
	return MNL_CB_OK;
}

static int dump_counters(mnl_cb_t cb, void *ctx)
{
	_cleanup_(obj_freep) struct nftnl_obj *o = nftnl_obj_alloc();
	if (!o)
		return -ENOMEM;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, FIREWALL_TABLE);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	int ret = nft_query(NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_DUMP, nft_build_obj, o, cb, ctx);
	return ret == -ENOENT ? 0 : ret;
}

static int counters_present(const char *id, unsigned *mask)
{
	for (int attempt = 0;; attempt++) {
		struct counters_ctx ctx = { .id = id };
		int ret = dump_counters(counters_cb, &ctx);
		*mask = ctx.present;
		if (ret != -EINTR || attempt == 4)
			return ret;
	}
}

int firewall_job_counters(const char *id, struct fw_counters *out)
{
	if (!valid_id(id) || !out)
		return -EINVAL;
	for (int attempt = 0;; attempt++) {
		memset(out, 0, sizeof *out);
		struct counters_ctx ctx = { .id = id, .out = out };
		int ret = dump_counters(counters_cb, &ctx);
		/* EINTR: the table changed during the dump (another job). */
		if (ret != -EINTR || attempt == 4)
			return ret;
	}
}

struct list_ctx {
	char **ids;
	size_t n, cap;
	int err;
};

static void list_add(struct list_ctx *l, const char *id, size_t len)
{
	if (l->err || len == 0)
		return;
	for (size_t i = 0; i < l->n; i++)
		if (strlen(l->ids[i]) == len && strncmp(l->ids[i], id, len) == 0)
			return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **p = realloc(l->ids, cap * sizeof *p);
		if (!p) {
			l->err = -ENOMEM;
			return;
		}
		l->ids = p;
		l->cap = cap;
	}
	if (!(l->ids[l->n] = strndup(id, len))) {
		l->err = -ENOMEM;
		return;
	}
	l->n++;
}

static int list_chains_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *l = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0) {
		const char *table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
		const char *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
		if (table && name && strcmp(table, FIREWALL_TABLE) == 0) {
			if (strncmp(name, "job-", 4) == 0)
				list_add(l, name + 4, strlen(name + 4));
			else if (strncmp(name, "jobin-", 6) == 0)
				list_add(l, name + 6, strlen(name + 6));
		}
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int list_objs_cb(const struct nlmsghdr *nlh, void *data)
{
	struct list_ctx *l = data;
	struct nftnl_obj *o = nftnl_obj_alloc();
	if (!o)
		return MNL_CB_ERROR;
	if (nftnl_obj_nlmsg_parse(nlh, o) == 0) {
		const char *table = nftnl_obj_get_str(o, NFTNL_OBJ_TABLE);
		const char *name = nftnl_obj_get_str(o, NFTNL_OBJ_NAME);
		if (table && name && strcmp(table, FIREWALL_TABLE) == 0) {
			const char *dash = strrchr(name, '-');
			for (int i = 0; dash && i < C_COUNT; i++)
				if (strcmp(dash + 1, class_name[i]) == 0)
					list_add(l, name, (size_t)(dash - name));
		}
	}
	nftnl_obj_free(o);
	return MNL_CB_OK;
}

static void list_free(struct list_ctx *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->ids[i]);
	free(l->ids);
	*l = (struct list_ctx){ 0 };
}

int firewall_list_jobs(char ***ids, size_t *n)
{
	if (!ids || !n)
		return -EINVAL;
	for (int attempt = 0;; attempt++) {
		struct list_ctx l = { 0 };
		_cleanup_(chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
		if (!c)
			return -ENOMEM;
		nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FIREWALL_TABLE);
		int ret = nft_query(NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP, nft_build_chain, c, list_chains_cb, &l);
		if (ret == -ENOENT)
			ret = 0;
		if (!ret)
			ret = dump_counters(list_objs_cb, &l);
		if (!ret)
			ret = l.err;
		if (ret) {
			list_free(&l);
			if (ret == -EINTR && attempt < 4)
				continue;
			return ret;
		}
		*ids = l.ids;
		*n = l.n;
		return 0;
	}
}

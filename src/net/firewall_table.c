/* brig's table itself (see src/net/firewall.c for its layout): the skeleton
 * that all jobs share, and the builders of the messages every object of the
 * table is made of, for a job's batch and for its removal. */
#include "brig/net/firewall_table.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

const char *const fw_class_name[C_COUNT] = { "spoof", "metadata", "host", "private", "policy" };

/* ---- rule building ---- */

struct nftnl_rule *fw_rule_new(const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, FIREWALL_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	return r;
}

/* iifname/oifname "brig-*": the cmp covers only the prefix's bytes. */
int fw_match_link_prefix(struct nftnl_rule *r, uint32_t key, uint32_t op)
{
	return nft_expr_meta(r, key, NFT_REG_1) ?:
	       nft_expr_cmp(r, op, NFT_REG_1, LINK_PREFIX, sizeof LINK_PREFIX - 1);
}

int fw_counted_reject(struct nftnl_rule *r, const char *counter)
{
	return nft_expr_counter_ref(r, counter) ?: nft_expr_verdict(r, NFT_GOTO, CHAIN_REFUSE);
}

int fw_append(struct nft_batch *b, struct nftnl_rule *r)
{
	return nft_batch_rule(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, r);
}

/* ---- the skeleton ---- */

static int add_set(struct nft_batch *b, const char *name, uint32_t key_type, uint32_t key_len, bool vmap,
		   uint32_t id)
{
	_cleanup_(nft_set_freep) struct nftnl_set *s = nftnl_set_alloc();
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
	_cleanup_(nft_udata_freep) struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(16);
	if (!u || !nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, key_type == NFT_TYPE_IFNAME ? 1 : 2))
		return -ENOMEM;
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	return nft_batch_set(b, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL, s);
}

int fw_add_base_chain(struct nft_batch *b, const char *name, const char *type, uint32_t hook, int32_t prio)
{
	_cleanup_(nft_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
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
	_cleanup_(nft_rule_freep) struct nftnl_rule *r1 = fw_rule_new(chain);
	_cleanup_(nft_rule_freep) struct nftnl_rule *r2 = fw_rule_new(chain);
	if (!r1 || !r2)
		return -ENOMEM;
	return nft_expr_meta(r1, NFT_META_IIFNAME, NFT_REG_1) ?:
	       nft_expr_lookup(r1, NFT_REG_1, map, NFT_REG_VERDICT) ?: fw_append(b, r1) ?:
	       fw_match_link_prefix(r2, NFT_META_IIFNAME, NFT_CMP_EQ) ?: nft_expr_verdict(r2, NF_DROP, NULL) ?:
	       fw_append(b, r2);
}

static int add_masq(struct nft_batch *b, int family, const char *set)
{
	_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new("postrouting");
	if (!r)
		return -ENOMEM;
	return nft_match_nfproto(r, family) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, family == AF_INET ? 12 : 8, fw_addr_len(family),
				NFT_REG_1) ?:
	       nft_expr_lookup(r, NFT_REG_1, set, -1) ?:
	       fw_match_link_prefix(r, NFT_META_OIFNAME, NFT_CMP_NEQ) ?: nft_expr_masq(r) ?: fw_append(b, r);
}


/* How every rejection ends: a TCP reset for TCP, else ICMP administratively
 * prohibited. Not ICMP for TCP too: the job's kernel receives it while
 * connect() still holds the socket, takes it as a soft error and waits for
 * its SYN retransmit (a second, at least); a reset is queued and honoured. */
static int add_refuse(struct nft_batch *b)
{
	_cleanup_(nft_rule_freep) struct nftnl_rule *tcp = fw_rule_new(CHAIN_REFUSE);
	_cleanup_(nft_rule_freep) struct nftnl_rule *other = fw_rule_new(CHAIN_REFUSE);
	if (!tcp || !other)
		return -ENOMEM;
	return fw_add_chain(b, CHAIN_REFUSE, NULL) ?:
	       nft_match_l4proto(tcp, IPPROTO_TCP) ?: nft_expr_reject(tcp, NFT_REJECT_TCP_RST, 0) ?: fw_append(b, tcp) ?:
	       nft_expr_reject(other, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED) ?:
	       fw_append(b, other);
}

int fw_create_skeleton(void)
{
	_cleanup_(nft_batch_freep) struct nft_batch *b = NULL;
	_cleanup_(nft_table_freep) struct nftnl_table *t = nftnl_table_alloc();
	_cleanup_(nft_rule_freep) struct nftnl_rule *est = fw_rule_new("forward");
	_cleanup_(nft_rule_freep) struct nftnl_rule *drop = fw_rule_new("forward");
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
	    fw_add_base_chain(b, "forward", "filter", NF_INET_FORWARD, -1) ?:
	    add_dispatch(b, "forward", MAP_FORWARD) ?:
	    fw_match_link_prefix(est, NFT_META_OIFNAME, NFT_CMP_EQ) ?:
	    nft_expr_ct_state(est, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED)) ?:
	    nft_expr_verdict(est, NF_ACCEPT, NULL) ?: fw_append(b, est) ?:
	    fw_match_link_prefix(drop, NFT_META_OIFNAME, NFT_CMP_EQ) ?: nft_expr_verdict(drop, NF_DROP, NULL) ?:
	    fw_append(b, drop) ?:
	    fw_add_base_chain(b, "input", "filter", NF_INET_LOCAL_IN, -1) ?:
	    add_dispatch(b, "input", MAP_INPUT) ?:
	    add_refuse(b) ?:
	    fw_add_base_chain(b, "postrouting", "nat", NF_INET_POST_ROUTING, 100) ?:
	    add_masq(b, AF_INET, SET_MASQ4) ?: add_masq(b, AF_INET6, SET_MASQ6);
	if (r < 0)
		return r;
	r = nft_batch_send(b);
	return r == -EEXIST ? 0 : r;
}

/* ---- a job's objects ---- */

int fw_add_chain(struct nft_batch *b, const char *name, const char *comment)
{
	_cleanup_(nft_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	_cleanup_(nft_udata_freep) struct nftnl_udata_buf *u = NULL;
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

int fw_del_chain(struct nft_batch *b, const char *name)
{
	_cleanup_(nft_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
	_cleanup_(nft_rule_freep) struct nftnl_rule *flush = fw_rule_new(name);
	if (!c || !flush)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, FIREWALL_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	/* A rule message with no handle flushes the chain; then the (empty)
	 * chain goes, which every kernel with nftables accepts. */
	return nft_batch_rule(b, NFT_MSG_DELRULE, 0, flush) ?: nft_batch_chain(b, NFT_MSG_DELCHAIN, 0, c);
}

int fw_counter_name(char *buf, size_t len, const char *id, enum counter_class c)
{
	int n = snprintf(buf, len, "%s-%s", id, fw_class_name[c]);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int fw_counter_msg(struct nft_batch *b, const char *id, enum counter_class cls, uint16_t type, uint16_t flags)
{
	char name[ID_MAX + 16];
	_cleanup_(nft_obj_freep) struct nftnl_obj *o = nftnl_obj_alloc();
	if (!o)
		return -ENOMEM;
	int ret = fw_counter_name(name, sizeof name, id, cls);
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

int fw_counters_msg(struct nft_batch *b, const char *id, uint16_t type, uint16_t flags)
{
	int ret = 0;
	for (int i = 0; !ret && i < C_COUNT; i++)
		ret = fw_counter_msg(b, id, i, type, flags);
	return ret;
}

/* One element of set SET: KEY (LEN bytes), mapped to `jump CHAIN` when
 * CHAIN is given; ID as its comment (additions only). */
int fw_elem_msg(struct nft_batch *b, uint16_t type, uint16_t flags, const char *set, const void *key, uint32_t len,
		const char *chain, const char *id)
{
	_cleanup_(nft_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	_cleanup_(nft_udata_freep) struct nftnl_udata_buf *u = NULL;
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

int fw_elems_msgs(struct nft_batch *b, uint16_t type, uint16_t flags, const struct fw_job_keys *k,
		  const char *fwd, const char *in, const char *id)
{
	int ret = fw_elem_msg(b, type, flags, MAP_FORWARD, k->ifname, IFNAMSIZ, fwd, id) ?:
		  fw_elem_msg(b, type, flags, MAP_INPUT, k->ifname, IFNAMSIZ, in, id);
	/* Not exclusive: an address element is the one piece that can outlive
	 * its job (the map elements hold the chains, which hold the keys), if
	 * someone deletes a job chain by hand; it must not block the address
	 * for ever. Two live jobs never share an address: the pool sees to it. */
	uint16_t addr_flags = flags & ~NLM_F_EXCL;
	if (!ret && k->addr4.family == AF_INET)
		ret = fw_elem_msg(b, type, addr_flags, SET_MASQ4, k->addr4.addr, 4, NULL, id);
	if (!ret && k->addr6.family == AF_INET6)
		ret = fw_elem_msg(b, type, addr_flags, SET_MASQ6, k->addr6.addr, 16, NULL, id);
	return ret;
}

/* ---- egress by name: a job's address sets ---- */

int fw_name_set(char *buf, size_t len, const char *id, unsigned group, int family)
{
	int n = snprintf(buf, len, "%s-n%u%s", id, group, family == AF_INET ? "v4" : "v6");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int fw_add_name_set(struct nft_batch *b, const char *name, int family, uint32_t set_id)
{
	_cleanup_(nft_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, FIREWALL_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_ID, set_id);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, family == AF_INET ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, fw_addr_len(family));
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_TIMEOUT);
	_cleanup_(nft_udata_freep) struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(16);
	if (!u || !nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, 2))
		return -ENOMEM;
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	return nft_batch_set(b, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL, s);
}

int fw_elem_timeout_msg(struct nft_batch *b, uint16_t type, const char *set, const void *key, uint32_t len,
			uint64_t timeout_ms)
{
	_cleanup_(nft_set_freep) struct nftnl_set *s = nftnl_set_alloc();
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
	if (type == NFT_MSG_NEWSETELEM)
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, timeout_ms);
	return nft_batch_elems(b, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0, s);
}

struct name_sets_ctx {
	struct nft_batch *b;
	const char *id;
	int err;
};

static int name_sets_cb(const struct nlmsghdr *nlh, void *data)
{
	struct name_sets_ctx *ctx = data;
	struct nftnl_set *s = nftnl_set_alloc();
	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, s) == 0) {
		const char *table = nftnl_set_get_str(s, NFTNL_SET_TABLE);
		const char *name = nftnl_set_get_str(s, NFTNL_SET_NAME);
		size_t idlen = strlen(ctx->id);
		if (table && name && strcmp(table, FIREWALL_TABLE) == 0 && strncmp(name, ctx->id, idlen) == 0 &&
		    strncmp(name + idlen, "-n", 2) == 0 && !ctx->err) {
			_cleanup_(nft_set_freep) struct nftnl_set *del = nftnl_set_alloc();
			if (!del) {
				ctx->err = -ENOMEM;
			} else {
				nftnl_set_set_u32(del, NFTNL_SET_FAMILY, NFPROTO_INET);
				nftnl_set_set_str(del, NFTNL_SET_TABLE, FIREWALL_TABLE);
				nftnl_set_set_str(del, NFTNL_SET_NAME, name);
				ctx->err = nft_batch_set(ctx->b, NFT_MSG_DELSET, 0, del);
			}
		}
	}
	nftnl_set_free(s);
	return MNL_CB_OK;
}

int fw_del_name_sets(struct nft_batch *b, const char *id)
{
	_cleanup_(nft_set_freep) struct nftnl_set *s = nftnl_set_alloc();
	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, FIREWALL_TABLE);
	struct name_sets_ctx ctx = { .b = b, .id = id };
	int ret = nft_query(NFT_MSG_GETSET, NFPROTO_INET, NLM_F_DUMP, nft_build_set, s, name_sets_cb, &ctx);
	if (ret == -ENOENT)
		ret = 0;
	return ret ?: ctx.err;
}

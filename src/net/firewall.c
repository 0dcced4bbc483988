/* The host-side firewall of `net veth` jobs (see brig/net/firewall.h).
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
 *   (the name gate adds no chain: its rules are at the top of job-<id> and
 *   beside the name groups' rules, see firewall_rules.c)
 *
 * The maps are not called "fwd" and "in": both are nft keywords, and
 * `nft list` output must read back.
 *
 * The job chain's comment records the map and set keys ("IFNAME ADDR4
 * ADDR6"), so that removal needs only the id; "gate" after them names a
 * prerouting chain jobpre-<id> that brig before the queued gate made, which
 * removal still takes. Set elements carry the id
 * as their comment, for people reading `nft list table inet brig`.
 *
 * This file holds the public calls and reads the table's state back; the
 * skeleton and the objects' messages are in firewall_table.c, a job's
 * chains and rules in firewall_rules.c (see brig/net/firewall_table.h). */
#include "brig/net/firewall.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/udata.h>

#include "brig/net/firewall_table.h"
#include "brig/net/nft.h"

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

static bool valid_host(const struct cidr *c, int family)
{
	return c->family == 0 || (c->family == family && c->prefix == fw_addr_len(family) * 8);
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
		int ret = fw_job_batch(j, &b);
		if (ret)
			return ret;
		ret = nft_batch_send(b);
		if (ret != -ENOENT || attempt == 1)
			return ret;
		if ((ret = fw_create_skeleton()) < 0)
			return ret;
	}
}

/* ---- reading state back ---- */

int firewall_job_allow_addrs(const char *id, unsigned group, const struct cidr *addrs, size_t n, uint64_t timeout_ms)
{
	if (!valid_id(id) || (n && !addrs) || timeout_ms == 0)
		return -EINVAL;
	if (n == 0)
		return 0;
	/* Deleting first gives an address that is already there the new
	 * timeout on every kernel (re-adding alone does not refresh it
	 * everywhere); when one is not there, the batch fails whole with
	 * ENOENT and the second round only adds. */
	for (int round = 0; round < 2; round++) {
		_cleanup_(nft_batch_freep) struct nft_batch *b = NULL;
		int ret = nft_batch_new(&b, NFPROTO_INET);
		for (size_t i = 0; !ret && i < n; i++) {
			char set[ID_MAX + 32];
			if (addrs[i].family != AF_INET && addrs[i].family != AF_INET6)
				return -EINVAL;
			ret = fw_name_set(set, sizeof set, id, group, addrs[i].family);
			if (!ret && round == 0)
				ret = fw_elem_timeout_msg(b, NFT_MSG_DELSETELEM, set, addrs[i].addr,
							  fw_addr_len(addrs[i].family), 0);
			if (!ret)
				ret = fw_elem_timeout_msg(b, NFT_MSG_NEWSETELEM, set, addrs[i].addr,
							  fw_addr_len(addrs[i].family), timeout_ms);
		}
		ret = ret ?: nft_batch_send(b);
		if (ret != -ENOENT || round == 1)
			return ret;
	}
	return -ENOENT;
}

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
static int read_job_keys(const char *id, struct fw_job_keys *k, bool *exists)
{
	char name[ID_MAX + 8];
	snprintf(name, sizeof name, "job-%s", id);
	_cleanup_(nft_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
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
	char ifname[IFNAMSIZ + 1], a4[64], a6[64], gate[8] = "";
	int n = sscanf(cc.text, "%16s %63s %63s %7s", ifname, a4, a6, gate);
	if (n < 3 || strlen(ifname) >= IFNAMSIZ)
		return -EBADMSG;
	k->gate = strcmp(gate, "gate") == 0;
	memcpy(k->ifname, ifname, strlen(ifname));
	if ((strcmp(a4, "-") && parse_cidr(a4, &k->addr4) < 0) || (strcmp(a6, "-") && parse_cidr(a6, &k->addr6) < 0))
		return -EBADMSG;
	return 0;
}

static int counters_present(const char *id, unsigned *mask);

/* Sends one piece of a removal as its own batch; what is gone already is
 * fine. Pieces in an order that keeps the job chain, which holds the keys,
 * for last but the counters its rules use. */
static int remove_piece(const struct fw_job_keys *k, int piece, const char *fwd, const char *in, const char *pre,
			const char *id)
{
	_cleanup_(nft_batch_freep) struct nft_batch *b = NULL;
	int ret = nft_batch_new(&b, NFPROTO_INET);
	if (ret)
		return ret;
	switch (piece) {
	case 0: ret = fw_elem_msg(b, NFT_MSG_DELSETELEM, 0, MAP_FORWARD, k->ifname, IFNAMSIZ, NULL, NULL); break;
	case 1: ret = fw_elem_msg(b, NFT_MSG_DELSETELEM, 0, MAP_INPUT, k->ifname, IFNAMSIZ, NULL, NULL); break;
	case 2:
		if (k->addr4.family != AF_INET)
			return 0;
		ret = fw_elem_msg(b, NFT_MSG_DELSETELEM, 0, SET_MASQ4, k->addr4.addr, 4, NULL, NULL);
		break;
	case 3:
		if (k->addr6.family != AF_INET6)
			return 0;
		ret = fw_elem_msg(b, NFT_MSG_DELSETELEM, 0, SET_MASQ6, k->addr6.addr, 16, NULL, NULL);
		break;
	case 4: ret = fw_del_chain(b, in); break;
	case 5: ret = fw_del_chain(b, fwd); break;
	case 6:
		if (!k->gate)
			return 0;
		ret = fw_del_chain(b, pre);
		break;
	case 7: ret = fw_del_name_sets(b, id); break;
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
				ret = fw_counter_msg(b, id, i, NFT_MSG_DELOBJ, 0);
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
	char fwd[ID_MAX + 8], in[ID_MAX + 8], pre[ID_MAX + 8];
	snprintf(fwd, sizeof fwd, "job-%s", id);
	snprintf(in, sizeof in, "jobin-%s", id);
	snprintf(pre, sizeof pre, "jobpre-%s", id);
	/* ENOENT: a concurrent remove of the same job (its supervisor and
	 * `brig gc`) took it first, or a piece is missing (someone edited the
	 * table): look again, then go piece by piece. */
	for (int attempt = 0; attempt < 3; attempt++) {
		struct fw_job_keys k;
		bool exists;
		int ret = read_job_keys(id, &k, &exists);
		if (ret < 0)
			return ret;
		if (!exists)
			return remove_counters(id);
		if (attempt == 2) {
			for (int piece = 0; piece < 8; piece++)
				if ((ret = remove_piece(&k, piece, fwd, in, pre, id)) < 0)
					return ret;
			return remove_counters(id);
		}
		_cleanup_(nft_batch_freep) struct nft_batch *b = NULL;
		ret = nft_batch_new(&b, NFPROTO_INET) ?:
		      fw_elems_msgs(b, NFT_MSG_DELSETELEM, 0, &k, NULL, NULL, NULL) ?:
		      fw_del_chain(b, fwd) ?: fw_del_chain(b, in) ?: (k.gate ? fw_del_chain(b, pre) : 0) ?:
		      fw_del_name_sets(b, id) ?:
		      fw_counters_msg(b, id, NFT_MSG_DELOBJ, 0) ?: nft_batch_send(b);
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
				if (strcmp(name + idlen + 1, fw_class_name[i]) == 0) {
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
	_cleanup_(nft_obj_freep) struct nftnl_obj *o = nftnl_obj_alloc();
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
				if (strcmp(dash + 1, fw_class_name[i]) == 0)
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
		_cleanup_(nft_chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
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

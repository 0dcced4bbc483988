/* A job's chains and rules (see src/net/firewall.c for the table's layout and
 * brig/net/firewall.h for the order of the rules): everything the one batch
 * that adds a job holds, built here and sent by firewall_job_add. Also the
 * pure parts: the blocklist and the private ranges the rules are made of. */
#include "brig/net/firewall_table.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

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

/* ---- a job's rules ---- */

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
	int ret = fw_counter_name(cname, sizeof cname, jc->id, cls);
	if (ret)
		return ret;
	switch (a) {
	case A_ACCEPT:
		ret = nft_expr_verdict(r, NF_ACCEPT, NULL);
		break;
	case A_REJECT:
		ret = fw_counted_reject(r, cname);
		break;
	case A_DROP:
		ret = nft_expr_counter_ref(r, cname) ?: nft_expr_verdict(r, NF_DROP, NULL);
		break;
	case A_DROP_QUIET:
		ret = nft_expr_verdict(r, NF_DROP, NULL);
		break;
	}
	return ret ?: fw_append(jc->b, r);
}

static int rule_dst(struct job_chain *jc, const struct cidr *dst, enum action a, enum counter_class cls)
{
	_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
	if (!r)
		return -ENOMEM;
	return nft_match_addr(r, dst, false, NFT_CMP_EQ) ?: finish(jc, r, a, cls);
}

/* Drop what does not come from the job's own address of FAMILY (all of
 * that family when the job has none). */
static int rule_spoof(struct job_chain *jc, int family, const struct cidr *own)
{
	_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
	if (!r)
		return -ENOMEM;
	int ret = own->family == family ? nft_match_addr(r, own, true, NFT_CMP_NEQ) : nft_match_nfproto(r, family);
	return ret ?: finish(jc, r, A_DROP, C_SPOOF);
}

/* DNS: udp and tcp port 53 to each resolver. */
static int rules_dns(struct job_chain *jc, const struct fw_job *j)
{
	static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP };
	for (size_t i = 0; i < j->n_dns; i++)
		for (size_t p = 0; p < ARRAY_SIZE(protos); p++) {
			_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
			if (!r)
				return -ENOMEM;
			int ret = nft_match_addr(r, &j->dns[i], false, NFT_CMP_EQ) ?: nft_match_l4proto(r, protos[p]) ?:
				  nft_match_dport(r, 53, 53) ?: finish(jc, r, A_ACCEPT, C_POLICY);
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
		_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
		if (!r)
			return -ENOMEM;
		int ret = nft_match_addr(r, &fr->dst, false, NFT_CMP_EQ) ?: nft_match_l4proto(r, protos[i]);
		if (!ret && ports)
			ret = nft_match_dport(r, fr->port_lo, fr->port_hi ? fr->port_hi : fr->port_lo);
		ret = ret ?: finish(jc, r, a, C_POLICY);
		if (ret)
			return ret;
	}
	return 0;
}

static int rules_gate_top(struct job_chain *jc, const struct fw_job *j);
static int rules_gate_group(struct job_chain *jc, const struct fw_job *j, size_t g, int fam, const char *set);

/* ip daddr @SET [meta l4proto P] [th dport LO-HI] accept, for each
 * name group and family; a group with ports and no protocol: tcp and udp. */
static int rules_name_groups(struct job_chain *jc, const struct fw_job *j)
{
	static const int families[] = { AF_INET, AF_INET6 };
	for (size_t g = 0; g < j->n_name_groups; g++) {
		const struct fw_rule *fr = &j->name_groups[g];
		bool ports = fr->port_lo || fr->port_hi;
		uint8_t protos[2] = { fr->proto };
		size_t n = 1;
		if (!fr->proto && ports) {
			protos[0] = IPPROTO_TCP;
			protos[1] = IPPROTO_UDP;
			n = 2;
		}
		for (size_t f = 0; f < ARRAY_SIZE(families); f++)
			for (size_t i = 0; i < n; i++) {
				char set[ID_MAX + 32];
				int fam = families[f], ret = fw_name_set(set, sizeof set, jc->id, (unsigned)g, fam);
				if (!ret && i == 0)
					ret = rules_gate_group(jc, j, g, fam, set);
				_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
				if (!r)
					return -ENOMEM;
				ret = ret ?: nft_match_nfproto(r, fam) ?:
				      nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, fam == AF_INET ? 16 : 24,
						       fw_addr_len(fam), NFT_REG_1) ?:
				      nft_expr_lookup(r, NFT_REG_1, set, -1);
				if (!ret && protos[i])
					ret = nft_match_l4proto(r, protos[i]);
				if (!ret && ports)
					ret = nft_match_dport(r, fr->port_lo, fr->port_hi ? fr->port_hi : fr->port_lo);
				if ((ret = ret ?: finish(jc, r, A_ACCEPT, C_POLICY)))
					return ret;
			}
	}
	return 0;
}

static int add_name_sets(struct nft_batch *b, const struct fw_job *j)
{
	for (size_t g = 0; g < j->n_name_groups; g++)
		for (int f = 0; f < 2; f++) {
			char set[ID_MAX + 32];
			int fam = f ? AF_INET6 : AF_INET;
			int ret = fw_name_set(set, sizeof set, j->id, (unsigned)g, fam) ?:
				  fw_add_name_set(b, set, fam, (uint32_t)(100 + 2 * g + (size_t)f));
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
	if (j->gate && (ret = rules_gate_top(jc, j)))
		return ret;
	/* Replies and the rest of flows already let through: only a new flow
	 * walks the list below, which keeps throughput as without brig. */
	{
		_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
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
	/* 6c. addresses of allowed names: the DNS responder let them in */
	if ((ret = rules_name_groups(jc, j)))
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
	_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
	if (!r)
		return -ENOMEM;
	return j->default_allow ? finish(jc, r, A_ACCEPT, C_POLICY) : finish(jc, r, A_REJECT, C_POLICY);
}

/* ---- the name gate ---- */

static bool group_covers(const struct fw_rule *g, uint16_t port)
{
	if (g->proto && g->proto != IPPROTO_TCP)
		return false;
	return (!g->port_lo && !g->port_hi) || (port >= g->port_lo && port <= (g->port_hi ? g->port_hi : g->port_lo));
}

/* queue num Q, without the bypass flag: with no supervisor reading the
 * queue its packets are dropped (fail closed). nft_queue is not in every
 * kernel; the xtables target through nft_compat is. */
static int expr_queue(struct nftnl_rule *r, uint16_t queue)
{
	struct {
		uint16_t queuenum, queues_total, flags;
	} info = { .queuenum = queue, .queues_total = 1, .flags = 0 }; /* xt_NFQ_info_v3 */
	return nft_expr_xt_target(r, "NFQUEUE", 3, &info, sizeof info);
}

/* The top of job-<id>, before the established flows pass: a packet the
 * supervisor gave back with its verdict in the packet mark writes it into
 * the connection's mark (and clears it, so no mark leaves the host); a
 * denied connection's packets get a reset; a held connection's packets go
 * to the queue. An allowed one's go on to the established rule. */
static int rules_gate_top(struct job_chain *jc, const struct fw_job *j)
{
	static const uint32_t verdicts[] = { FW_GATE_MARK_ALLOW, FW_GATE_MARK_DENY };
	int ret = 0;
	for (size_t i = 0; !ret && i < ARRAY_SIZE(verdicts); i++) {
		_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
		if (!r)
			return -ENOMEM;
		ret = nft_match_mark(r, false, FW_GATE_MARK_MASK, verdicts[i]) ?:
		      nft_expr_set_mark(r, true, FW_GATE_MARK_MASK, verdicts[i]) ?:
		      nft_expr_set_mark(r, false, FW_GATE_MARK_MASK, 0) ?: fw_append(jc->b, r);
	}
	if (ret)
		return ret;
	_cleanup_(nft_rule_freep) struct nftnl_rule *deny = fw_rule_new(jc->chain);
	_cleanup_(nft_rule_freep) struct nftnl_rule *held = fw_rule_new(jc->chain);
	if (!deny || !held)
		return -ENOMEM;
	return nft_match_mark(deny, true, FW_GATE_MARK_MASK, FW_GATE_MARK_DENY) ?:
	       nft_match_l4proto(deny, IPPROTO_TCP) ?: nft_expr_reject(deny, NFT_REJECT_TCP_RST, 0) ?:
	       fw_append(jc->b, deny) ?:
	       nft_match_mark(held, true, FW_GATE_MARK_MASK, FW_GATE_MARK_CHECK) ?: expr_queue(held, j->gate_queue) ?:
	       fw_append(jc->b, held);
}

/* Before the accept of name group G for FAMILY: a new TCP connection to
 * one of its addresses on a port the gate checks is marked held and its
 * SYN goes to the queue too (the supervisor learns where the stream starts;
 * its verdict for a SYN is accept, which ends the chain as the accept
 * after this rule would). Invalid packets on those ports (a bad checksum,
 * out of the window: bytes the gate could see but the server not) never
 * pass. */
static int rules_gate_group(struct job_chain *jc, const struct fw_job *j, size_t g, int fam, const char *set)
{
	static const uint16_t checked[] = { FW_GATE_TLS_PORT, FW_GATE_HTTP_PORT };
	if (!j->gate)
		return 0;
	for (size_t p = 0; p < ARRAY_SIZE(checked); p++) {
		if (!group_covers(&j->name_groups[g], checked[p]))
			continue;
		for (int invalid = 1; invalid >= 0; invalid--) {
			_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
			if (!r)
				return -ENOMEM;
			int ret = nft_match_nfproto(r, fam) ?:
				  nft_expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, fam == AF_INET ? 16 : 24,
						   fw_addr_len(fam), NFT_REG_1) ?:
				  nft_expr_lookup(r, NFT_REG_1, set, -1) ?: nft_match_l4proto(r, IPPROTO_TCP) ?:
				  nft_match_dport(r, checked[p], checked[p]);
			if (!ret && invalid)
				ret = nft_expr_ct_state(r, NF_CT_STATE_INVALID_BIT | NF_CT_STATE_UNTRACKED_BIT) ?:
				      nft_expr_verdict(r, NF_DROP, NULL);
			else if (!ret)
				ret = nft_expr_set_mark(r, true, FW_GATE_MARK_MASK, FW_GATE_MARK_CHECK) ?:
				      expr_queue(r, j->gate_queue);
			if ((ret = ret ?: fw_append(jc->b, r)))
				return ret;
		}
	}
	return 0;
}

/* To the host itself: neighbour discovery (IPv6 to the gateway needs it),
 * DNS when a resolver is one of the host's addresses, nothing else. */
static int add_job_input_rules(struct job_chain *jc, const struct fw_job *j)
{
	static const uint8_t nd[] = { 135, 136 }; /* neighbour solicitation, advertisement */
	for (size_t i = 0; i < ARRAY_SIZE(nd); i++) {
		_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
		if (!r)
			return -ENOMEM;
		int ret = nft_match_icmpv6_type(r, nd[i]) ?: finish(jc, r, A_ACCEPT, C_HOST);
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
		_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
		if (!r)
			return -ENOMEM;
		if ((ret = parse_cidr(own_link[i], &c)) || (ret = nft_match_addr(r, &c, true, NFT_CMP_EQ)) ||
		    (ret = finish(jc, r, A_DROP_QUIET, C_SPOOF)))
			return ret;
	}
	if ((ret = rule_spoof(jc, AF_INET, &j->addr4)) || (ret = rule_spoof(jc, AF_INET6, &j->addr6)) ||
	    (ret = rules_dns(jc, j)))
		return ret;
	_cleanup_(nft_rule_freep) struct nftnl_rule *r = fw_rule_new(jc->chain);
	if (!r)
		return -ENOMEM;
	return finish(jc, r, A_REJECT, C_HOST);
}

static void format_key(const struct cidr *c, char *buf, size_t len)
{
	if (c->family)
		format_cidr(c, buf, len);
	else
		snprintf(buf, len, "-");
}

int fw_job_batch(const struct fw_job *j, struct nft_batch **out)
{
	char fwd[ID_MAX + 8], in[ID_MAX + 8], a4[48], a6[48], comment[IFNAMSIZ + 100];
	struct fw_job_keys k = { .addr4 = j->addr4, .addr6 = j->addr6 };
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
	ret = fw_counters_msg(b, j->id, NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_EXCL) ?: add_name_sets(b, j) ?:
	      fw_add_chain(b, fwd, comment) ?: add_job_forward_rules(&jf, j) ?:
	      fw_add_chain(b, in, NULL) ?: add_job_input_rules(&ji, j) ?:
	      fw_elems_msgs(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, &k, fwd, in, j->id);
	if (ret)
		return ret;
	*out = TAKE_PTR(b);
	return 0;
}

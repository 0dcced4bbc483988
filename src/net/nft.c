/* Generic nftables plumbing over libnftnl and libmnl (see brig/net/nft.h). */
#include "brig/net/nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>

#include "brig/lib/util.h"

/* Big enough for a job with hundreds of egress rules; a batch that does
 * not fit fails with -E2BIG rather than being split (it must stay atomic). */
#define BATCH_LIMIT (256 * 1024)

struct nft_batch {
	struct mnl_nlmsg_batch *mnl;
	char *buf;
	uint32_t seq0, seq;
	uint16_t family;
	size_t count;
};

static uint32_t new_seq(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_sec * 1000003u + ts.tv_nsec);
}

int nft_batch_new(struct nft_batch **out, uint16_t family)
{
	struct nft_batch *b = calloc(1, sizeof *b);
	if (!b)
		return -ENOMEM;
	/* mnl's batch lets the last message overrun the limit: room for it,
	 * and for the end marker. */
	b->buf = malloc(2 * BATCH_LIMIT);
	if (!b->buf) {
		free(b);
		return -ENOMEM;
	}
	b->mnl = mnl_nlmsg_batch_start(b->buf, BATCH_LIMIT);
	if (!b->mnl) {
		free(b->buf);
		free(b);
		return -ENOMEM;
	}
	b->family = family;
	b->seq0 = b->seq = new_seq();
	nftnl_batch_begin(mnl_nlmsg_batch_current(b->mnl), b->seq++);
	mnl_nlmsg_batch_next(b->mnl);
	*out = b;
	return 0;
}

void nft_batch_free(struct nft_batch *b)
{
	if (!b)
		return;
	mnl_nlmsg_batch_stop(b->mnl);
	free(b->buf);
	free(b);
}

size_t nft_batch_count(const struct nft_batch *b)
{
	return b->count;
}

static struct nlmsghdr *batch_hdr(struct nft_batch *b, uint16_t type, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b->mnl), type, b->family, flags | NLM_F_ACK,
				     b->seq++);
}

static int batch_next(struct nft_batch *b)
{
	b->count++;
	/* false: this message went past the limit; the batch is unusable. */
	return mnl_nlmsg_batch_next(b->mnl) ? 0 : -E2BIG;
}

int nft_batch_table(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_table *t)
{
	nftnl_table_nlmsg_build_payload(batch_hdr(b, type, flags), t);
	return batch_next(b);
}

int nft_batch_chain(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_chain *c)
{
	nftnl_chain_nlmsg_build_payload(batch_hdr(b, type, flags), c);
	return batch_next(b);
}

int nft_batch_rule(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_rule *r)
{
	nftnl_rule_nlmsg_build_payload(batch_hdr(b, type, flags), (struct nftnl_rule *)r);
	return batch_next(b);
}

int nft_batch_set(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_set *s)
{
	nftnl_set_nlmsg_build_payload(batch_hdr(b, type, flags), (struct nftnl_set *)s);
	return batch_next(b);
}

int nft_batch_elems(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_set *s)
{
	nftnl_set_elems_nlmsg_build_payload(batch_hdr(b, type, flags), (struct nftnl_set *)s);
	return batch_next(b);
}

int nft_batch_obj(struct nft_batch *b, uint16_t type, uint16_t flags, const struct nftnl_obj *o)
{
	nftnl_obj_nlmsg_build_payload(batch_hdr(b, type, flags), o);
	return batch_next(b);
}

static void mnl_closep(struct mnl_socket **nl)
{
	if (*nl)
		mnl_socket_close(*nl);
}

static int open_socket(struct mnl_socket **out)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int r = -errno;
		mnl_socket_close(nl);
		return r;
	}
	*out = nl;
	return 0;
}

/* The kernel handles a whole batch inside sendmsg(), so by the time it
 * returns every answer is queued on the socket: read without blocking until
 * all have come or none is left. */
int nft_batch_send(struct nft_batch *b)
{
	nftnl_batch_end(mnl_nlmsg_batch_current(b->mnl), b->seq++);
	if (!mnl_nlmsg_batch_next(b->mnl))
		return -E2BIG;

	_cleanup_(mnl_closep) struct mnl_socket *nl = NULL;
	int r = open_socket(&nl);
	if (r < 0)
		return r;
	size_t len = mnl_nlmsg_batch_size(b->mnl);
	int fd = mnl_socket_get_fd(nl);
	/* Past the default socket buffers, a large batch would fail with
	 * EMSGSIZE and its answers could overflow; best effort (FORCE needs
	 * CAP_NET_ADMIN, which the firewall has anyway). */
	int sz = (int)(2 * len + 65536);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	sz = (int)(b->count * 1024 + 65536);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);

	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b->mnl), len) < 0)
		return -errno;

	uint32_t portid = mnl_socket_get_portid(nl);
	size_t answered = 0;
	int first = 0;
	_cleanup_free_ char *rbuf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!rbuf)
		return -ENOMEM;
	while (answered < b->count) {
		ssize_t n = recv(fd, rbuf, MNL_SOCKET_BUFFER_SIZE, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return first ? first : -errno;
		}
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_pid != portid || h->nlmsg_type != NLMSG_ERROR)
				continue;
			if (h->nlmsg_seq - b->seq0 >= b->seq - b->seq0) /* not ours; unsigned: wraps right */
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (h->nlmsg_len < mnl_nlmsg_size(sizeof *e))
				return -EBADMSG;
			answered++;
			if (e->error && !first)
				first = e->error;
		}
	}
	if (first)
		return first;
	/* Every message asked for an answer: a silent one is not a success. */
	return answered == b->count ? 0 : -EPROTO;
}

int nft_query(uint16_t type, uint16_t family, uint16_t flags, nft_build_fn build, const void *obj,
	      mnl_cb_t cb, void *data)
{
	_cleanup_(mnl_closep) struct mnl_socket *nl = NULL;
	int r = open_socket(&nl);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!buf)
		return -ENOMEM;
	uint32_t seq = new_seq();
	/* A get ends with the reply then an ACK; a dump with NLMSG_DONE. */
	if (!(flags & NLM_F_DUMP))
		flags |= NLM_F_ACK;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, family, flags, seq);
	if (build)
		build(nlh, obj);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	uint32_t portid = mnl_socket_get_portid(nl);
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, MNL_SOCKET_BUFFER_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (r < 0)
			/* The kernel's error, or EINTR for a dump the ruleset
			 * changed under (NLM_F_DUMP_INTR): the caller retries. */
			return errno ? -errno : -EPROTO;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

void nft_build_chain(struct nlmsghdr *nlh, const void *chain)
{
	nftnl_chain_nlmsg_build_payload(nlh, chain);
}

void nft_build_obj(struct nlmsghdr *nlh, const void *obj)
{
	nftnl_obj_nlmsg_build_payload(nlh, obj);
}

void nft_build_set(struct nlmsghdr *nlh, const void *set)
{
	nftnl_set_nlmsg_build_payload(nlh, (struct nftnl_set *)set);
}

/* ---- expressions ---- */

static int add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

int nft_expr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	return add(r, e);
}

int nft_expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	return add(r, e);
}

int nft_expr_cmp(struct nftnl_rule *r, uint32_t op, uint32_t sreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return add(r, e);
}

int nft_expr_bitwise(struct nftnl_rule *r, uint32_t sreg, uint32_t dreg, const void *mask, const void *xor,
		     uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, dreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
	}
	return add(r, e);
}

int nft_expr_ct_state(struct nftnl_rule *r, uint32_t states)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	int ret = add(r, e);
	const uint32_t zero = 0;
	/* The state is a host-endian bit mask: keep the wanted bits, then
	 * require one of them. */
	if (!ret)
		ret = nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, &states, &zero, sizeof states);
	if (!ret)
		ret = nft_expr_cmp(r, NFT_CMP_NEQ, NFT_REG_1, &zero, sizeof zero);
	return ret;
}

int nft_expr_lookup(struct nftnl_rule *r, uint32_t sreg, const char *set, int dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		if (dreg >= 0)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
	}
	return add(r, e);
}

int nft_expr_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
		if (chain)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	return add(r, e);
}

int nft_expr_reject(struct nftnl_rule *r, uint32_t type, uint8_t code)
{
	struct nftnl_expr *e = nftnl_expr_alloc("reject");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
		if (type != NFT_REJECT_TCP_RST)
			nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
	}
	return add(r, e);
}

int nft_expr_counter_ref(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc("objref");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
		nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name);
	}
	return add(r, e);
}

int nft_expr_masq(struct nftnl_rule *r)
{
	return add(r, nftnl_expr_alloc("masq"));
}

/* LOAD KEY of ct or meta into NFT_REG_1. */
static int load_mark(struct nftnl_rule *r, bool ct)
{
	if (!ct)
		return nft_expr_meta(r, NFT_META_MARK, NFT_REG_1);
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	return add(r, e);
}

int nft_match_mark(struct nftnl_rule *r, bool ct, uint32_t mask, uint32_t value)
{
	const uint32_t zero = 0;
	return load_mark(r, ct) ?: nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, &mask, &zero, sizeof mask) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, NFT_REG_1, &value, sizeof value);
}

int nft_expr_set_mark(struct nftnl_rule *r, bool ct, uint32_t mask, uint32_t value)
{
	/* Only the bits of MASK change: (mark & ~mask) ^ value. */
	const uint32_t keep = ~mask;
	int ret = load_mark(r, ct) ?: nft_expr_bitwise(r, NFT_REG_1, NFT_REG_1, &keep, &value, sizeof keep);
	if (ret)
		return ret;
	struct nftnl_expr *e = nftnl_expr_alloc(ct ? "ct" : "meta");
	if (e && ct) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	} else if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
	}
	return add(r, e);
}

int nft_expr_xt_target(struct nftnl_rule *r, const char *name, uint32_t rev, const void *info, size_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("target");
	if (e) {
		nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, name);
		nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, rev);
		/* libnftnl takes the buffer over and frees it with the rule. */
		void *copy = malloc(len);
		if (!copy) {
			nftnl_expr_free(e);
			return -ENOMEM;
		}
		memcpy(copy, info, len);
		nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, copy, (uint32_t)len);
	}
	return add(r, e);
}

/* ---- matches ---- */

int nft_match_nfproto(struct nftnl_rule *r, int family)
{
	uint8_t proto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	return nft_expr_meta(r, NFT_META_NFPROTO, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, NFT_REG_1, &proto, sizeof proto);
}

/* Loads only the bytes the prefix covers, masking the last partial one, as
 * nft itself does. */
int nft_match_addr(struct nftnl_rule *r, const struct cidr *c, bool source, uint32_t op)
{
	int ret = nft_match_nfproto(r, c->family);
	if (ret || c->prefix == 0)
		return ret;
	uint32_t off = c->family == AF_INET ? (source ? 12 : 16) : (source ? 8 : 24);
	/* A byte-aligned prefix loads just its bytes; another loads the whole
	 * address and masks it (so that `nft list` prints "ip daddr A/P"). */
	uint32_t len = c->prefix % 8 ? (c->family == AF_INET ? 4 : 16) : c->prefix / 8;
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

int nft_match_l4proto(struct nftnl_rule *r, uint8_t proto)
{
	return nft_expr_meta(r, NFT_META_L4PROTO, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, NFT_REG_1, &proto, sizeof proto);
}

/* Ports are big-endian, so byte-wise comparison orders them right. */
int nft_match_dport(struct nftnl_rule *r, uint16_t lo, uint16_t hi)
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

int nft_match_icmpv6_type(struct nftnl_rule *r, uint8_t type)
{
	return nft_match_nfproto(r, AF_INET6) ?: nft_match_l4proto(r, IPPROTO_ICMPV6) ?:
	       nft_expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1) ?:
	       nft_expr_cmp(r, NFT_CMP_EQ, NFT_REG_1, &type, 1);
}

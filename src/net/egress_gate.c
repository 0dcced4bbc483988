/* The name gate (see brig/net/egress_gate.h). */
#include "brig/net/egress_gate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "brig/net/firewall.h"
#include "brig/net/tls_sni.h"

/* TCP header flags. */
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04

enum state { S_FREE, S_OPEN, S_ALLOWED, S_DENIED };

struct held {
	uint32_t id;
	uint32_t off, len; /* stream offset (0: the first byte after the SYN), length */
};

struct conn {
	enum state state;
	bool acked;      /* the handshake is done (an ACK came) */
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t isn;
	uint8_t *buf;    /* SNI_PEEK_MAX bytes of stream, from the first data */
	struct held held[GATE_HELD_MAX];
	size_t n_held;
	long long deadline_ms;
};

/* One parsed packet. */
struct pkt {
	int family;
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint32_t seq;
	uint8_t flags;
	const uint8_t *data;
	size_t len, full; /* payload captured, payload sent */
};

#define RECV_BYTES (128 * 1024)
#define SEND_BYTES (16 * 1024)

struct egress_gate {
	const struct egress_gate_job *j;
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t queue;
	int ep, timer;
	long long armed_ms;
	size_t open;
	char *rbuf, *sbuf;
	size_t sent; /* verdict bytes in sbuf */
	struct conn conn[GATE_CONN_MAX];
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- verdicts ---- */

static void flush(struct egress_gate *g)
{
	if (g->sent && g->nl)
		mnl_socket_sendto(g->nl, g->sbuf, g->sent); /* a lost verdict leaves the packet to the queue's end */
	g->sent = 0;
}

static void verdict(struct egress_gate *g, uint32_t id, int v, uint32_t mark)
{
	if (g->j->verdict) {
		g->j->verdict(g->j->ctx, id, v, mark);
		return;
	}
	if (g->sent + 256 > SEND_BYTES)
		flush(g);
	struct nlmsghdr *nlh = nfq_nlmsg_put(g->sbuf + g->sent, NFQNL_MSG_VERDICT, g->queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, v);
	if (mark)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	g->sent += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Gives a held or later packet back with the connection's answer in its
 * mark: the firewall's first rule copies it into the conntrack mark. */
static void answer(struct egress_gate *g, uint32_t id, bool allow)
{
	verdict(g, id, NF_REPEAT, allow ? FW_GATE_MARK_ALLOW : FW_GATE_MARK_DENY);
}

/* ---- connections ---- */

/* Packets still held when a connection ends (a reset, or a SYN that reuses
 * its addresses and ports) are dropped: every queued packet gets exactly
 * one verdict, or it would sit in the kernel's queue until the job ends. A
 * caller that answered them already sets n_held to 0 first. */
static void conn_end(struct egress_gate *g, struct conn *c, enum state st)
{
	for (size_t i = 0; i < c->n_held; i++)
		verdict(g, c->held[i].id, NF_DROP, 0);
	free(c->buf);
	c->buf = NULL;
	c->n_held = 0;
	if (c->state == S_OPEN)
		g->open--;
	c->state = st;
	/* A decided connection is kept a while for the packets already
	 * queued behind its verdict; a full table takes it back earlier. */
	c->deadline_ms = st == S_FREE ? 0 : now_ms() + GATE_HELLO_MS;
}

static bool is_tls(const struct egress_gate *g, const struct conn *c)
{
	return c->dport == (g->j->tls_port ? g->j->tls_port : FW_GATE_TLS_PORT);
}

/* Orders the held packets by stream offset, so that they reach the
 * server as the job sent them. */
static void sort_held(struct conn *c)
{
	for (size_t i = 1; i < c->n_held; i++)
		for (size_t k = i; k > 0 && c->held[k - 1].off > c->held[k].off; k--) {
			struct held t = c->held[k];
			c->held[k] = c->held[k - 1];
			c->held[k - 1] = t;
		}
}

/* The connection's server address, as the name checks take it. */
static struct cidr conn_dst(const struct conn *c)
{
	struct cidr dst = { .family = c->family, .prefix = c->family == AF_INET ? 32 : 128 };
	memcpy(dst.addr, c->dst, c->family == AF_INET ? 4 : 16);
	return dst;
}

static void decide(struct egress_gate *g, struct conn *c, const char *name, const char *reason)
{
	bool allow = !reason;
	sort_held(c);
	for (size_t i = 0; i < c->n_held; i++)
		answer(g, c->held[i].id, allow);
	c->n_held = 0;
	struct cidr dst = conn_dst(c);
	uint16_t port = c->dport;
	bool tls = is_tls(g, c);
	conn_end(g, c, allow ? S_ALLOWED : S_DENIED);
	if (allow || !g->j->on_refused)
		return;
	char addr[INET6_ADDRSTRLEN];
	if (!inet_ntop(dst.family, dst.addr, addr, sizeof addr))
		snprintf(addr, sizeof addr, "?");
	struct gate_event e = { .name = name && *name ? name : "(none)", .address = addr, .port = port,
				.proto = tls ? "tls" : "http", .reason = reason };
	g->j->on_refused(g->j->ctx, &e);
}

/* The stream's bytes from its start that are all here. */
static size_t contiguous(const struct conn *c)
{
	size_t end = 0;
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < c->n_held; i++) {
			size_t s = c->held[i].off, e = s + c->held[i].len;
			if (s <= end && e > end) {
				end = e;
				grew = true;
			}
		}
	}
	return end < SNI_PEEK_MAX ? end : SNI_PEEK_MAX;
}

static void look(struct egress_gate *g, struct conn *c)
{
	size_t n = contiguous(c);
	char name[EGRESS_NAME_MAX + 2] = "";
	bool tls = is_tls(g, c);
	int r = tls ? tls_client_hello_sni(c->buf, n, name, sizeof name) : http_request_host(c->buf, n, name, sizeof name);
	if (r == 0 && n < SNI_PEEK_MAX && c->n_held < GATE_HELD_MAX)
		return; /* more to come */
	if (r <= 0) {
		decide(g, c, NULL, r == 0 ? "too long" : r == -ENOENT ? "no server name" : tls ? "not tls" : "not http");
		return;
	}
	struct cidr dst = conn_dst(c);
	decide(g, c, name, g->j->check(g->j->ctx, name, &dst, c->dport));
}

/* A segment with data for a connection that waits for its name. */
static void on_data(struct egress_gate *g, struct conn *c, uint32_t id, const struct pkt *p)
{
	uint32_t off = p->seq - (c->isn + 1);
	if (off > UINT32_MAX / 2) {
		/* Before the stream's start: nothing the job's own TCP sends. */
		verdict(g, id, NF_DROP, 0);
		return;
	}
	if (!c->buf && !(c->buf = malloc(SNI_PEEK_MAX))) {
		decide(g, c, NULL, "out of memory");
		answer(g, id, false);
		return;
	}
	/* What lies in the window; bytes already held must be the same
	 * (a retransmission), or the server and the gate could read two
	 * different streams. */
	size_t lo = off, hi = off + p->len < SNI_PEEK_MAX ? off + p->len : SNI_PEEK_MAX;
	bool covered = (size_t)off + p->full <= SNI_PEEK_MAX;
	for (size_t b = lo; b < hi;) {
		size_t next = hi;
		bool have = false;
		for (size_t i = 0; i < c->n_held; i++) {
			size_t s = c->held[i].off, e = s + c->held[i].len;
			if (s <= b && e > b) {
				have = true;
				next = e < hi ? e : hi;
				break;
			}
			if (s > b && s < next)
				next = s;
		}
		if (have && memcmp(c->buf + b, p->data + (b - off), next - b) != 0) {
			decide(g, c, NULL, "retransmission differs");
			answer(g, id, false);
			return;
		}
		if (!have) {
			memcpy(c->buf + b, p->data + (b - off), next - b);
			covered = false;
		}
		b = next;
	}
	if (lo >= hi)
		covered = false; /* beyond the window: held, counted */
	if (covered) {
		verdict(g, id, NF_DROP, 0); /* its bytes are held already */
		return;
	}
	c->held[c->n_held++] = (struct held){ .id = id, .off = off, .len = (uint32_t)p->len };
	look(g, c);
}

static struct conn *find(struct egress_gate *g, const struct pkt *p)
{
	size_t alen = p->family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < GATE_CONN_MAX; i++) {
		struct conn *c = &g->conn[i];
		if (c->state != S_FREE && c->family == p->family && c->sport == p->sport && c->dport == p->dport &&
		    !memcmp(c->src, p->src, alen) && !memcmp(c->dst, p->dst, alen))
			return c;
	}
	return NULL;
}

/* A free entry, else the decided one that ends first. */
static struct conn *take(struct egress_gate *g)
{
	struct conn *best = NULL;
	for (size_t i = 0; i < GATE_CONN_MAX; i++) {
		struct conn *c = &g->conn[i];
		if (c->state == S_FREE)
			return c;
		if (c->state != S_OPEN && (!best || c->deadline_ms < best->deadline_ms))
			best = c;
	}
	if (best)
		conn_end(g, best, S_FREE);
	return best;
}

static void on_syn(struct egress_gate *g, struct conn *c, uint32_t id, const struct pkt *p)
{
	if (c)
		conn_end(g, c, S_FREE); /* the tuple again: a new connection */
	else if (!(c = take(g))) {
		answer(g, id, false); /* full: reset at once */
		return;
	}
	size_t alen = p->family == AF_INET ? 4 : 16;
	*c = (struct conn){ .state = S_OPEN, .family = p->family, .sport = p->sport, .dport = p->dport,
			    .isn = p->seq, .deadline_ms = now_ms() + GATE_HELLO_MS };
	memcpy(c->src, p->src, alen);
	memcpy(c->dst, p->dst, alen);
	g->open++;
	/* Data on a SYN (TCP fast open) would reach the server unread: the
	 * SYN goes, its data does not; the job's TCP sends it again later. */
	verdict(g, id, p->full ? NF_DROP : NF_ACCEPT, 0);
}

static int parse(const uint8_t *b, size_t len, size_t full, struct pkt *p)
{
	size_t l4;
	uint8_t proto;
	if (len < 1)
		return -EBADMSG;
	if (b[0] >> 4 == 4) {
		if (len < 20 || (l4 = (size_t)(b[0] & 0xf) * 4) < 20)
			return -EBADMSG;
		proto = b[9];
		p->family = AF_INET;
		p->src = b + 12;
		p->dst = b + 16;
		if ((b[6] & 0x3f) || b[7])
			return -EBADMSG; /* a fragment: conntrack reassembles them before this */
	} else if (b[0] >> 4 == 6) {
		if (len < 40)
			return -EBADMSG;
		proto = b[6];
		l4 = 40;
		p->family = AF_INET6;
		p->src = b + 8;
		p->dst = b + 24;
		/* Hop-by-hop, routing and destination options headers. */
		while ((proto == 0 || proto == 43 || proto == 60) && l4 + 8 <= len) {
			proto = b[l4];
			l4 += ((size_t)b[l4 + 1] + 1) * 8;
		}
	} else {
		return -EBADMSG;
	}
	if (proto != IPPROTO_TCP)
		return -ENOPROTOOPT;
	if (l4 + 20 > len)
		return -EBADMSG;
	const uint8_t *t = b + l4;
	size_t hl = (size_t)(t[12] >> 4) * 4;
	if (hl < 20 || l4 + hl > len || l4 + hl > full)
		return -EBADMSG;
	p->sport = (uint16_t)(t[0] << 8 | t[1]);
	p->dport = (uint16_t)(t[2] << 8 | t[3]);
	p->seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
	p->flags = t[13];
	p->data = t + hl;
	p->len = len - l4 - hl;
	p->full = full - l4 - hl;
	return 0;
}

void egress_gate_packet(struct egress_gate *g, uint32_t id, const uint8_t *b, size_t len, size_t full)
{
	struct pkt p;
	int r = parse(b, len, full < len ? len : full, &p);
	if (r == -ENOPROTOOPT) {
		verdict(g, id, NF_ACCEPT, 0); /* an ICMP error about the connection */
		return;
	}
	if (r < 0) {
		verdict(g, id, NF_DROP, 0);
		return;
	}
	struct conn *c = find(g, &p);
	if ((p.flags & (F_SYN | F_RST)) == F_SYN) {
		if (c && c->state == S_OPEN && c->isn == p.seq && !c->n_held)
			verdict(g, id, p.full ? NF_DROP : NF_ACCEPT, 0); /* sent again */
		else
			on_syn(g, c, id, &p);
		return;
	}
	if (!c) {
		/* Not seen from its start (the table was full, or its time ran
		 * out long ago): it cannot be judged. */
		answer(g, id, false);
		return;
	}
	if (c->state == S_ALLOWED || c->state == S_DENIED) {
		answer(g, id, c->state == S_ALLOWED); /* queued before the verdict */
		return;
	}
	if (p.flags & F_RST) {
		conn_end(g, c, S_FREE); /* drops what it held */
		verdict(g, id, NF_ACCEPT, 0);
		return;
	}
	if (!p.full) {
		c->acked = true;
		verdict(g, id, NF_ACCEPT, 0); /* an ACK or a FIN: no bytes to read */
		return;
	}
	on_data(g, c, id, &p);
}

void egress_gate_expire(struct egress_gate *g, long long now)
{
	for (size_t i = 0; i < GATE_CONN_MAX; i++) {
		struct conn *c = &g->conn[i];
		if (c->state == S_FREE || c->deadline_ms > now)
			continue;
		if (c->state == S_OPEN && (c->acked || c->n_held))
			decide(g, c, NULL, "timed out");
		else
			conn_end(g, c, S_FREE); /* never answered, or decided long ago */
	}
}

/* ---- the queue ---- */

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct egress_gate *g = data;
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	const struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	uint32_t id = ntohl(ph->packet_id);
	const uint8_t *b = attr[NFQA_PAYLOAD] ? mnl_attr_get_payload(attr[NFQA_PAYLOAD]) : NULL;
	size_t len = attr[NFQA_PAYLOAD] ? mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]) : 0;
	size_t full = attr[NFQA_CAP_LEN] ? ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) : len;
	egress_gate_packet(g, id, b ? b : (const uint8_t *)"", len, full);
	return MNL_CB_OK;
}

/* The timer fires at the earliest deadline. */
static void arm(struct egress_gate *g)
{
	long long next = 0;
	for (size_t i = 0; i < GATE_CONN_MAX; i++)
		if (g->conn[i].state != S_FREE && (!next || g->conn[i].deadline_ms < next))
			next = g->conn[i].deadline_ms;
	if (next == g->armed_ms || g->timer < 0)
		return;
	g->armed_ms = next;
	struct itimerspec its = { 0 };
	if (next) {
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000L;
	}
	timerfd_settime(g->timer, TFD_TIMER_ABSTIME, &its, NULL);
}

int egress_gate_handle(struct egress_gate *g)
{
	uint64_t ticks;
	if (read(g->timer, &ticks, sizeof ticks) > 0) {
		g->armed_ms = 0;
		egress_gate_expire(g, now_ms());
	}
	/* A burst at a time; what is left wakes the loop again. */
	for (int burst = 0; g->nl && burst < 64; burst++) {
		ssize_t n = recv(mnl_socket_get_fd(g->nl), g->rbuf, RECV_BYTES, MSG_DONTWAIT);
		if (n < 0 && errno == ENOBUFS)
			continue; /* the kernel dropped packets it could not queue to us */
		if (n <= 0)
			break;
		mnl_cb_run(g->rbuf, (size_t)n, 0, g->portid, on_msg, g);
	}
	flush(g);
	arm(g);
	return 0;
}

/* ---- opening ---- */

static int config(struct egress_gate *g, uint16_t queue, uint8_t cmd)
{
	char buf[512];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	if (cmd) {
		nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, cmd);
	} else {
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
		nfq_nlmsg_cfg_put_qmaxlen(nlh, GATE_QUEUE_MAXLEN);
		/* Whole GSO packets: one message for what the job wrote at once,
		 * not one per segment. No F_FAIL_OPEN: a full queue drops. */
		mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
		mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
	}
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(g->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	ssize_t n = mnl_socket_recvfrom(g->nl, buf, sizeof buf);
	if (n < 0)
		return -errno;
	return mnl_cb_run(buf, (size_t)n, 0, g->portid, NULL, NULL) < 0 ? -errno : 0;
}

static int bind_queue(struct egress_gate *g)
{
	/* The hint first; a number another process holds answers EBUSY. */
	for (unsigned k = 0; k < 256; k++) {
		uint16_t q = (uint16_t)((g->j->queue_hint + k * 257u) & 0xffff);
		int r = config(g, q, NFQNL_CFG_CMD_BIND);
		if (r == -EBUSY || r == -EEXIST)
			continue;
		if (r < 0)
			return r;
		g->queue = q;
		return config(g, q, 0);
	}
	return -EBUSY;
}

uint16_t egress_gate_queue(const struct egress_gate *g)
{
	return g->queue;
}

int egress_gate_fd(const struct egress_gate *g)
{
	return g->ep;
}

size_t egress_gate_open_conns(const struct egress_gate *g)
{
	return g->open;
}

void egress_gate_close(struct egress_gate *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < GATE_CONN_MAX; i++)
		free(g->conn[i].buf);
	if (g->nl)
		mnl_socket_close(g->nl); /* unbinds: what was held is dropped */
	close_fd(&g->timer);
	close_fd(&g->ep);
	free(g->rbuf);
	free(g->sbuf);
	free(g);
}

int egress_gate_open(const struct egress_gate_job *j, struct egress_gate **out)
{
	_cleanup_(egress_gate_closep) struct egress_gate *g = calloc(1, sizeof *g);
	if (!g)
		return -ENOMEM;
	g->j = j;
	g->ep = g->timer = -1;
	if (!(g->rbuf = malloc(RECV_BYTES)) || !(g->sbuf = malloc(SEND_BYTES)))
		return -ENOMEM;
	if ((g->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (g->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
		return -errno;
	struct epoll_event ev = { .events = EPOLLIN };
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, g->timer, &ev) < 0)
		return -errno;
	if (!j->verdict) {
		if (!(g->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) ||
		    mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0)
			return -errno;
		g->portid = mnl_socket_get_portid(g->nl);
		int r = bind_queue(g);
		if (r < 0)
			return r;
		/* Room for the held packets' copies: past it the kernel drops. */
		int size = 4 << 20;
		setsockopt(mnl_socket_get_fd(g->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
		if (epoll_ctl(g->ep, EPOLL_CTL_ADD, mnl_socket_get_fd(g->nl), &ev) < 0)
			return -errno;
	}
	*out = TAKE_PTR(g);
	return 0;
}

/* The per-job DNS responder (see brig/net/dns_responder.h). */
#include "brig/net/dns_responder.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "brig/lib/ldns_lib.h"

#include "brig/net/dns_ledger.h"
#include "brig/net/dns_memory.h"
#include "brig/net/egress.h"

/* What an epoll event's data names: the kind in the high half, an index
 * in the low one. */
enum { K_UDP, K_TCP_LISTEN, K_UPSTREAM, K_TCP_CONN };
#define TAG(kind, i) (((uint64_t)(kind) << 32) | (uint32_t)(i))

#define TCP_IDLE_MS 10000
#define UDP_BURST 64     /* datagrams read from one socket per call */
#define ANSWER_ADDRS_MAX 64
#define MSG_MAX 65535

struct pending {
	bool used;
	uint16_t up_id, client_id;
	int client_fd;               /* the UDP socket it came on, or -1 for TCP */
	int tcp;                     /* the TCP connection's index, or -1 */
	unsigned tcp_gen;            /* that connection's generation, so a reused slot is not answered */
	struct sockaddr_storage client;
	socklen_t client_len;
	struct sockaddr_storage upstream;
	socklen_t upstream_len;
	int host;                    /* the rule that allowed the name */
	uint16_t qtype;
	char name[EGRESS_NAME_MAX + 2];
	long long sent_ms;
};

struct tcp_conn {
	int fd;
	unsigned gen;
	uint8_t *buf;                /* 2 + MSG_MAX */
	size_t len;
	long long last_ms;
};

struct dns_responder {
	const struct dns_responder_job *j;
	int ep;
	int udp[2], tcp_listen[2];   /* per listen address */
	int up[2];                   /* upstream sockets: IPv4, IPv6 */
	size_t next_upstream;
	struct pending pending[DNS_PENDING_MAX];
	struct tcp_conn tcp[DNS_TCP_MAX];
	unsigned tcp_gen;
	int *group_of;
	struct dns_ledger ledger;
	uint8_t rnd[256];
	size_t rnd_used;
	struct dns_memory memory;
};

static uint16_t random_id(struct dns_responder *r)
{
	if (r->rnd_used + 2 > sizeof r->rnd) {
		if (getrandom(r->rnd, sizeof r->rnd, 0) != (ssize_t)sizeof r->rnd)
			for (size_t i = 0; i < sizeof r->rnd; i++) /* never short for 256 bytes; belt and braces */
				r->rnd[i] = (uint8_t)(now_ms() * 2654435761u >> (i % 24));
		r->rnd_used = 0;
	}
	uint16_t v = (uint16_t)(r->rnd[r->rnd_used] << 8 | r->rnd[r->rnd_used + 1]);
	r->rnd_used += 2;
	return v;
}

static void to_sockaddr(const struct cidr *c, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (c->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		memcpy(&a->sin_addr, c->addr, 4);
		*len = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		memcpy(&a->sin6_addr, c->addr, 16);
		*len = sizeof *a;
	}
}

static bool same_sockaddr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

static int watch(struct dns_responder *r, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	return epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int listen_socket(const struct cidr *c, uint16_t port, int type)
{
	int fd = socket(c->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	/* The host end gets its address only once the veth exists, after
	 * this; and a host resolver bound to the wildcard address must not
	 * stand in the way. */
	if (c->family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
	else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_storage ss;
	socklen_t len;
	to_sockaddr(c, port, &ss, &len);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || (type == SOCK_STREAM && listen(fd, DNS_TCP_MAX) < 0)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* ---- names and counts ---- */

size_t dns_responder_counts(const struct dns_responder *r, const struct dns_name_count **out)
{
	return dns_ledger_counts(&r->ledger, out);
}

static void report(struct dns_responder *r, const char *name, const char *address, const char *reason,
		   const char *proto, uint16_t port)
{
	struct dns_event e = { .name = name, .address = address, .reason = reason, .proto = proto, .port = port };
	if (dns_ledger_refuse(&r->ledger, &e, now_ms()) && r->j->on_refused)
		r->j->on_refused(r->j->ctx, &e);
}

static void refused(struct dns_responder *r, const char *name, const char *address, const char *reason, bool tcp)
{
	report(r, name, address, reason, tcp ? "tcp" : "udp", 53);
}

void dns_responder_refused_conn(struct dns_responder *r, const char *name, const char *address, uint16_t port,
				const char *proto, const char *reason)
{
	report(r, name, address, reason, proto, port);
}

/* ---- answering the job ---- */

static void send_tcp(struct dns_responder *r, int idx, const uint8_t *msg, size_t len);

static void send_to_client(struct dns_responder *r, int client_fd, const struct sockaddr_storage *to, socklen_t tolen,
			   int tcp, const uint8_t *msg, size_t len)
{
	if (tcp >= 0)
		send_tcp(r, tcp, msg, len);
	else
		(void)sendto(client_fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *)to, tolen);
}

/* An answer with no records: the question, RCODE. */
static void answer_rcode(struct dns_responder *r, const ldns_pkt *q, uint8_t rcode, int client_fd,
			 const struct sockaddr_storage *to, socklen_t tolen, int tcp)
{
	ldns_pkt *a = sym_ldns_pkt_new();
	if (!a)
		return;
	sym_ldns_pkt_set_id(a, sym_ldns_pkt_id(q));
	sym_ldns_pkt_set_qr(a, true);
	sym_ldns_pkt_set_opcode(a, sym_ldns_pkt_get_opcode(q));
	sym_ldns_pkt_set_rd(a, sym_ldns_pkt_rd(q));
	sym_ldns_pkt_set_ra(a, true);
	sym_ldns_pkt_set_rcode(a, rcode);
	ldns_rr_list *question = sym_ldns_pkt_question(q);
	for (size_t i = 0; question && i < sym_ldns_rr_list_rr_count(question) && i < 1; i++) {
		ldns_rr *rr = sym_ldns_rr_clone(sym_ldns_rr_list_rr(question, i));
		if (rr)
			sym_ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, rr);
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	if (sym_ldns_pkt2wire(&wire, a, &len) == LDNS_STATUS_OK)
		send_to_client(r, client_fd, to, tolen, tcp, wire, len);
	free(wire);
	sym_ldns_pkt_free(a);
}

/* Only the host name alphabet: anything else is no name a rule can allow
 * (and no name worth telling a person about unescaped). */
static bool name_of(const ldns_rr *q, char *out, size_t len)
{
	char *text = sym_ldns_rdf2str(sym_ldns_rr_owner(q));
	if (!text)
		return false;
	snprintf(out, len, "%s", text);
	free(text);
	egress_name_normalise(out);
	for (const char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return out[0] != '\0';
}

static struct pending *new_pending(struct dns_responder *r)
{
	struct pending *oldest = &r->pending[0];
	for (size_t i = 0; i < DNS_PENDING_MAX; i++) {
		if (!r->pending[i].used)
			return &r->pending[i];
		if (r->pending[i].sent_ms < oldest->sent_ms)
			oldest = &r->pending[i];
	}
	/* Full: the oldest query goes unanswered; its client asks again. */
	return oldest;
}

static bool id_in_use(const struct dns_responder *r, uint16_t id)
{
	for (size_t i = 0; i < DNS_PENDING_MAX; i++)
		if (r->pending[i].used && r->pending[i].up_id == id)
			return true;
	return false;
}

static void on_query(struct dns_responder *r, const uint8_t *msg, size_t len, int client_fd,
		     const struct sockaddr_storage *from, socklen_t fromlen, int tcp)
{
	ldns_pkt *q = NULL;
	if (sym_ldns_wire2pkt(&q, msg, len) != LDNS_STATUS_OK)
		return; /* nothing to answer to */
	ldns_rr_list *question = sym_ldns_pkt_question(q);
	char name[EGRESS_NAME_MAX + 2] = "";
	if (sym_ldns_pkt_qr(q)) {
		sym_ldns_pkt_free(q);
		return; /* an answer, not a question: never answer one */
	}
	if (sym_ldns_pkt_get_opcode(q) != LDNS_PACKET_QUERY || !question || sym_ldns_rr_list_rr_count(question) != 1) {
		answer_rcode(r, q, LDNS_RCODE_NOTIMPL, client_fd, from, fromlen, tcp);
		sym_ldns_pkt_free(q);
		return;
	}
	const ldns_rr *qr = sym_ldns_rr_list_rr(question, 0);
	bool ok_name = name_of(qr, name, sizeof name);
	bool allow = false;
	int host = ok_name && sym_ldns_rr_get_class(qr) == LDNS_RR_CLASS_IN
			   ? egress_decide(r->j->hosts, r->j->n_hosts, name, &allow)
			   : -1;
	if (!allow || r->j->n_upstream == 0) {
		answer_rcode(r, q, LDNS_RCODE_REFUSED, client_fd, from, fromlen, tcp);
		refused(r, ok_name ? name : "(not a host name)", NULL,
			host >= 0 ? "denied" : r->j->n_upstream ? "not allowed" : "no resolver", tcp >= 0);
		sym_ldns_pkt_free(q);
		return;
	}
	struct pending *p = new_pending(r);
	uint16_t id;
	do
		id = random_id(r);
	while (id_in_use(r, id));
	*p = (struct pending){ .used = true, .up_id = id, .client_id = sym_ldns_pkt_id(q), .client_fd = client_fd,
			       .tcp = tcp, .tcp_gen = tcp >= 0 ? r->tcp[tcp].gen : 0, .client_len = fromlen,
			       .host = host, .qtype = (uint16_t)sym_ldns_rr_get_type(qr), .sent_ms = now_ms() };
	if (from)
		memcpy(&p->client, from, fromlen);
	snprintf(p->name, sizeof p->name, "%s", name);
	/* Rebuilt, not passed on: only what ldns understood reaches the
	 * resolver, under an id the job does not know. */
	sym_ldns_pkt_set_id(q, id);
	uint8_t *wire = NULL;
	size_t wlen = 0;
	const struct cidr *up = &r->j->upstream[r->next_upstream++ % r->j->n_upstream];
	to_sockaddr(up, r->j->upstream_port ? r->j->upstream_port : 53, &p->upstream, &p->upstream_len);
	int fd = r->up[up->family == AF_INET6];
	if (fd < 0 || sym_ldns_pkt2wire(&wire, q, &wlen) != LDNS_STATUS_OK ||
	    sendto(fd, wire, wlen, MSG_DONTWAIT, (struct sockaddr *)&p->upstream, p->upstream_len) < 0) {
		p->used = false;
		answer_rcode(r, q, LDNS_RCODE_SERVFAIL, client_fd, from, fromlen, tcp);
	}
	free(wire);
	sym_ldns_pkt_free(q);
}

/* ---- the resolvers' answers ---- */


static bool same_question(const ldns_pkt *a, const struct pending *p)
{
	ldns_rr_list *question = sym_ldns_pkt_question(a);
	char name[EGRESS_NAME_MAX + 2];
	if (!question || sym_ldns_rr_list_rr_count(question) != 1)
		return false;
	const ldns_rr *q = sym_ldns_rr_list_rr(question, 0);
	return name_of(q, name, sizeof name) && strcmp(name, p->name) == 0 && sym_ldns_rr_get_type(q) == p->qtype;
}

static void on_answer(struct dns_responder *r, uint8_t *msg, size_t len, const struct sockaddr_storage *from)
{
	ldns_pkt *a = NULL;
	if (len < 12 || sym_ldns_wire2pkt(&a, msg, len) != LDNS_STATUS_OK)
		return;
	struct pending *p = NULL;
	for (size_t i = 0; i < DNS_PENDING_MAX && !p; i++)
		if (r->pending[i].used && r->pending[i].up_id == sym_ldns_pkt_id(a) &&
		    same_sockaddr(&r->pending[i].upstream, from))
			p = &r->pending[i];
	if (!p || !sym_ldns_pkt_qr(a) || !same_question(a, p)) {
		sym_ldns_pkt_free(a);
		return; /* late, spoofed or not ours */
	}
	p->used = false;
	bool tcp = p->tcp >= 0;
	if (tcp && (r->tcp[p->tcp].fd < 0 || r->tcp[p->tcp].gen != p->tcp_gen)) {
		sym_ldns_pkt_free(a);
		return; /* the connection is gone */
	}
	struct cidr addrs[ANSWER_ADDRS_MAX];
	size_t n = 0;
	uint32_t ttl = 0;
	ldns_rr_list *answer = sym_ldns_pkt_answer(a);
	for (size_t i = 0; answer && i < sym_ldns_rr_list_rr_count(answer); i++) {
		const ldns_rr *rr = sym_ldns_rr_list_rr(answer, i);
		ldns_rr_type t = sym_ldns_rr_get_type(rr);
		if (t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA)
			continue;
		const ldns_rdf *d = sym_ldns_rr_rdf(rr, 0);
		size_t alen = t == LDNS_RR_TYPE_A ? 4 : 16;
		if (!d || sym_ldns_rdf_size(d) != alen)
			continue;
		struct cidr c = { .family = alen == 4 ? AF_INET : AF_INET6, .prefix = (unsigned)alen * 8 };
		memcpy(c.addr, sym_ldns_rdf_data(d), alen);
		enum egress_addr kind = egress_classify(&c, r->j->rules, r->j->n_rules, r->j->own, r->j->n_own);
		if (kind != EGRESS_ADDR_OK) {
			/* Rebinding: the whole answer is refused. */
			char text[INET6_ADDRSTRLEN];
			inet_ntop(c.family, c.addr, text, sizeof text);
			refused(r, p->name, text, kind == EGRESS_ADDR_BLOCKED ? "metadata" : egress_addr_kind(&c), tcp);
			sym_ldns_pkt_set_id(a, p->client_id);
			answer_rcode(r, a, LDNS_RCODE_REFUSED, p->client_fd, &p->client, p->client_len, p->tcp);
			sym_ldns_pkt_free(a);
			return;
		}
		if (n < ANSWER_ADDRS_MAX)
			addrs[n++] = c;
		if (sym_ldns_rr_ttl(rr) > ttl)
			ttl = sym_ldns_rr_ttl(rr);
	}
	if (ttl > EGRESS_TTL_MAX_S)
		ttl = EGRESS_TTL_MAX_S;
	long long now = now_ms();
	dns_allow_fn allow = r->j->allow ? r->j->allow : firewall_job_allow_addrs;
	/* Into the set of every allow rule that names the name (github.com
	 * on 443 and on 22 are two rules, two port groups), each group once.
	 * The addresses are in the sets before the job learns them. */
	const struct egress_host *hosts = r->j->hosts;
	for (size_t h = 0; h < r->j->n_hosts; h++) {
		int group = r->group_of[h];
		if (group < 0 || !hosts[h].allow || !egress_host_matches(&hosts[h], p->name))
			continue;
		bool done = false;
		for (size_t k = 0; k < h && !done; k++)
			done = r->group_of[k] == group && hosts[k].allow && egress_host_matches(&hosts[k], p->name);
		if (done)
			continue;
		struct cidr fresh_addrs[ANSWER_ADDRS_MAX];
		size_t fresh = 0;
		for (size_t i = 0; i < n; i++)
			if (dns_memory_needs_placing(&r->memory, &addrs[i], group, ttl, now))
				fresh_addrs[fresh++] = addrs[i];
		if (fresh && allow(r->j->id, (unsigned)group, fresh_addrs, fresh,
				   ((uint64_t)ttl + EGRESS_GRACE_S) * 1000) < 0) {
			dns_memory_forget_placed(&r->memory, fresh_addrs, fresh, group);
			sym_ldns_pkt_set_id(a, p->client_id);
			answer_rcode(r, a, LDNS_RCODE_SERVFAIL, p->client_fd, &p->client, p->client_len, p->tcp);
			sym_ldns_pkt_free(a);
			return;
		}
	}
	/* A name past the table is not remembered: its connections are
	 * refused by the name gate. */
	int name = dns_ledger_allowed(&r->ledger, p->name);
	if (name >= 0)
		dns_memory_note_resolved(&r->memory, addrs, n, (uint16_t)name, ttl, now);
	msg[0] = (uint8_t)(p->client_id >> 8);
	msg[1] = (uint8_t)p->client_id;
	send_to_client(r, p->client_fd, &p->client, p->client_len, p->tcp, msg, len);
	sym_ldns_pkt_free(a);
}

bool dns_responder_resolved(const struct dns_responder *r, const char *name, const struct cidr *addr)
{
	int i = dns_ledger_find(&r->ledger, name);
	return i >= 0 && dns_memory_resolved(&r->memory, (uint16_t)i, addr, now_ms());
}

/* ---- TCP ---- */

static void tcp_close(struct dns_responder *r, int idx)
{
	struct tcp_conn *c = &r->tcp[idx];
	if (c->fd >= 0) {
		epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->len = 0;
}

static void send_tcp(struct dns_responder *r, int idx, const uint8_t *msg, size_t len)
{
	struct tcp_conn *c = &r->tcp[idx];
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	struct iovec iov[2] = { { hdr, 2 }, { (void *)msg, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	/* A job that does not read its answers loses its connection rather
	 * than holding the supervisor. */
	if (c->fd < 0 || sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(len + 2))
		tcp_close(r, idx);
}

static void tcp_accept(struct dns_responder *r, int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	int idx = -1;
	for (int i = 0; i < DNS_TCP_MAX && idx < 0; i++)
		if (r->tcp[i].fd < 0)
			idx = i;
	if (idx < 0) {
		idx = 0;
		for (int i = 1; i < DNS_TCP_MAX; i++)
			if (r->tcp[i].last_ms < r->tcp[idx].last_ms)
				idx = i;
		tcp_close(r, idx);
	}
	struct tcp_conn *c = &r->tcp[idx];
	if (!c->buf && !(c->buf = malloc(2 + MSG_MAX))) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->gen = ++r->tcp_gen;
	c->len = 0;
	c->last_ms = now_ms();
	if (watch(r, fd, TAG(K_TCP_CONN, idx)) < 0)
		tcp_close(r, idx);
}

static void tcp_read(struct dns_responder *r, int idx)
{
	struct tcp_conn *c = &r->tcp[idx];
	ssize_t n = recv(c->fd, c->buf + c->len, 2 + MSG_MAX - c->len, MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			tcp_close(r, idx);
		return;
	}
	c->len += (size_t)n;
	c->last_ms = now_ms();
	while (c->fd >= 0 && c->len >= 2) {
		size_t mlen = (size_t)c->buf[0] << 8 | c->buf[1];
		if (c->len < 2 + mlen)
			break;
		on_query(r, c->buf + 2, mlen, -1, NULL, 0, idx);
		if (c->fd < 0)
			break;
		memmove(c->buf, c->buf + 2 + mlen, c->len - 2 - mlen);
		c->len -= 2 + mlen;
	}
}

/* ---- the loop's entry points ---- */

static void udp_read(struct dns_responder *r, int fd, bool upstream)
{
	static uint8_t buf[MSG_MAX];
	for (int i = 0; i < UDP_BURST; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
		if (n < 0)
			return;
		if (upstream)
			on_answer(r, buf, (size_t)n, &from);
		else
			on_query(r, buf, (size_t)n, fd, &from, fromlen, -1);
	}
}

static void expire(struct dns_responder *r)
{
	long long now = now_ms();
	for (size_t i = 0; i < DNS_PENDING_MAX; i++)
		if (r->pending[i].used && now - r->pending[i].sent_ms > DNS_UPSTREAM_TIMEOUT_MS)
			r->pending[i].used = false;
	for (int i = 0; i < DNS_TCP_MAX; i++)
		if (r->tcp[i].fd >= 0 && now - r->tcp[i].last_ms > TCP_IDLE_MS)
			tcp_close(r, i);
}

int dns_responder_handle(struct dns_responder *r)
{
	struct epoll_event ev[16];
	int n = epoll_wait(r->ep, ev, 16, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint32_t kind = (uint32_t)(ev[i].data.u64 >> 32), idx = (uint32_t)ev[i].data.u64;
		switch (kind) {
		case K_UDP: udp_read(r, r->udp[idx], false); break;
		case K_UPSTREAM: udp_read(r, r->up[idx], true); break;
		case K_TCP_LISTEN: tcp_accept(r, r->tcp_listen[idx]); break;
		case K_TCP_CONN:
			if (r->tcp[idx].fd >= 0)
				tcp_read(r, (int)idx);
			break;
		}
	}
	expire(r);
	return 0;
}

int dns_responder_fd(const struct dns_responder *r)
{
	return r->ep;
}

void dns_responder_close(struct dns_responder *r)
{
	if (!r)
		return;
	for (int i = 0; i < DNS_TCP_MAX; i++) {
		tcp_close(r, i);
		free(r->tcp[i].buf);
	}
	for (int i = 0; i < 2; i++) {
		if (r->udp[i] >= 0)
			close(r->udp[i]);
		if (r->tcp_listen[i] >= 0)
			close(r->tcp_listen[i]);
		if (r->up[i] >= 0)
			close(r->up[i]);
	}
	if (r->ep >= 0)
		close(r->ep);
	free(r->group_of);
	free(r);
}

int dns_responder_open(const struct dns_responder_job *j, struct dns_responder **out)
{
	int lr = ldns_lib_load();
	if (lr < 0)
		return lr;
	_cleanup_(dns_responder_closep) struct dns_responder *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->j = j;
	r->ep = -1;
	r->rnd_used = sizeof r->rnd;
	dns_ledger_init(&r->ledger, now_ms());
	for (int i = 0; i < 2; i++)
		r->udp[i] = r->tcp_listen[i] = r->up[i] = -1;
	for (int i = 0; i < DNS_TCP_MAX; i++)
		r->tcp[i].fd = -1;
	_cleanup_free_ struct fw_rule *groups = calloc(j->n_hosts ? j->n_hosts : 1, sizeof *groups);
	if (!groups || !(r->group_of = calloc(j->n_hosts ? j->n_hosts : 1, sizeof *r->group_of)))
		return -ENOMEM;
	int ret = egress_groups(j->hosts, j->n_hosts, groups, j->n_hosts, r->group_of);
	if (ret < 0)
		return ret;
	if ((r->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -errno;
	uint16_t port = j->port ? j->port : 53;
	for (int i = 0; i < 2; i++) {
		if (!j->listen[i].family)
			continue;
		if ((r->udp[i] = listen_socket(&j->listen[i], port, SOCK_DGRAM)) < 0)
			return r->udp[i];
		if ((r->tcp_listen[i] = listen_socket(&j->listen[i], port, SOCK_STREAM)) < 0)
			return r->tcp_listen[i];
		if ((ret = watch(r, r->udp[i], TAG(K_UDP, i))) < 0 ||
		    (ret = watch(r, r->tcp_listen[i], TAG(K_TCP_LISTEN, i))) < 0)
			return ret;
	}
	for (size_t i = 0; i < j->n_upstream; i++) {
		int f = j->upstream[i].family == AF_INET6;
		if (r->up[f] >= 0)
			continue;
		/* An unbound socket: the kernel picks a random source port. */
		if ((r->up[f] = socket(f ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
			return -errno;
		if ((ret = watch(r, r->up[f], TAG(K_UPSTREAM, f))) < 0)
			return ret;
	}
	*out = TAKE_PTR(r);
	return 0;
}

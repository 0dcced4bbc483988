/* The name gate (see brig/net/egress_gate.h). */
#include "brig/net/egress_gate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include "brig/net/firewall.h"
#include "brig/net/tls_sni.h"

/* What an epoll event's data names: the kind, the connection's
 * generation (so that an event for a slot closed and reused within one
 * batch is not taken for the new connection's) and its index. */
enum { K_LISTEN, K_TIMER, K_CLIENT, K_UPSTREAM };
#define TAG(kind, gen, i) (((uint64_t)(kind) << 56) | ((uint64_t)((gen) & 0xffffff) << 32) | (uint32_t)(i))

enum state { S_FREE, S_HELLO, S_CONNECTING, S_SPLICE };

/* One direction of a spliced connection. */
struct flow {
	int from, to;
	int pipe[2];
	size_t in_pipe;
	bool eof, shut;
};

struct conn {
	enum state state;
	unsigned gen;
	int client, upstream;
	struct cidr dst;
	uint16_t port;
	long long deadline_ms; /* 0: none */
	struct flow up, down;  /* job to destination, destination to job */
};

struct egress_gate {
	const struct egress_gate_job *j;
	int ep, timer;
	int listen[2];
	uint16_t port[2];
	unsigned gen;
	size_t open;
	long long armed_ms;
	struct conn conn[GATE_CONN_MAX];
};

static uint8_t peek_buf[SNI_PEEK_MAX];

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* A reset rather than a FIN: the job's client sees at once that the
 * connection was refused, not a server that closed. */
static void reset_fd(int *fd)
{
	if (*fd < 0)
		return;
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(*fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close_fd(fd);
}

static void conn_free(struct egress_gate *g, struct conn *c, bool reset)
{
	if (reset) {
		reset_fd(&c->client);
		reset_fd(&c->upstream);
	}
	close_fd(&c->client);
	close_fd(&c->upstream);
	for (int i = 0; i < 2; i++) {
		close_fd(&c->up.pipe[i]);
		close_fd(&c->down.pipe[i]);
	}
	if (c->state != S_FREE)
		g->open--;
	c->state = S_FREE;
}

static void describe(const struct cidr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static bool is_tls(const struct egress_gate *g, const struct conn *c)
{
	return c->port == (g->j->tls_port ? g->j->tls_port : FW_GATE_TLS_PORT);
}

static void refuse(struct egress_gate *g, struct conn *c, const char *name, const char *reason)
{
	char addr[INET6_ADDRSTRLEN];
	describe(&c->dst, addr, sizeof addr);
	struct gate_event e = { .name = name && *name ? name : "(none)", .address = addr, .port = c->port,
				.proto = is_tls(g, c) ? "tls" : "http", .reason = reason };
	conn_free(g, c, true);
	if (g->j->on_refused)
		g->j->on_refused(g->j->ctx, &e);
}

/* The destination the job dialled, before the firewall's dnat. */
static int original_dst(int fd, int family, struct cidr *dst, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int r = family == AF_INET ? getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &ss, &len)
				  : getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &ss, &len);
	if (r < 0)
		return -errno;
	*dst = (struct cidr){ .family = ss.ss_family };
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&ss;
		memcpy(dst->addr, &a->sin_addr, 4);
		dst->prefix = 32;
		*port = ntohs(a->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&ss;
		memcpy(dst->addr, &a->sin6_addr, 16);
		dst->prefix = 128;
		*port = ntohs(a->sin6_port);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

static int watch(struct egress_gate *g, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };
	return epoll_ctl(g->ep, op, fd, &ev) < 0 ? -errno : 0;
}

static void on_hello(struct egress_gate *g, struct conn *c, size_t idx);

static void on_accept(struct egress_gate *g, int lfd, int family)
{
	/* Several at a time; the listener is level-triggered, so what is
	 * left past the burst wakes the loop again. */
	for (int burst = 0; burst < 64; burst++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct conn *c = NULL;
		size_t idx = 0;
		for (; idx < GATE_CONN_MAX; idx++)
			if (g->conn[idx].state == S_FREE) {
				c = &g->conn[idx];
				break;
			}
		struct cidr dst;
		uint16_t port = 0;
		int (*orig)(int, int, struct cidr *, uint16_t *) = g->j->original_dst ? g->j->original_dst : original_dst;
		if (!c || orig(fd, family, &dst, &port) < 0) {
			/* Full, or not a connection the firewall sent here. */
			reset_fd(&fd);
			continue;
		}
		*c = (struct conn){ .state = S_HELLO, .gen = ++g->gen, .client = fd, .upstream = -1, .dst = dst,
				    .port = port, .deadline_ms = now_ms() + GATE_HELLO_MS,
				    .up = { .pipe = { -1, -1 } }, .down = { .pipe = { -1, -1 } } };
		g->open++;
		/* Edge-triggered: the first bytes are peeked, not taken, so a
		 * level-triggered watch would report them again and again. */
		if (watch(g, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, TAG(K_CLIENT, c->gen, idx)) < 0) {
			conn_free(g, c, true);
			continue;
		}
		/* The client speaks first, and by the time the supervisor runs
		 * its first bytes are often there: one wake-up less. */
		on_hello(g, c, idx);
	}
}

static void start_connect(struct egress_gate *g, struct conn *c, size_t idx)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (c->dst.family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(c->port);
		memcpy(&a->sin_addr, c->dst.addr, 4);
		len = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(c->port);
		memcpy(&a->sin6_addr, c->dst.addr, 16);
		len = sizeof *a;
	}
	c->upstream = socket(c->dst.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->upstream < 0 || (connect(c->upstream, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) ||
	    watch(g, EPOLL_CTL_ADD, c->upstream, EPOLLOUT | EPOLLET, TAG(K_UPSTREAM, c->gen, idx)) < 0) {
		conn_free(g, c, true);
		return;
	}
	c->state = S_CONNECTING;
	c->deadline_ms = now_ms() + GATE_CONNECT_MS;
}

static void on_hello(struct egress_gate *g, struct conn *c, size_t idx)
{
	ssize_t n = recv(c->client, peek_buf, sizeof peek_buf, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_free(g, c, false); /* gone before it named anything */
		return;
	}
	if (n < 0)
		return;
	char name[EGRESS_NAME_MAX + 2] = "";
	bool tls = is_tls(g, c);
	int r = tls ? tls_client_hello_sni(peek_buf, (size_t)n, name, sizeof name)
		    : http_request_host(peek_buf, (size_t)n, name, sizeof name);
	if (r == 0 && (size_t)n < sizeof peek_buf)
		return; /* more to come */
	if (r <= 0) {
		refuse(g, c, NULL, r == 0 ? "too long" : r == -ENOENT ? "no server name" : tls ? "not tls" : "not http");
		return;
	}
	const char *why = g->j->check(g->j->ctx, name, &c->dst, c->port);
	if (why) {
		refuse(g, c, name, why);
		return;
	}
	start_connect(g, c, idx);
}

/* Moves what there is of one direction; returns -errno on a broken
 * connection. Ends when neither side can go on: the source has nothing
 * (its next bytes are an EPOLLIN edge) or the sink is full (EPOLLOUT). */
static int pump(struct flow *f)
{
	for (;;) {
		bool moved = false;
		if (!f->eof && f->in_pipe < GATE_PIPE_BYTES) {
			ssize_t n = splice(f->from, NULL, f->pipe[1], NULL, GATE_PIPE_BYTES - f->in_pipe,
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0)
				f->in_pipe += (size_t)n;
			else if (n == 0)
				f->eof = true;
			else if (errno != EAGAIN && errno != EINTR)
				return -errno;
			moved = n >= 0;
		}
		if (f->in_pipe) {
			ssize_t n = splice(f->pipe[0], NULL, f->to, NULL, f->in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				f->in_pipe -= (size_t)n;
				moved = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -errno;
			}
		}
		if (f->eof && !f->in_pipe && !f->shut) {
			/* Half-close: the other direction may still run. */
			shutdown(f->to, SHUT_WR);
			f->shut = true;
		}
		if (!moved)
			return 0;
	}
}

/* EVENTS on the client's socket (FROM_CLIENT) or the destination's: only
 * the directions they can move are pumped, which spares a bulk transfer a
 * splice that would say EAGAIN on every wake-up. */
static void on_splice(struct egress_gate *g, struct conn *c, bool from_client, uint32_t events)
{
	bool in = events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR), out = events & (EPOLLOUT | EPOLLHUP | EPOLLERR);
	bool up = from_client ? in : out, down = from_client ? out : in;
	int r = up ? pump(&c->up) : 0;
	if (r == 0 && down)
		r = pump(&c->down);
	if (r < 0)
		conn_free(g, c, true);
	else if (c->up.shut && c->down.shut)
		conn_free(g, c, false);
}

static int make_pipe(int p[2])
{
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	/* At least a page per slot; the default (16 pages) when the size
	 * cannot be set. */
	fcntl(p[1], F_SETPIPE_SZ, GATE_PIPE_BYTES);
	return 0;
}

static void on_connected(struct egress_gate *g, struct conn *c, size_t idx)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(c->upstream, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err || make_pipe(c->up.pipe) < 0 || make_pipe(c->down.pipe) < 0) {
		conn_free(g, c, true);
		return;
	}
	c->state = S_SPLICE;
	c->deadline_ms = 0;
	c->up.from = c->down.to = c->client;
	c->up.to = c->down.from = c->upstream;
	uint32_t ev = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	if (watch(g, EPOLL_CTL_MOD, c->client, ev, TAG(K_CLIENT, c->gen, idx)) < 0 ||
	    watch(g, EPOLL_CTL_MOD, c->upstream, ev, TAG(K_UPSTREAM, c->gen, idx)) < 0) {
		conn_free(g, c, true);
		return;
	}
	/* The peeked bytes are still in the client socket: they go first. */
	on_splice(g, c, true, EPOLLIN | EPOLLOUT);
}

/* The timer fires at the earliest deadline of a connection that waits for
 * its name or its destination. */
static void arm(struct egress_gate *g)
{
	long long next = 0;
	for (size_t i = 0; i < GATE_CONN_MAX; i++)
		if (g->conn[i].state != S_FREE && g->conn[i].deadline_ms &&
		    (!next || g->conn[i].deadline_ms < next))
			next = g->conn[i].deadline_ms;
	if (next == g->armed_ms)
		return;
	g->armed_ms = next;
	struct itimerspec its = { 0 };
	if (next) {
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000L;
	}
	timerfd_settime(g->timer, TFD_TIMER_ABSTIME, &its, NULL);
}

static void expire(struct egress_gate *g)
{
	uint64_t ticks;
	if (read(g->timer, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		return;
	g->armed_ms = 0;
	long long now = now_ms();
	for (size_t i = 0; i < GATE_CONN_MAX; i++) {
		struct conn *c = &g->conn[i];
		if (c->state == S_FREE || !c->deadline_ms || c->deadline_ms > now)
			continue;
		if (c->state == S_HELLO)
			refuse(g, c, NULL, "timed out");
		else
			conn_free(g, c, true); /* the destination did not answer */
	}
}

int egress_gate_handle(struct egress_gate *g)
{
	struct epoll_event ev[32];
	int n = epoll_wait(g->ep, ev, 32, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;
		unsigned kind = (unsigned)(tag >> 56), gen = (unsigned)(tag >> 32) & 0xffffff;
		size_t idx = (uint32_t)tag;
		if (kind == K_LISTEN) {
			on_accept(g, g->listen[idx], idx == 0 ? AF_INET : AF_INET6);
			continue;
		}
		if (kind == K_TIMER) {
			expire(g);
			continue;
		}
		if (idx >= GATE_CONN_MAX)
			continue;
		struct conn *c = &g->conn[idx];
		if (c->state == S_FREE || (c->gen & 0xffffff) != gen)
			continue; /* closed earlier in this batch */
		if (c->state == S_HELLO && kind == K_CLIENT)
			on_hello(g, c, idx);
		else if (c->state == S_CONNECTING && kind == K_UPSTREAM)
			on_connected(g, c, idx);
		else if (c->state == S_SPLICE)
			on_splice(g, c, kind == K_CLIENT, ev[i].events);
	}
	arm(g);
	return 0;
}

int egress_gate_fd(const struct egress_gate *g)
{
	return g->ep;
}

uint16_t egress_gate_port(const struct egress_gate *g, int family)
{
	return g->port[family == AF_INET6];
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
		if (g->conn[i].state != S_FREE)
			conn_free(g, &g->conn[i], true);
	for (int i = 0; i < 2; i++)
		close_fd(&g->listen[i]);
	close_fd(&g->timer);
	close_fd(&g->ep);
	free(g);
}

static int listen_on(const struct cidr *c, uint16_t *port)
{
	_cleanup_close_ int fd = socket(c->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	if (c->family == AF_INET) {
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
	} else {
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof one);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	}
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (c->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, c->addr, 4);
		len = sizeof *a;
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, c->addr, 16);
		len = sizeof *a;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, GATE_CONN_MAX) < 0)
		return -errno;
	len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	*port = ntohs(c->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					   : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return TAKE_FD(fd);
}

int egress_gate_open(const struct egress_gate_job *j, struct egress_gate **out)
{
	_cleanup_(egress_gate_closep) struct egress_gate *g = calloc(1, sizeof *g);
	if (!g)
		return -ENOMEM;
	g->j = j;
	g->listen[0] = g->listen[1] = g->timer = -1;
	for (size_t i = 0; i < GATE_CONN_MAX; i++)
		g->conn[i] = (struct conn){ .client = -1, .upstream = -1, .up = { .pipe = { -1, -1 } },
					    .down = { .pipe = { -1, -1 } } };
	if ((g->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (g->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
		return -errno;
	int r = watch(g, EPOLL_CTL_ADD, g->timer, EPOLLIN, TAG(K_TIMER, 0, 0));
	for (int i = 0; !r && i < 2; i++) {
		const struct cidr *c = &j->listen[i];
		if (!c->family)
			continue;
		int f = c->family == AF_INET6;
		if (g->listen[f] >= 0)
			return -EINVAL;
		if ((g->listen[f] = listen_on(c, &g->port[f])) < 0)
			return g->listen[f];
		r = watch(g, EPOLL_CTL_ADD, g->listen[f], EPOLLIN, TAG(K_LISTEN, 0, f));
	}
	if (r)
		return r;
	*out = TAKE_PTR(g);
	return 0;
}

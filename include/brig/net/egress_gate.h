/* The name gate of a `net veth` job with egress-allow-host rules. The
 * job's packets go straight to their destination; only the first packets
 * of each new TCP connection to the address of a name on port 443 or 80
 * come here, through a netfilter queue of the supervisor's own
 * (brig/net/firewall.h: the connection's conntrack mark says "held"), in
 * its own event loop: one descriptor to poll, no thread, no daemon.
 *
 * The gate learns where the job's stream starts from its SYN (accepted at
 * once), then holds the segments that carry data, without a verdict, and
 * puts their bytes together in order (a ClientHello often spans two
 * segments; a retransmission of held bytes is dropped, one that differs
 * from them refuses the connection) until the TLS ClientHello's server
 * name (port 443) or the HTTP request's Host (port 80) is complete
 * (brig/net/tls_sni.h), and asks CHECK whether that name may reach that
 * address and port. Its verdict for the held packets carries the answer in
 * the packet mark, which the firewall copies into the connection's mark:
 * allowed, and every later packet passes in the kernel; denied, and every
 * packet is answered with a TCP reset, and ON_REFUSED is told.
 *
 * Bounded whatever the job does: at most GATE_CONN_MAX connections waiting
 * for their name (one more is reset at once), each holding at most
 * SNI_PEEK_MAX bytes of stream in GATE_HELD_MAX packets (past that it is
 * refused, "too long"), for at most GATE_HELLO_MS. The kernel keeps at
 * most GATE_QUEUE_MAXLEN packets waiting in the queue: past that, or with
 * no supervisor reading it, it drops them (no bypass: fail closed; TCP
 * sends again). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brig/lib/util.h"

#define GATE_CONN_MAX 128
#define GATE_HELD_MAX 32
#define GATE_HELLO_MS 10000 /* from the SYN to a name */
#define GATE_QUEUE_MAXLEN (GATE_CONN_MAX * GATE_HELD_MAX)

/* One refused connection. */
struct gate_event {
	const char *name;    /* the name asked for; "(none)" when there was none */
	const char *address; /* the destination */
	uint16_t port;
	const char *proto;   /* "tls" or "http" */
	const char *reason;  /* CHECK's answer, "no server name", "not tls", "too long", "timed out", ... */
};

/* NULL when NAME may reach DST:PORT (TCP), else why not. */
typedef const char *(*gate_check_fn)(void *ctx, const char *name, const struct cidr *dst, uint16_t port);

struct egress_gate_job {
	gate_check_fn check;
	void (*on_refused)(void *ctx, const struct gate_event *e);
	void *ctx;
	/* The queue number to try first (the job's lease slot): a number
	 * another process holds is skipped. */
	unsigned queue_hint;
	/* For the unit tests, which have no queue: where verdicts go (NULL:
	 * the kernel), and the port that means TLS (0: FW_GATE_TLS_PORT). */
	void (*verdict)(void *ctx, uint32_t id, int verdict, uint32_t mark);
	uint16_t tls_port;
};

struct egress_gate;

/* Binds a netfilter queue (unless J->verdict). J must outlive the gate. */
int egress_gate_open(const struct egress_gate_job *j, struct egress_gate **out);
/* The queue's number, for the firewall. */
uint16_t egress_gate_queue(const struct egress_gate *g);
/* One descriptor that is readable whenever there is work. */
int egress_gate_fd(const struct egress_gate *g);
/* Does the work there is now, without blocking. */
int egress_gate_handle(struct egress_gate *g);
/* One queued packet (an IPv4 or IPv6 packet, LEN bytes of it captured of
 * FULL): what egress_gate_handle does with each; for the unit tests. */
void egress_gate_packet(struct egress_gate *g, uint32_t id, const uint8_t *pkt, size_t len, size_t full);
/* Refuses the connections whose time ran out by NOW_MS (monotonic). */
void egress_gate_expire(struct egress_gate *g, long long now_ms);
/* Connections waiting for their name (for tests). */
size_t egress_gate_open_conns(const struct egress_gate *g);
/* Gives the queue back: packets still held are dropped by the kernel. */
void egress_gate_close(struct egress_gate *g);
static inline void egress_gate_closep(struct egress_gate **g)
{
	if (*g)
		egress_gate_close(*g);
}

/* The name gate of a `net veth` job with egress-allow-host rules: the
 * job's new TCP connections to the addresses of names, on ports 443 and
 * 80, come here instead (the firewall's dnat, brig/net/firewall.h), to a
 * listener on the host end of the job's veth in the supervisor's own
 * event loop (one descriptor to poll; no thread, no daemon).
 *
 * For each connection the gate reads the original destination
 * (SO_ORIGINAL_DST), peeks at the first bytes without taking them (at most
 * SNI_PEEK_MAX, for at most GATE_HELLO_MS): the TLS ClientHello's server
 * name on port 443, the HTTP request's Host on port 80 (brig/net/tls_sni.h),
 * and asks CHECK whether that name may reach that address and port. Then
 * it either connects to the original destination and splices both ways
 * (splice(2) through a pipe per direction: the job's bytes, the peeked ones
 * too, never pass through user space), or resets the job's connection and
 * tells ON_REFUSED.
 *
 * Bounded whatever the job does: at most GATE_CONN_MAX connections at once
 * (one more is reset at once), each with two sockets and two pipes of
 * GATE_PIPE_BYTES, one shared peek buffer. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brig/lib/util.h"

#define GATE_CONN_MAX 128
#define GATE_HELLO_MS 10000   /* from accept to a name */
#define GATE_CONNECT_MS 10000 /* from a name to the destination's answer */
/* Each splice moves at most a pipe's worth: with 64 KiB pipes (the
 * default) the lab's transfers through the gate ran at about half the rate
 * of 1 MiB ones (the most a pipe gets without raising fs.pipe-max-size). */
#define GATE_PIPE_BYTES (1 << 20)

/* One refused connection. */
struct gate_event {
	const char *name;    /* the name asked for; "(none)" when there was none */
	const char *address; /* the original destination */
	uint16_t port;
	const char *proto;   /* "tls" or "http" */
	const char *reason;  /* CHECK's answer, "no server name", "not tls", "too long", "timed out" */
};

/* NULL when NAME may reach DST:PORT (TCP), else why not. */
typedef const char *(*gate_check_fn)(void *ctx, const char *name, const struct cidr *dst, uint16_t port);

struct egress_gate_job {
	struct cidr listen[2]; /* the host end's addresses (family 0: unused) */
	gate_check_fn check;
	void (*on_refused)(void *ctx, const struct gate_event *e);
	void *ctx;
	/* For the unit tests, which have no conntrack: the destination of an
	 * accepted connection (NULL: SO_ORIGINAL_DST), and the port that
	 * means TLS (0: FW_GATE_TLS_PORT; any other port means HTTP). */
	int (*original_dst)(int fd, int family, struct cidr *dst, uint16_t *port);
	uint16_t tls_port;
};

struct egress_gate;

/* Binds a listener on each listen address, on a port the kernel picks
 * (IP_FREEBIND: before the address exists). J must outlive the gate. */
int egress_gate_open(const struct egress_gate_job *j, struct egress_gate **out);
/* The port listening on the address of FAMILY; 0 when none. */
uint16_t egress_gate_port(const struct egress_gate *g, int family);
/* One descriptor that is readable whenever there is work. */
int egress_gate_fd(const struct egress_gate *g);
/* Does the work there is now, without blocking. */
int egress_gate_handle(struct egress_gate *g);
/* Connections now open (for tests and the exited event). */
size_t egress_gate_open_conns(const struct egress_gate *g);
/* Closes every connection and the listeners. */
void egress_gate_close(struct egress_gate *g);
static inline void egress_gate_closep(struct egress_gate **g)
{
	if (*g)
		egress_gate_close(*g);
}

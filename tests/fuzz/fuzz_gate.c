/* libFuzzer target for the name gate's packet path (src/net/egress_gate.c):
 * the packets a job queues are hostile, headers and all. The input is a
 * sequence of packets for one gate, each either raw bytes (IPv4/IPv6
 * headers as the job wrote them) or a well-formed IPv4 TCP segment of one
 * of a few connections with fuzzed flags, sequence offset and payload, so
 * that the connection states are reached too.
 *
 * What must hold, whatever the input: no read outside a packet (ASan), and
 * every packet gets exactly one verdict once every connection's time has
 * run out (none forgotten in the queue, none answered twice). */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "brig/net/egress_gate.h"

#define IDS_MAX 512

static unsigned char answered[IDS_MAX];

static void on_verdict(void *ctx, uint32_t id, int v, uint32_t mark)
{
	(void)ctx, (void)v, (void)mark;
	if (id >= IDS_MAX || answered[id]++)
		abort(); /* an id never given, or answered twice */
}

static const char *check(void *ctx, const char *name, const struct cidr *dst, uint16_t port)
{
	(void)ctx, (void)dst, (void)port;
	return strcmp(name, "ok.example") == 0 ? NULL : "not allowed";
}

static const struct egress_gate_job job = { .check = check, .verdict = on_verdict };

/* A well-formed IPv4 TCP segment of connection CONN (0..3) to 443 or 80. */
static size_t segment(uint8_t *b, uint8_t conn, uint8_t flags, uint32_t seq, const uint8_t *data, size_t n)
{
	memset(b, 0, 40);
	b[0] = 0x45;
	b[2] = (uint8_t)((40 + n) >> 8);
	b[3] = (uint8_t)(40 + n);
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	memcpy(b + 16, (uint8_t[]){ 192, 0, 2, 1 }, 4);
	uint16_t sport = (uint16_t)(40000 + (conn & 3)), dport = conn & 4 ? 80 : 443;
	b[20] = (uint8_t)(sport >> 8), b[21] = (uint8_t)sport;
	b[22] = (uint8_t)(dport >> 8), b[23] = (uint8_t)dport;
	seq = htonl(seq);
	memcpy(b + 24, &seq, 4);
	b[32] = 5 << 4;
	b[33] = flags;
	memcpy(b + 40, data, n);
	return 40 + n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct egress_gate *g = NULL;
	if (egress_gate_open(&job, &g) < 0)
		abort();
	memset(answered, 0, sizeof answered);
	uint32_t id = 0;
	static uint8_t pkt[2048];
	/* Record: kind, then for raw: a length byte and the bytes; for a
	 * segment: conn, flags, a sequence offset byte, a length byte, data. */
	for (size_t i = 0; i < len && id < IDS_MAX;) {
		uint8_t kind = data[i++];
		size_t n = 0;
		if (kind & 1) {
			if (len - i < 4)
				break;
			uint8_t conn = data[i], flags = data[i + 1], off = data[i + 2];
			size_t dl = data[i + 3] * 4u;
			i += 4;
			if (dl > len - i)
				dl = len - i;
			n = segment(pkt, conn, flags, 1000u + (flags & 0x02 ? 0 : 1u + off * 8u), data + i, dl);
			i += dl;
		} else {
			if (len - i < 1)
				break;
			n = data[i++] * 8u;
			if (n > len - i)
				n = len - i;
			memcpy(pkt, data + i, n);
			i += n;
		}
		/* An exact-size copy, so that ASan sees a read past the packet. */
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, pkt, n);
		egress_gate_packet(g, id++, copy, n, n + (kind >> 1 & 7) * 100u);
		free(copy);
	}
	egress_gate_expire(g, INT64_MAX / 2);
	for (uint32_t k = 0; k < id; k++)
		if (answered[k] != 1)
			abort(); /* a packet left without an answer */
	egress_gate_close(g);
	return 0;
}

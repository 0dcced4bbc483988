/* The name gate without a kernel queue: the test builds the packets the
 * queue would give (IPv4, TCP) and records the verdicts; port 80 is HTTP. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <string.h>

#include "brig/net/egress_gate.h"
#include "brig/net/firewall.h"

static char refused_name[300], refused_reason[64];
static unsigned refusals;

#define MAXV 64
static struct {
	uint32_t id;
	int verdict;
	uint32_t mark;
} got[MAXV];
static size_t n_got;

static const char *check(void *ctx, const char *name, const struct cidr *dst, uint16_t port)
{
	(void)ctx;
	(void)dst;
	(void)port;
	return strcmp(name, "ok.test") == 0 ? NULL : "not allowed";
}

static void on_refused(void *ctx, const struct gate_event *e)
{
	(void)ctx;
	refusals++;
	snprintf(refused_name, sizeof refused_name, "%s", e->name);
	snprintf(refused_reason, sizeof refused_reason, "%s", e->reason);
}

static void on_verdict(void *ctx, uint32_t id, int v, uint32_t mark)
{
	(void)ctx;
	cr_assert(n_got < MAXV);
	got[n_got].id = id;
	got[n_got].verdict = v;
	got[n_got++].mark = mark;
}

static struct egress_gate_job job = { .check = check, .on_refused = on_refused, .verdict = on_verdict };

static struct egress_gate *gate_up(void)
{
	struct egress_gate *g;
	refusals = 0;
	n_got = 0;
	cr_assert_eq(egress_gate_open(&job, &g), 0);
	return g;
}

#define ISN 1000u

/* A packet from 192.0.2.2:40000 to 198.51.100.10:80 with FLAGS, sequence
 * number SEQ and LEN bytes of DATA. */
static void send_pkt(struct egress_gate *g, uint32_t id, uint8_t flags, uint32_t seq, const char *data, size_t len)
{
	uint8_t p[1600] = { 0x45 };
	p[9] = 6;
	memcpy(p + 12, (uint8_t[]){ 192, 0, 2, 2 }, 4);
	memcpy(p + 16, (uint8_t[]){ 198, 51, 100, 10 }, 4);
	uint8_t *t = p + 20;
	t[0] = 40000 >> 8, t[1] = 40000 & 0xff, t[2] = 0, t[3] = 80;
	t[4] = (uint8_t)(seq >> 24), t[5] = (uint8_t)(seq >> 16), t[6] = (uint8_t)(seq >> 8), t[7] = (uint8_t)seq;
	t[12] = 5 << 4;
	t[13] = flags;
	memcpy(t + 20, data, len);
	egress_gate_packet(g, id, p, 40 + len, 40 + len);
}

static void handshake(struct egress_gate *g)
{
	send_pkt(g, 1, 0x02, ISN, "", 0);        /* SYN */
	send_pkt(g, 2, 0x10, ISN + 1, "", 0);    /* its ACK */
	cr_assert_eq(n_got, 2);
	cr_expect(got[0].verdict == NF_ACCEPT && got[1].verdict == NF_ACCEPT && !got[0].mark && !got[1].mark);
	n_got = 0;
}

Test(egress_gate, an_allowed_name_in_two_segments_is_held_then_allowed_in_order)
{
	struct egress_gate *g = gate_up();
	handshake(g);
	const char *a = "GET / HTTP/1.1\r\nHo", *b = "st: OK.test:80\r\n\r\n";
	/* The second piece first: nothing goes until the name is whole. */
	send_pkt(g, 11, 0x18, ISN + 1 + (uint32_t)strlen(a), b, strlen(b));
	cr_expect_eq(n_got, 0, "a verdict before the name was whole");
	send_pkt(g, 10, 0x18, ISN + 1, a, strlen(a));
	cr_assert_eq(n_got, 2);
	cr_expect(got[0].id == 10 && got[1].id == 11, "not in stream order");
	for (size_t i = 0; i < 2; i++)
		cr_expect(got[i].verdict == NF_REPEAT && got[i].mark == FW_GATE_MARK_ALLOW);
	cr_expect_eq(refusals, 0);
	cr_expect_eq(egress_gate_open_conns(g), 0);
	/* A packet queued before the kernel knew: the same answer. */
	send_pkt(g, 12, 0x18, ISN + 100, "x", 1);
	cr_expect(got[2].id == 12 && got[2].mark == FW_GATE_MARK_ALLOW);
	egress_gate_close(g);
}

Test(egress_gate, another_name_garbage_or_a_different_retransmission_is_denied_and_reported)
{
	static const struct {
		const char *first, *again, *name, *reason;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n", NULL, "evil.test", "not allowed" },
		{ "\x16\x03\x01 not http at all\r\n\r\n", NULL, "(none)", "not http" },
		{ "GET / HTTP/1.1\r\nHo", "GET / HTTP/1.1\r\nXX", "(none)", "retransmission differs" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct egress_gate *g = gate_up();
		handshake(g);
		send_pkt(g, 20, 0x18, ISN + 1, cases[k].first, strlen(cases[k].first));
		if (cases[k].again)
			send_pkt(g, 21, 0x18, ISN + 1, cases[k].again, strlen(cases[k].again));
		cr_expect_eq(refusals, 1, "case %zu", k);
		cr_expect_str_eq(refused_name, cases[k].name);
		cr_expect_str_eq(refused_reason, cases[k].reason);
		cr_assert(n_got >= 1);
		for (size_t i = 0; i < n_got; i++)
			cr_expect(got[i].verdict == NF_REPEAT && got[i].mark == FW_GATE_MARK_DENY, "case %zu", k);
		egress_gate_close(g);
	}
}

Test(egress_gate, a_retransmission_of_held_bytes_is_dropped_and_time_runs_out)
{
	struct egress_gate *g = gate_up();
	handshake(g);
	const char *a = "GET / HTTP/1.1\r\nHo";
	send_pkt(g, 30, 0x18, ISN + 1, a, strlen(a));
	send_pkt(g, 31, 0x18, ISN + 1, a, strlen(a));
	cr_assert_eq(n_got, 1);
	cr_expect(got[0].id == 31 && got[0].verdict == NF_DROP);
	egress_gate_expire(g, now_ms() + GATE_HELLO_MS + 1);
	cr_assert_eq(n_got, 2);
	cr_expect(got[1].id == 30 && got[1].mark == FW_GATE_MARK_DENY);
	cr_expect_str_eq(refused_reason, "timed out");
	egress_gate_close(g);
}

Test(egress_gate, a_connection_not_seen_from_its_start_or_past_the_table_is_denied)
{
	struct egress_gate *g = gate_up();
	send_pkt(g, 40, 0x18, 5, "GET", 3);
	cr_assert_eq(n_got, 1);
	cr_expect(got[0].verdict == NF_REPEAT && got[0].mark == FW_GATE_MARK_DENY);
	egress_gate_close(g);
}

Test(egress_gate, a_name_in_too_many_segments_is_too_long)
{
	struct egress_gate *g = gate_up();
	handshake(g);
	static char line[10]; /* many small segments: the held count runs out */
	memset(line, 'a', sizeof line);
	memcpy(line, "X: ", 3);
	memcpy(line + sizeof line - 2, "\r\n", 2);
	uint32_t seq = ISN + 1;
	send_pkt(g, 49, 0x18, seq, "GET / HTTP/1.1\r\n", 16);
	seq += 16;
	for (uint32_t id = 50; refusals == 0 && id < 50 + GATE_HELD_MAX + 1; id++, seq += sizeof line)
		send_pkt(g, id, 0x18, seq, line, sizeof line);
	cr_expect_eq(refusals, 1);
	cr_expect_str_eq(refused_reason, "too long");
	egress_gate_close(g);
}

/* A SYN on the same addresses and ports while bytes of the old connection
 * are held starts a new connection: what was held is dropped, not left in
 * the kernel's queue without a verdict (found by tests/fuzz/fuzz_gate.c). */
Test(egress_gate, a_new_syn_on_the_same_ports_drops_what_the_old_connection_held)
{
	struct egress_gate *g = gate_up();
	handshake(g);
	const char *a = "GET / HTTP/1.1\r\nHo";
	send_pkt(g, 50, 0x18, ISN + 1, a, strlen(a));
	cr_assert_eq(n_got, 0, "the request is held");
	send_pkt(g, 51, 0x02, ISN + 7000, "", 0);
	cr_assert_eq(n_got, 2, "a verdict for the held request and one for the SYN");
	cr_expect(got[0].id == 50 && got[0].verdict == NF_DROP, "the held request: %u %d", got[0].id, got[0].verdict);
	cr_expect(got[1].id == 51 && got[1].verdict == NF_ACCEPT, "the new SYN");
	cr_expect_eq(egress_gate_open_conns(g), 1);
	egress_gate_close(g);
}

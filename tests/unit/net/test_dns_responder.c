/* The DNS responder on loopback, with the test as the job and as the
 * upstream resolver, and a stand-in for the firewall's sets: no
 * privileges needed. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "brig/net/dns_responder.h"
#include "brig/net/egress.h"

static struct {
	unsigned calls, group;
	struct cidr addrs[8];
	size_t n;
	uint64_t timeout_ms;
} allowed;

static int fake_allow(const char *id, unsigned group, const struct cidr *addrs, size_t n, uint64_t timeout_ms)
{
	(void)id;
	allowed.calls++;
	allowed.group = group;
	allowed.n = n < 8 ? n : 8;
	memcpy(allowed.addrs, addrs, allowed.n * sizeof *addrs);
	allowed.timeout_ms = timeout_ms;
	return 0;
}

static struct dns_event last_event;
static char last_name[300], last_reason[64], last_addr[64];
static unsigned events;

static void on_refused(void *ctx, const struct dns_event *e)
{
	(void)ctx;
	events++;
	last_event = *e;
	snprintf(last_name, sizeof last_name, "%s", e->name);
	snprintf(last_reason, sizeof last_reason, "%s", e->reason);
	snprintf(last_addr, sizeof last_addr, "%s", e->address ? e->address : "");
}

static uint16_t free_port(int type)
{
	int fd = socket(AF_INET, type, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	cr_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

struct rig {
	struct dns_responder *r;
	struct dns_responder_job j;
	struct egress_host hosts[3];
	struct cidr upstream;
	int up;    /* the fake resolver */
	int job;   /* the job's UDP socket */
	struct sockaddr_in to;
};

static void rig_up(struct rig *g)
{
	memset(g, 0, sizeof *g);
	memset(&allowed, 0, sizeof allowed);
	events = 0;
	cr_assert_eq(net_parse_egress_host("ok.test", true, &g->hosts[0]), 0);
	cr_assert_eq(net_parse_egress_host("*.wild.test:443/tcp", true, &g->hosts[1]), 0);
	cr_assert_eq(net_parse_egress_host("no.wild.test", false, &g->hosts[2]), 0);
	g->up = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ua = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof ua;
	cr_assert(bind(g->up, (struct sockaddr *)&ua, sizeof ua) == 0);
	getsockname(g->up, (struct sockaddr *)&ua, &len);
	parse_cidr("127.0.0.1", &g->upstream);
	parse_cidr("127.0.0.1", &g->j.listen[0]);
	g->j = (struct dns_responder_job){ .id = "t", .listen = { g->j.listen[0] }, .port = free_port(SOCK_DGRAM),
					   .upstream = &g->upstream, .n_upstream = 1, .upstream_port = ntohs(ua.sin_port),
					   .hosts = g->hosts, .n_hosts = 3, .allow = fake_allow, .on_refused = on_refused };
	cr_assert_eq(dns_responder_open(&g->j, &g->r), 0);
	g->job = socket(AF_INET, SOCK_DGRAM, 0);
	g->to = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(g->j.port),
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static void rig_down(struct rig *g)
{
	dns_responder_close(g->r);
	close(g->up);
	close(g->job);
}

static size_t query_wire(const char *name, ldns_rr_type type, uint16_t id, uint8_t **wire)
{
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	ldns_pkt *q = ldns_pkt_query_new(d, type, LDNS_RR_CLASS_IN, LDNS_RD);
	cr_assert(q);
	ldns_pkt_set_id(q, id);
	size_t len = 0;
	cr_assert_eq(ldns_pkt2wire(wire, q, &len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	return len;
}

static void ask(struct rig *g, const char *name, uint16_t id)
{
	uint8_t *wire = NULL;
	size_t len = query_wire(name, LDNS_RR_TYPE_A, id, &wire);
	cr_assert_eq(sendto(g->job, wire, len, 0, (struct sockaddr *)&g->to, sizeof g->to), (ssize_t)len);
	free(wire);
}

/* Runs the responder until FD has something to read (or 2 s went by). */
static bool pump_until(struct rig *g, int fd)
{
	for (int i = 0; i < 200; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 0) == 1)
			return true;
		struct pollfd rp = { .fd = dns_responder_fd(g->r), .events = POLLIN };
		poll(&rp, 1, 10);
		cr_assert_eq(dns_responder_handle(g->r), 0);
	}
	return false;
}

static ldns_pkt *receive(int fd)
{
	uint8_t buf[4096];
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	cr_assert_gt(n, 0);
	ldns_pkt *p = NULL;
	cr_assert_eq(ldns_wire2pkt(&p, buf, (size_t)n), LDNS_STATUS_OK);
	return p;
}

/* The fake resolver answers the query waiting on it with RECORDS. */
static void resolver_answers(struct rig *g, const char *const *records)
{
	cr_assert(pump_until(g, g->up), "the query never reached the resolver");
	uint8_t buf[4096];
	struct sockaddr_storage from;
	socklen_t flen = sizeof from;
	ssize_t n = recvfrom(g->up, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
	cr_assert_gt(n, 0);
	ldns_pkt *q = NULL;
	cr_assert_eq(ldns_wire2pkt(&q, buf, (size_t)n), LDNS_STATUS_OK);
	ldns_pkt_set_qr(q, true);
	for (; *records; records++) {
		ldns_rr *rr = NULL;
		cr_assert_eq(ldns_rr_new_frm_str(&rr, *records, 0, NULL, NULL), LDNS_STATUS_OK, "%s", *records);
		ldns_pkt_push_rr(q, LDNS_SECTION_ANSWER, rr);
	}
	uint8_t *wire = NULL;
	size_t len = 0;
	cr_assert_eq(ldns_pkt2wire(&wire, q, &len), LDNS_STATUS_OK);
	cr_assert_eq(sendto(g->up, wire, len, 0, (struct sockaddr *)&from, flen), (ssize_t)len);
	free(wire);
	ldns_pkt_free(q);
}

Test(dns_responder, an_allowed_name_is_resolved_and_its_address_allowed_first)
{
	struct rig g;
	rig_up(&g);
	ask(&g, "OK.test.", 0x1234);
	resolver_answers(&g, (const char *const[]){ "ok.test. 30 IN A 198.51.100.10", NULL });
	cr_assert(pump_until(&g, g.job), "no answer");
	ldns_pkt *a = receive(g.job);
	cr_expect_eq(ldns_pkt_id(a), 0x1234, "the job's id was not restored");
	cr_expect_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_NOERROR);
	cr_expect_eq(ldns_rr_list_rr_count(ldns_pkt_answer(a)), 1);
	ldns_pkt_free(a);
	cr_expect_eq(allowed.calls, 1);
	cr_expect_eq(allowed.n, 1);
	cr_expect_eq(allowed.timeout_ms, (30 + EGRESS_GRACE_S) * 1000);
	char text[64];
	format_cidr(&allowed.addrs[0], text, sizeof text);
	cr_expect_str_eq(text, "198.51.100.10/32");
	/* Asked again while the address has TTL + a minute left in the set:
	 * answered without a new trip to the firewall. */
	ask(&g, "ok.test", 0x1235);
	resolver_answers(&g, (const char *const[]){ "ok.test. 30 IN A 198.51.100.10", NULL });
	cr_assert(pump_until(&g, g.job), "no second answer");
	ldns_pkt_free(receive(g.job));
	cr_expect_eq(allowed.calls, 1, "the set was updated again for an address it holds long enough");
	const struct dns_name_count *c;
	size_t n = dns_responder_counts(g.r, &c);
	cr_expect(n == 1 && strcmp(c[0].name, "ok.test") == 0 && c[0].allowed == 2);
	rig_down(&g);
}

/* A name on two rules with different ports (a forge over HTTPS and SSH):
 * its addresses go into both rules' sets. */
Test(dns_responder, a_name_on_two_rules_enters_both_port_groups)
{
	struct rig g;
	rig_up(&g);
	dns_responder_close(g.r);
	cr_assert_eq(net_parse_egress_host("ok.test:443/tcp", true, &g.hosts[0]), 0);
	cr_assert_eq(net_parse_egress_host("ok.test:22/tcp", true, &g.hosts[1]), 0);
	cr_assert_eq(dns_responder_open(&g.j, &g.r), 0);
	ask(&g, "ok.test", 0x3000);
	resolver_answers(&g, (const char *const[]){ "ok.test. 30 IN A 198.51.100.10", NULL });
	cr_assert(pump_until(&g, g.job), "no answer");
	ldns_pkt_free(receive(g.job));
	cr_expect_eq(allowed.calls, 2, "the address went into %u sets", allowed.calls);
	cr_expect_eq(allowed.group, 1, "the second rule's group was not the last filled");
	rig_down(&g);
}

/* What the name gate asks: which name led to which address. */
Test(dns_responder, it_knows_which_name_resolved_to_which_address)
{
	struct rig g;
	rig_up(&g);
	struct cidr there, elsewhere;
	parse_cidr("198.51.100.10", &there);
	parse_cidr("198.51.100.77", &elsewhere);
	cr_expect(!dns_responder_resolved(g.r, "ok.test", &there), "known before it was asked");
	ask(&g, "ok.test", 0x2000);
	resolver_answers(&g, (const char *const[]){ "ok.test. 30 IN A 198.51.100.10", NULL });
	cr_assert(pump_until(&g, g.job), "no answer");
	ldns_pkt_free(receive(g.job));
	cr_expect(dns_responder_resolved(g.r, "ok.test", &there));
	cr_expect(!dns_responder_resolved(g.r, "ok.test", &elsewhere));
	cr_expect(!dns_responder_resolved(g.r, "a.wild.test", &there), "another name counted");
	/* A refused connection counts under its name, reported like a refused
	 * question, with its port and protocol. */
	dns_responder_refused_conn(g.r, "evil.test", "198.51.100.10", 443, "tls", "not allowed");
	cr_expect_eq(events, 1);
	cr_expect_str_eq(last_name, "evil.test");
	cr_expect_eq(last_event.port, 443);
	cr_expect(last_event.first);
	const struct dns_name_count *c;
	size_t n = dns_responder_counts(g.r, &c);
	cr_expect(n == 2 && strcmp(c[1].name, "evil.test") == 0 && c[1].denied == 1);
	rig_down(&g);
}

Test(dns_responder, names_no_rule_allows_are_refused_and_reported_at_once)
{
	struct rig g;
	rig_up(&g);
	static const char *const refused[] = { "evil.test", "wild.test", "no.wild.test", "xok.test" };
	for (size_t i = 0; i < 4; i++) {
		ask(&g, refused[i], (uint16_t)i);
		cr_assert(pump_until(&g, g.job), "no answer for %s", refused[i]);
		ldns_pkt *a = receive(g.job);
		cr_expect_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED, "%s not refused", refused[i]);
		ldns_pkt_free(a);
		cr_expect_str_eq(last_name, refused[i]);
		cr_expect(last_event.first);
	}
	cr_expect_str_eq(last_reason, "not allowed");
	ask(&g, "no.wild.test", 9);
	pump_until(&g, g.job);
	ldns_pkt_free(receive(g.job));
	cr_expect_str_eq(last_reason, "denied");
	cr_expect(!last_event.first);
	cr_expect_eq(last_event.count, 2);
	struct pollfd p = { .fd = g.up, .events = POLLIN };
	cr_expect_eq(poll(&p, 1, 0), 0, "a refused name reached the resolver");
	cr_expect_eq(allowed.calls, 0);
	rig_down(&g);
}

Test(dns_responder, an_answer_holding_an_internal_address_is_refused_whole)
{
	static const char *const bad[] = { "10.0.0.5", "169.254.169.254", "127.0.0.1" };
	for (size_t i = 0; i < 3; i++) {
		struct rig g;
		rig_up(&g);
		char rr[128];
		snprintf(rr, sizeof rr, "a.wild.test. 300 IN A %s", bad[i]);
		ask(&g, "a.wild.test", 7);
		resolver_answers(&g, (const char *const[]){ "a.wild.test. 300 IN A 198.51.100.10", rr, NULL });
		cr_assert(pump_until(&g, g.job));
		ldns_pkt *a = receive(g.job);
		cr_expect_eq(ldns_pkt_get_rcode(a), LDNS_RCODE_REFUSED, "%s passed", bad[i]);
		cr_expect_eq(ldns_rr_list_rr_count(ldns_pkt_answer(a)), 0);
		ldns_pkt_free(a);
		cr_expect_eq(allowed.calls, 0, "an address of a refused answer entered the set");
		cr_expect_str_eq(last_addr, bad[i]);
		rig_down(&g);
	}
}

Test(dns_responder, an_answer_from_elsewhere_or_with_another_id_is_ignored)
{
	struct rig g;
	rig_up(&g);
	ask(&g, "ok.test", 1);
	cr_assert(pump_until(&g, g.up));
	uint8_t buf[512];
	struct sockaddr_storage from;
	socklen_t flen = sizeof from;
	ssize_t n = recvfrom(g.up, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
	cr_assert_gt(n, 12);
	/* The job itself guesses: same question, wrong source. */
	ldns_pkt *q = NULL;
	ldns_wire2pkt(&q, buf, (size_t)n);
	ldns_pkt_set_qr(q, true);
	ldns_rr *rr = NULL;
	ldns_rr_new_frm_str(&rr, "ok.test. 30 IN A 198.51.100.99", 0, NULL, NULL);
	ldns_pkt_push_rr(q, LDNS_SECTION_ANSWER, rr);
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt2wire(&wire, q, &len);
	cr_assert_eq(sendto(g.job, wire, len, 0, (struct sockaddr *)&from, flen), (ssize_t)len);
	free(wire);
	ldns_pkt_free(q);
	for (int i = 0; i < 20; i++)
		dns_responder_handle(g.r), usleep(1000);
	cr_expect_eq(allowed.calls, 0, "a forged answer was taken");
	rig_down(&g);
}

Test(dns_responder, tcp_queries_are_answered)
{
	struct rig g;
	rig_up(&g);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(s, (struct sockaddr *)&g.to, sizeof g.to), 0, "no TCP listener");
	uint8_t *wire = NULL;
	size_t len = query_wire("ok.test", LDNS_RR_TYPE_A, 77, &wire);
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	cr_assert_eq(write(s, hdr, 2), 2);
	cr_assert_eq(write(s, wire, len), (ssize_t)len);
	free(wire);
	resolver_answers(&g, (const char *const[]){ "ok.test. 5 IN A 198.51.100.10", NULL });
	cr_assert(pump_until(&g, s), "no TCP answer");
	uint8_t buf[1024];
	ssize_t n = read(s, buf, sizeof buf);
	cr_assert_gt(n, 2);
	cr_expect_eq((size_t)(buf[0] << 8 | buf[1]), (size_t)n - 2);
	ldns_pkt *a = NULL;
	cr_assert_eq(ldns_wire2pkt(&a, buf + 2, (size_t)n - 2), LDNS_STATUS_OK);
	cr_expect_eq(ldns_pkt_id(a), 77);
	cr_expect_eq(ldns_rr_list_rr_count(ldns_pkt_answer(a)), 1);
	ldns_pkt_free(a);
	cr_expect_eq(allowed.calls, 1);
	close(s);
	rig_down(&g);
}

Test(dns_responder, a_flood_is_answered_and_reported_within_the_rate)
{
	struct rig g;
	rig_up(&g);
	int answered = 0;
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 20; i++) {
			char name[64];
			snprintf(name, sizeof name, "n%d.flood.test", i % 3);
			ask(&g, name, (uint16_t)i);
		}
		while (answered < (round + 1) * 20 && pump_until(&g, g.job)) {
			ldns_pkt_free(receive(g.job));
			answered++;
		}
	}
	cr_expect_eq(answered, 1000);
	/* Three first refusals and a burst: far fewer events than queries. */
	cr_expect_lt(events, 100, "%u events for 1000 refusals", events);
	const struct dns_name_count *c;
	size_t n = dns_responder_counts(g.r, &c);
	unsigned long denied = 0;
	for (size_t i = 0; i < n; i++)
		denied += c[i].denied;
	cr_expect_eq(denied, 1000);
	rig_down(&g);
}

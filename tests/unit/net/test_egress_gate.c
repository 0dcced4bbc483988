/* The name gate on loopback, with the test as the job and as the server:
 * no conntrack, so the original destination is the test's echo server
 * (a stand-in for SO_ORIGINAL_DST), and its port means HTTP. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "brig/net/egress_gate.h"

static uint16_t echo_port;
static char refused_name[300], refused_reason[64];
static unsigned refusals;

static int fake_dst(int fd, int family, struct cidr *dst, uint16_t *port)
{
	(void)fd;
	(void)family;
	parse_cidr("127.0.0.1", dst);
	*port = echo_port;
	return 0;
}

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

struct rig {
	struct egress_gate_job j;
	struct egress_gate *g;
	int server;      /* the echo server's listener */
	int served[8];   /* its connections */
};

static int listener(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	cr_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 8) == 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return fd;
}

static void rig_up(struct rig *r)
{
	memset(r, 0, sizeof *r);
	refusals = 0;
	r->server = listener(&echo_port);
	for (int i = 0; i < 8; i++)
		r->served[i] = -1;
	parse_cidr("127.0.0.1", &r->j.listen[0]);
	r->j.check = check;
	r->j.on_refused = on_refused;
	r->j.original_dst = fake_dst;
	r->j.tls_port = 1; /* never the echo server's: it speaks HTTP */
	cr_assert_eq(egress_gate_open(&r->j, &r->g), 0);
	cr_assert_neq(egress_gate_port(r->g, AF_INET), 0);
}

static void rig_down(struct rig *r)
{
	egress_gate_close(r->g);
	close(r->server);
	for (int i = 0; i < 8; i++)
		if (r->served[i] >= 0)
			close(r->served[i]);
}

/* One round of the loop: the gate's work, then the echo server's. */
static void turn(struct rig *r)
{
	struct pollfd p = { .fd = egress_gate_fd(r->g), .events = POLLIN };
	poll(&p, 1, 5);
	cr_assert_eq(egress_gate_handle(r->g), 0);
	int fd = accept4(r->server, NULL, NULL, SOCK_NONBLOCK);
	for (int i = 0; fd >= 0 && i < 8; i++)
		if (r->served[i] < 0) {
			r->served[i] = fd;
			fd = -1;
		}
	char buf[65536];
	for (int i = 0; i < 8; i++) {
		if (r->served[i] < 0)
			continue;
		ssize_t n = recv(r->served[i], buf, sizeof buf, MSG_DONTWAIT);
		if (n > 0)
			cr_assert_eq(send(r->served[i], buf, (size_t)n, MSG_NOSIGNAL), n);
		else if (n == 0) {
			close(r->served[i]);
			r->served[i] = -1;
		}
	}
}

static int dial(struct rig *r)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(egress_gate_port(r->g, AF_INET)) };
	cr_assert(connect(fd, (struct sockaddr *)&a, sizeof a) == 0 || errno == EINPROGRESS);
	return fd;
}

/* Sends DATA and reads LEN bytes back through the gate; -errno when the
 * connection broke, else the count read. */
static ssize_t exchange(struct rig *r, int fd, const char *data, size_t len, char *back)
{
	size_t sent = 0, got = 0;
	for (int i = 0; i < 2000 && got < len; i++) {
		turn(r);
		if (sent < len) {
			ssize_t n = send(fd, data + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
		}
		ssize_t n = recv(fd, back + got, len - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0)
			break;
		else if (errno != EAGAIN)
			return -errno;
	}
	return (ssize_t)got;
}

Test(egress_gate, an_allowed_name_passes_with_its_bytes_intact_both_ways)
{
	struct rig r;
	rig_up(&r);
	static char data[300000], back[sizeof data];
	int n = snprintf(data, sizeof data, "GET / HTTP/1.1\r\nHost: OK.test:80\r\n\r\n");
	for (size_t i = (size_t)n; i < sizeof data; i++)
		data[i] = (char)(i * 7 + 3);
	int fd = dial(&r);
	cr_assert_eq(exchange(&r, fd, data, sizeof data, back), (ssize_t)sizeof data);
	cr_expect(memcmp(data, back, sizeof data) == 0, "the bytes changed on the way");
	cr_expect_eq(refusals, 0);
	cr_expect_eq(egress_gate_open_conns(r.g), 1);
	/* The job closes: so does the gate's side, once the server has. */
	close(fd);
	for (int i = 0; i < 200 && egress_gate_open_conns(r.g); i++)
		turn(&r);
	cr_expect_eq(egress_gate_open_conns(r.g), 0, "the connection outlived both ends");
	rig_down(&r);
}

Test(egress_gate, another_name_or_garbage_is_reset_and_reported)
{
	static const struct {
		const char *first, *name, *reason;
	} cases[] = {
		{ "GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n", "evil.test", "not allowed" },
		{ "\x16\x03\x01 not http at all\r\n\r\n", "(none)", "not http" },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct rig r;
		rig_up(&r);
		char back[64];
		int fd = dial(&r);
		ssize_t got = exchange(&r, fd, cases[k].first, strlen(cases[k].first), back);
		cr_expect(got == -ECONNRESET || got == 0, "case %zu: %zd", k, got);
		cr_expect_eq(refusals, 1, "case %zu", k);
		cr_expect_str_eq(refused_name, cases[k].name);
		cr_expect_str_eq(refused_reason, cases[k].reason);
		cr_expect_eq(egress_gate_open_conns(r.g), 0);
		for (int i = 0; i < 8; i++)
			cr_expect_eq(r.served[i], -1, "case %zu: the server was reached", k);
		close(fd);
		rig_down(&r);
	}
}

Test(egress_gate, a_name_in_pieces_is_waited_for)
{
	struct rig r;
	rig_up(&r);
	int fd = dial(&r);
	const char *a = "GET / HTTP/1.1\r\nHo", *b = "st: ok.test\r\n\r\n";
	for (int i = 0; i < 20; i++)
		turn(&r);
	cr_assert_eq(send(fd, a, strlen(a), 0), (ssize_t)strlen(a));
	for (int i = 0; i < 20; i++)
		turn(&r);
	cr_expect_eq(refusals, 0, "refused before the name was whole");
	char back[64];
	cr_expect_eq(exchange(&r, fd, b, strlen(b), back), (ssize_t)strlen(b));
	cr_expect(strncmp(back, a, strlen(b)) == 0, "the first piece did not come first");
	close(fd);
	rig_down(&r);
}

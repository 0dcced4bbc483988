/* dns-ask: DNS questions from inside a job, for the egress-by-name tests.
 *
 *   dns-ask udp|tcp SERVER NAME [aaaa]   one A (or AAAA) question; prints
 *       "rcode=N addrs=A,B ms=T" (rcode -1: no answer within 3 s)
 *   dns-ask flood SERVER N               N A questions over UDP for names
 *       f<i>.flood.test, at most 256 unanswered at a time (those still
 *       unanswered after 200 ms count as lost); prints
 *       "sent=N answered=M ms=T"
 *   dns-ask bench SERVER NAME N          N A questions one after the other
 *       over UDP; prints "mean_us=M median_us=D failed=F"
 * SERVER is an IPv4 address. Test code: the answers are trusted to be
 * well formed enough to walk. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static size_t build(uint8_t *buf, uint16_t id, const char *name, uint16_t type)
{
	size_t n = 0;
	uint8_t hdr[12] = { (uint8_t)(id >> 8), (uint8_t)id, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(buf, hdr, 12);
	n = 12;
	for (const char *p = name; *p;) {
		size_t l = strcspn(p, ".");
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, p, l);
		n += l;
		p += l + (p[l] == '.');
	}
	buf[n++] = 0;
	buf[n++] = (uint8_t)(type >> 8);
	buf[n++] = (uint8_t)type;
	buf[n++] = 0;
	buf[n++] = 1;
	return n;
}

static size_t skip_name(const uint8_t *m, size_t len, size_t at)
{
	while (at < len) {
		if (m[at] == 0)
			return at + 1;
		if ((m[at] & 0xc0) == 0xc0)
			return at + 2;
		at += (size_t)m[at] + 1;
	}
	return len;
}

static void print_answer(const uint8_t *m, size_t len, long long ms)
{
	if (len < 12) {
		printf("rcode=-1 addrs= ms=%lld\n", ms);
		return;
	}
	unsigned rcode = m[3] & 0xf, an = (unsigned)(m[6] << 8 | m[7]);
	size_t at = skip_name(m, len, 12) + 4;
	printf("rcode=%u addrs=", rcode);
	for (unsigned i = 0; i < an && at < len; i++) {
		at = skip_name(m, len, at);
		if (at + 10 > len)
			break;
		unsigned type = (unsigned)(m[at] << 8 | m[at + 1]), rdlen = (unsigned)(m[at + 8] << 8 | m[at + 9]);
		at += 10;
		char text[64];
		if (at + rdlen <= len && ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16))) {
			inet_ntop(type == 1 ? AF_INET : AF_INET6, m + at, text, sizeof text);
			printf("%s%s", i ? "," : "", text);
		}
		at += rdlen;
	}
	printf(" ms=%lld\n", ms);
}

static int ask(bool tcp, const char *server, const char *name, uint16_t type)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
	if (inet_pton(AF_INET, server, &to.sin_addr) != 1)
		return 2;
	uint8_t q[600], a[65536 + 2];
	size_t qlen = build(q + 2, 0x4242, name, type);
	long long t0 = now_ms();
	int s = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	struct timeval tv = { .tv_sec = 3 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t n;
	if (tcp) {
		q[0] = (uint8_t)(qlen >> 8);
		q[1] = (uint8_t)qlen;
		if (connect(s, (struct sockaddr *)&to, sizeof to) < 0 || write(s, q, qlen + 2) != (ssize_t)(qlen + 2)) {
			printf("rcode=-1 addrs= ms=%lld error=%s\n", now_ms() - t0, strerror(errno));
			return 1;
		}
		size_t got = 0;
		while (got < 2 || got < 2 + (size_t)(a[0] << 8 | a[1])) {
			n = read(s, a + got, sizeof a - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		print_answer(a + 2, got > 2 ? got - 2 : 0, now_ms() - t0);
	} else {
		sendto(s, q + 2, qlen, 0, (struct sockaddr *)&to, sizeof to);
		n = recv(s, a, sizeof a, 0);
		print_answer(a, n > 0 ? (size_t)n : 0, now_ms() - t0);
	}
	close(s);
	return 0;
}

static int flood(const char *server, long count)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
	if (inet_pton(AF_INET, server, &to.sin_addr) != 1)
		return 2;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = 4 << 20;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	long sent = 0, answered = 0;
	long long t0 = now_ms();
	uint8_t q[600], a[4096];
	long lost = 0;
	while (sent < count) {
		if (sent - answered - lost >= 256) {
			struct pollfd p = { .fd = s, .events = POLLIN };
			if (poll(&p, 1, 200) != 1)
				lost = sent - answered;
			while (recv(s, a, sizeof a, 0) > 0)
				answered++;
			continue;
		}
		char name[64];
		snprintf(name, sizeof name, "f%ld.flood.test", sent);
		size_t qlen = build(q, (uint16_t)sent, name, 1);
		if (sendto(s, q, qlen, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)qlen)
			sent++;
		else {
			struct pollfd p = { .fd = s, .events = POLLIN };
			poll(&p, 1, 1);
		}
		while (recv(s, a, sizeof a, 0) > 0)
			answered++;
	}
	/* What is still on its way: until a second passes without any. */
	for (;;) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (poll(&p, 1, 1000) != 1)
			break;
		while (recv(s, a, sizeof a, 0) > 0)
			answered++;
	}
	printf("sent=%ld answered=%ld ms=%lld\n", sent, answered, now_ms() - t0);
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static int bench(const char *server, const char *name, long count)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(53) };
	if (inet_pton(AF_INET, server, &to.sin_addr) != 1 || count <= 0)
		return 2;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	long long *t = calloc((size_t)count, sizeof *t), sum = 0;
	long failed = 0;
	uint8_t q[600], a[4096];
	for (long i = 0; i < count; i++) {
		size_t qlen = build(q, (uint16_t)i, name, 1);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		sendto(s, q, qlen, 0, (struct sockaddr *)&to, sizeof to);
		ssize_t n = recv(s, a, sizeof a, 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (n < 12 || (a[3] & 0xf) != 0)
			failed++;
		t[i] = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
		sum += t[i];
	}
	qsort(t, (size_t)count, sizeof *t, cmp_ll);
	printf("mean_us=%lld median_us=%lld failed=%ld\n", sum / count, t[count / 2], failed);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "bench") == 0)
		return bench(argv[2], argv[3], atol(argv[4]));
	if (argc == 4 && strcmp(argv[1], "flood") == 0)
		return flood(argv[2], atol(argv[3]));
	if (argc >= 4 && (strcmp(argv[1], "udp") == 0 || strcmp(argv[1], "tcp") == 0))
		return ask(argv[1][0] == 't', argv[2], argv[3], argc == 5 && strcmp(argv[4], "aaaa") == 0 ? 28 : 1);
	fprintf(stderr, "usage: dns-ask udp|tcp SERVER NAME [aaaa] | dns-ask flood SERVER N\n");
	return 2;
}

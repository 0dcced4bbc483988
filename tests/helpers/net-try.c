/* net-try tcp|udp ADDR PORT [TIMEOUT_MS] [SRC]: one connection attempt from
 * inside a job. Prints "ok REPLY" or "fail ERRNAME MS" (MS: how long the
 * failure took, to tell a fast rejection from a time-out); exit 0 on ok.
 * TCP reads the server's first line; UDP sends "ping" and waits for one
 * datagram back.
 * net-try http ADDR PORT TIMEOUT_MS HOST: TCP that first sends an HTTP
 * request head naming HOST (what brig's name gate checks on port 80), then
 * prints "ok GREETING" only once the lab's server also said "read ..." of
 * it: its greeting leaves before any request, so alone it would show the
 * connection, not that the request got through. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
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

static int to_sockaddr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof *a4;
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof *a6;
		return AF_INET6;
	}
	return -1;
}

static int fail(int err, long long start)
{
	printf("fail %s %lld\n", strerrorname_np(err) ? strerrorname_np(err) : "?", now_ms() - start);
	return 1;
}

/* Reads until the server's "read ..." line: a reset, an end or the time
 * running out before it is a failure, whatever came first. */
static int http_reply(int s, struct pollfd *p, int timeout, long long start)
{
	char buf[1024];
	size_t have = 0;
	for (;;) {
		buf[have] = '\0';
		if (strstr(buf, "\nread ")) {
			buf[strcspn(buf, "\n")] = '\0';
			printf("ok %s\n", buf);
			return 0;
		}
		if (have == sizeof buf - 1) {
			printf("fail FULL %lld\n", now_ms() - start); /* 1 KiB and no word of the request */
			return 1;
		}
		int left = timeout - (int)(now_ms() - start);
		if (left <= 0)
			return fail(ETIMEDOUT, start);
		int r = poll(p, 1, left);
		if (r <= 0)
			return fail(r < 0 ? errno : ETIMEDOUT, start);
		ssize_t n = recv(s, buf + have, sizeof buf - 1 - have, 0);
		if (n < 0)
			return fail(errno, start);
		if (n == 0) {
			printf("fail EOF %lld\n", now_ms() - start); /* closed with the request unread */
			return 1;
		}
		have += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: net-try tcp|udp ADDR PORT [TIMEOUT_MS] [SRC]\n");
		return 2;
	}
	bool http = strcmp(argv[1], "http") == 0;
	bool tcp = http || strcmp(argv[1], "tcp") == 0;
	const char *host = http && argc > 5 ? argv[5] : NULL;
	if (http && !host) {
		fprintf(stderr, "usage: net-try http ADDR PORT TIMEOUT_MS HOST\n");
		return 2;
	}
	int timeout = argc > 4 ? atoi(argv[4]) : 3000;
	struct sockaddr_storage dst, src;
	socklen_t dlen, slen;
	int family = to_sockaddr(argv[2], atoi(argv[3]), &dst, &dlen);
	if (family < 0 || (!http && argc > 5 && to_sockaddr(argv[5], 0, &src, &slen) != family)) {
		fprintf(stderr, "net-try: bad address\n");
		return 2;
	}
	long long start = now_ms();
	int s = socket(family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return fail(errno, start);
	if (!http && argc > 5 && bind(s, (struct sockaddr *)&src, slen) < 0)
		return fail(errno, start);
	if (connect(s, (struct sockaddr *)&dst, dlen) < 0 && errno != EINPROGRESS)
		return fail(errno, start);
	struct pollfd p = { .fd = s, .events = POLLOUT };
	if (tcp) {
		int r = poll(&p, 1, timeout), err = 0;
		socklen_t el = sizeof err;
		if (r == 0)
			return fail(ETIMEDOUT, start);
		getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err)
			return fail(err, start);
	} else if (send(s, "ping\n", 5, 0) < 0) {
		return fail(errno, start);
	}
	if (host) {
		char req[512];
		int n = snprintf(req, sizeof req, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", host);
		if (send(s, req, (size_t)n, MSG_NOSIGNAL) < 0)
			return fail(errno, start);
	}
	/* The reply: TCP's first line, UDP's datagram. UDP asks again every
	 * half second, as a resolver does: one datagram lost on a busy machine
	 * is not a firewall's drop, and what a firewall drops it drops every
	 * time. */
	char buf[256];
	p.events = POLLIN;
	if (http)
		return http_reply(s, &p, timeout, start);
	for (;;) {
		int left = timeout - (int)(now_ms() - start);
		if (left <= 0)
			return fail(ETIMEDOUT, start);
		int r = poll(&p, 1, !tcp && left > 500 ? 500 : left);
		if (r > 0)
			break;
		if (r < 0 || tcp)
			return fail(r < 0 ? errno : ETIMEDOUT, start);
		if (send(s, "ping\n", 5, 0) < 0)
			return fail(errno, start);
	}
	ssize_t n = recv(s, buf, sizeof buf - 1, 0);
	if (n < 0)
		return fail(errno, start);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	printf("ok %s\n", buf);
	return 0;
}

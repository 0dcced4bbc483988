/* bulk: a byte stream over an HTTP-shaped request, for the name gate's
 * throughput and latency (tests/bench/run.sh) in the network lab.
 *
 *   bulk serve ADDR PORT            a server, one child per connection:
 *                                   GET /get/N sends N bytes, GET /put/N
 *                                   reads N bytes then says "ok", GET /ping
 *                                   says "pong"
 *   bulk get ADDR PORT HOST BYTES   prints "gbps=G" (bytes received)
 *   bulk put ADDR PORT HOST BYTES   prints "gbps=G" (bytes sent, once the
 *                                   server has them all)
 *   bulk ping ADDR PORT HOST N      N connections one after the other, each
 *                                   connect, request, first byte of the
 *                                   answer: prints "median_us=M p90_us=P"
 *
 * The client sends "GET PATH HTTP/1.1" with "Host: HOST" first, so the
 * name gate has a name to check. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 18];

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static socklen_t addr_of(const char *addr, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		return sizeof *a4;
	}
	if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return sizeof *a6;
	}
	fprintf(stderr, "bulk: bad address %s\n", addr);
	exit(2);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static char head[16384];
static size_t head_len;

/* The request head, read by the server's parent: a ping is answered
 * there, without a fork, so that its time is the network's. */
static int read_head(int fd)
{
	head_len = 0;
	while (head_len < sizeof head - 1) {
		ssize_t n = read(fd, head + head_len, sizeof head - 1 - head_len);
		if (n <= 0)
			return -1;
		head_len += (size_t)n;
		head[head_len] = '\0';
		if (strstr(head, "\r\n\r\n"))
			return 0;
	}
	return -1;
}

static void serve_one(int fd)
{
	size_t len = head_len;
	unsigned long long bytes = 0;
	if (sscanf(head, "GET /get/%llu", &bytes) == 1) {
		memset(buf, 'x', sizeof buf);
		while (bytes) {
			size_t n = bytes < sizeof buf ? (size_t)bytes : sizeof buf;
			if (write_all(fd, buf, n) < 0)
				return;
			bytes -= n;
		}
	} else if (sscanf(head, "GET /put/%llu", &bytes) == 1) {
		/* What followed the head in the same read counts too. */
		char *body = strstr(head, "\r\n\r\n") + 4;
		unsigned long long got = (unsigned long long)(head + len - body);
		while (got < bytes) {
			ssize_t n = read(fd, buf, sizeof buf);
			if (n <= 0)
				return;
			got += (unsigned long long)n;
		}
		write_all(fd, "ok\n", 3);
	}
}

static int serve(const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(addr, port, &ss);
	int one = 1, l = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) < 0 || listen(l, 128) < 0) {
		perror("bulk: listen");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);
	for (;;) {
		int fd = accept(l, NULL, NULL);
		if (fd < 0)
			continue;
		if (read_head(fd) < 0 || strncmp(head, "GET /ping", 9) == 0) {
			write_all(fd, "pong\n", 5);
			close(fd);
			continue;
		}
		if (fork() == 0) {
			close(l);
			serve_one(fd);
			shutdown(fd, SHUT_WR);
			/* Until the client closes: its last bytes are not reset. */
			while (read(fd, buf, sizeof buf) > 0)
				;
			_exit(0);
		}
		close(fd);
	}
}

static int dial(const char *addr, int port, const char *host, const char *path)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(addr, port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
		perror("bulk: connect");
		exit(1);
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	char req[512];
	int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host);
	if (write_all(fd, req, (size_t)n) < 0) {
		perror("bulk: write");
		exit(1);
	}
	return fd;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		return serve(argv[2], atoi(argv[3]));
	if (argc != 6) {
		fprintf(stderr, "usage: bulk serve ADDR PORT | bulk get|put ADDR PORT HOST BYTES | bulk ping ADDR PORT HOST N\n");
		return 2;
	}
	const char *addr = argv[2], *host = argv[4];
	int port = atoi(argv[3]);
	unsigned long long count = strtoull(argv[5], NULL, 10);
	char path[64];
	if (strcmp(argv[1], "ping") == 0) {
		double *t = calloc(count ? count : 1, sizeof *t);
		for (unsigned long long i = 0; i < count; i++) {
			double t0 = now_s();
			int fd = dial(addr, port, host, "/ping");
			if (read(fd, buf, 1) != 1) {
				fprintf(stderr, "bulk: no answer\n");
				return 1;
			}
			t[i] = (now_s() - t0) * 1e6;
			close(fd);
		}
		qsort(t, count, sizeof *t, cmp_double);
		printf("median_us=%.0f p90_us=%.0f\n", t[count / 2], t[count * 9 / 10]);
		return 0;
	}
	int get = strcmp(argv[1], "get") == 0;
	snprintf(path, sizeof path, "/%s/%llu", get ? "get" : "put", count);
	double t0 = now_s();
	int fd = dial(addr, port, host, path);
	unsigned long long done = 0;
	if (get) {
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) > 0)
			done += (unsigned long long)n;
	} else {
		memset(buf, 'y', sizeof buf);
		while (done < count) {
			size_t n = count - done < sizeof buf ? (size_t)(count - done) : sizeof buf;
			if (write_all(fd, buf, n) < 0)
				break;
			done += n;
		}
		if (read(fd, buf, 3) != 3 || memcmp(buf, "ok\n", 3) != 0)
			done = 0;
	}
	double secs = now_s() - t0;
	if (done != count) {
		fprintf(stderr, "bulk: %llu of %llu bytes\n", done, count);
		return 1;
	}
	printf("gbps=%.3f\n", (double)done * 8 / secs / 1e9);
	return 0;
}

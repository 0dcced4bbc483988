#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/net/net_pool.h"

#define MAX_SLOTS 65536u

unsigned net_pool_slots(const struct cidr *pool4, const struct cidr *pool6)
{
	unsigned bits4 = NET_SUBNET4_PREFIX - pool4->prefix, bits6 = 64 - pool6->prefix;
	unsigned bits = bits4 < bits6 ? bits4 : bits6;
	return bits >= 16 ? MAX_SLOTS : 1u << bits;
}

/* Adds v to the address, v's lowest bit landing on bit `at` (counted from
 * 1 at the top), as the kernel would see a prefix-`at` network number. */
static void add_at(unsigned char *addr, unsigned len, unsigned at, unsigned v)
{
	unsigned __int128 x = 0;
	for (unsigned i = 0; i < len; i++)
		x = x << 8 | addr[i];
	x += (unsigned __int128)v << (len * 8 - at);
	for (int i = (int)len - 1; i >= 0; i--, x >>= 8)
		addr[i] = (unsigned char)(x & 0xff);
}

static struct cidr host_of(const struct cidr *subnet, unsigned host, unsigned prefix)
{
	struct cidr c = *subnet;
	unsigned len = c.family == AF_INET ? 4 : 16;
	add_at(c.addr, len, len * 8, host);
	c.prefix = prefix;
	return c;
}

int net_slot_addrs(const struct cidr *pool4, const struct cidr *pool6, unsigned n, struct net_addrs *out)
{
	if (n >= net_pool_slots(pool4, pool6))
		return -ERANGE;
	struct net_addrs a = { .subnet4 = *pool4, .subnet6 = *pool6 };
	add_at(a.subnet4.addr, 4, NET_SUBNET4_PREFIX, n);
	add_at(a.subnet6.addr, 16, NET_SUBNET6_PREFIX, n);
	a.subnet4.prefix = NET_SUBNET4_PREFIX;
	a.subnet6.prefix = NET_SUBNET6_PREFIX;
	a.gw4 = host_of(&a.subnet4, 1, NET_SUBNET4_PREFIX);
	a.job4 = host_of(&a.subnet4, 2, NET_SUBNET4_PREFIX);
	a.gw6 = host_of(&a.subnet6, 1, NET_SUBNET6_PREFIX);
	a.job6 = host_of(&a.subnet6, 2, NET_SUBNET6_PREFIX);
	*out = a;
	return 0;
}

static void lease_name(const struct cidr *subnet, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	inet_ntop(subnet->family, subnet->addr, addr, sizeof addr);
	snprintf(buf, len, "%s/%s", NET_LEASE_DIR, addr);
}

/* Locks path for this process, or -EBUSY. Unlinking a released lease
 * while another process waits for its lock would hand that process a
 * file nobody else sees: a lock only counts on the file the name still
 * points to. */
static int lock_file(const char *path, char *stale, size_t stale_len)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			close(fd);
			return e == EWOULDBLOCK ? -EBUSY : -e;
		}
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			if (stale && stale_len) {
				ssize_t n = pread(fd, stale, stale_len - 1, 0);
				stale[n > 0 ? n : 0] = '\0';
				stale[strcspn(stale, "\n")] = '\0';
			}
			return fd;
		}
		close(fd);
	}
	return -EBUSY;
}

static int claim(int fd, const char *job_id)
{
	char line[64];
	int len = snprintf(line, sizeof line, "%s\n", job_id);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)len, 0) != len)
		return -errno ? -errno : -EIO;
	return 0;
}

static void drop(int *fd, const char *path)
{
	if (*fd < 0)
		return;
	unlink(path);
	close(*fd);
	*fd = -1;
}

int net_lease_acquire(const struct cidr *pool4, const struct cidr *pool6, const char *job_id, struct net_lease *l,
		      char *stale, size_t stale_len)
{
	unsigned slots = net_pool_slots(pool4, pool6), start = 0;
	if (mkdir("/run/brig", 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(NET_LEASE_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	/* A random start keeps concurrent brigs from contending slot by slot. */
	if (getrandom(&start, sizeof start, 0) != (ssize_t)sizeof start)
		start = (unsigned)getpid();
	if (stale && stale_len)
		stale[0] = '\0';
	for (unsigned k = 0; k < slots; k++) {
		unsigned n = (start + k) % slots;
		struct net_addrs a;
		char old4[64] = "", old6[64] = "";
		net_slot_addrs(pool4, pool6, n, &a);
		lease_name(&a.subnet4, l->path4, sizeof l->path4);
		lease_name(&a.subnet6, l->path6, sizeof l->path6);
		l->fd4 = lock_file(l->path4, old4, sizeof old4);
		if (l->fd4 == -EBUSY)
			continue;
		if (l->fd4 < 0)
			return l->fd4;
		l->fd6 = lock_file(l->path6, old6, sizeof old6);
		if (l->fd6 == -EBUSY) {
			/* Another pool pairs this IPv6 subnet with another IPv4 one. */
			close(l->fd4);
			l->fd4 = -1;
			continue;
		}
		int r = l->fd6 < 0 ? l->fd6 : 0;
		if (r == 0 && (r = claim(l->fd4, job_id)) == 0)
			r = claim(l->fd6, job_id);
		if (r < 0) {
			net_lease_release(l);
			return r;
		}
		if (stale && stale_len)
			snprintf(stale, stale_len, "%s", old4[0] ? old4 : old6);
		l->slot = n;
		l->a = a;
		return 0;
	}
	return -EADDRNOTAVAIL;
}

void net_lease_release(struct net_lease *l)
{
	drop(&l->fd6, l->path6);
	drop(&l->fd4, l->path4);
}

int net_lease_sweep(void (*fn)(const char *job_id, void *ctx), void *ctx)
{
	_cleanup_(closedirp) DIR *d = opendir(NET_LEASE_DIR);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[512], id[64] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", NET_LEASE_DIR, e->d_name);
		int fd = lock_file(path, id, sizeof id);
		if (fd < 0)
			continue; /* held: a live job */
		if (id[0])
			fn(id, ctx);
		drop(&fd, path);
	}
	return 0;
}

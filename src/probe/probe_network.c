/* probe: what the network lets this process reach, whether it may change
 * the network, and which kernel event sockets it may listen on. The TCP
 * and change checks run only with --network (and inside `brig audit`):
 * they send SYNs to the addresses below, never any data; the event socket
 * checks always run. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "brig/lib/util.h"
#include "brig/probe/checks.h"
#include "brig/probe/verdict.h"

#ifndef NS_GET_USERNS
#define NS_GET_USERNS _IO(0xb7, 0x1)
#endif

#define MAX_TARGETS 16

void probe_connect_each(const struct probe_target *t, size_t n, int *err, bool first_ends)
{
	_cleanup_free_ struct pollfd *p = calloc(n ? n : 1, sizeof *p);
	if (!p) {
		for (size_t i = 0; i < n; i++)
			err[i] = ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		p[i] = (struct pollfd){ .fd = -1, .events = POLLOUT };
		err[i] = ETIMEDOUT;
		struct sockaddr_storage ss = { 0 };
		socklen_t len;
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		if (inet_pton(AF_INET, t[i].addr, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons((uint16_t)t[i].port);
			len = sizeof *a4;
		} else if (inet_pton(AF_INET6, t[i].addr, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons((uint16_t)t[i].port);
			len = sizeof *a6;
		} else {
			err[i] = EINVAL;
			continue;
		}
		int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err[i] = errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
			err[i] = 0;
			close(fd);
			continue;
		}
		if (errno != EINPROGRESS) {
			err[i] = errno;
			close(fd);
			continue;
		}
		p[i].fd = fd;
	}
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (bool last = false; !last;) {
		size_t pending = 0, connected = 0;
		for (size_t i = 0; i < n; i++) {
			pending += p[i].fd >= 0;
			connected += err[i] == 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = PROBE_CONNECT_TIMEOUT_MS - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
		if (!pending || (connected && first_ends))
			break;
		/* Past the deadline, one more look without waiting: an answer
		 * that came while this process was not scheduled (a loaded
		 * machine) still counts; only the network's silence does not. */
		if (left <= 0) {
			left = 0;
			last = true;
		}
		int ready = poll(p, n, (int)left);
		if (ready < 0 && errno == EINTR && !last)
			continue;
		if (ready < 0)
			break;
		for (size_t i = 0; i < n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			int e = 0;
			socklen_t el = sizeof e;
			getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &e, &el);
			err[i] = e;
			close(p[i].fd);
			p[i].fd = -1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
}

/* Connects to every target at once (non-blocking, one deadline); the first
 * that accepts makes the check exposed. Nothing is ever sent. */
static void connect_all(struct probe_report *r, const struct probe_target *t, size_t n, const char *what)
{
	int err[MAX_TARGETS];
	if (n > MAX_TARGETS)
		n = MAX_TARGETS;
	probe_connect_each(t, n, err, true);
	for (size_t i = 0; i < n; i++)
		if (err[i] == 0) {
			probe_set(r, PROBE_EXPOSED, "%s: connected to %s port %u", what, t[i].addr, t[i].port);
			return;
		}
	if (!n) {
		probe_set(r, PROBE_BLOCKED, "%s: nothing to try", what);
		return;
	}
	char buf[PROBE_EVIDENCE_MAX] = "";
	size_t off = 0;
	for (size_t i = 0; i < n && off < sizeof buf; i++)
		off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s:%u %s", i ? ", " : "", t[i].addr, t[i].port,
					probe_errno_name(err[i]));
	probe_set(r, PROBE_BLOCKED, "%s", buf);
}

void probe_network_metadata4(struct probe_report *r)
{
	/* AWS/GCP/Azure/OpenStack, AWS ECS task metadata, Alibaba Cloud. */
	static const struct probe_target t[] = { { "169.254.169.254", 80 }, { "169.254.170.2", 80 }, { "100.100.100.200", 80 } };
	connect_all(r, t, ARRAY_SIZE(t), "metadata");
}

void probe_network_metadata6(struct probe_report *r)
{
	/* AWS's IPv6 instance metadata endpoint. */
	static const struct probe_target t[] = { { "fd00:ec2::254", 80 } };
	connect_all(r, t, ARRAY_SIZE(t), "metadata");
}

/* Default gateways from /proc/net/route and /proc/net/ipv6_route. */
static size_t gateways(struct probe_target *t, size_t max)
{
	static const unsigned ports[] = { 22, 80, 443 };
	size_t n = 0;
	char line[512];
	FILE *f = fopen("/proc/net/route", "re");
	while (f && fgets(line, sizeof line, f)) {
		char ifname[IFNAMSIZ + 1];
		unsigned dst, gw, flags;
		if (sscanf(line, "%16s %x %x %x", ifname, &dst, &gw, &flags) != 4 || dst != 0 || !gw)
			continue;
		struct in_addr a = { .s_addr = gw };
		for (size_t k = 0; k < ARRAY_SIZE(ports) && n < max; k++) {
			inet_ntop(AF_INET, &a, t[n].addr, sizeof t[n].addr);
			t[n++].port = ports[k];
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/net/ipv6_route", "re");
	while (f && fgets(line, sizeof line, f)) {
		char dst[33], dlen[3], gw[33];
		if (sscanf(line, "%32s %2s %*s %*s %32s", dst, dlen, gw) != 3 || strcmp(dlen, "00") != 0 ||
		    strspn(gw, "0") == 32)
			continue;
		struct in6_addr a;
		for (int i = 0; i < 16; i++) {
			unsigned b;
			sscanf(gw + 2 * i, "%2x", &b);
			a.s6_addr[i] = (unsigned char)b;
		}
		for (size_t k = 0; k < ARRAY_SIZE(ports) && n < max; k++) {
			inet_ntop(AF_INET6, &a, t[n].addr, sizeof t[n].addr);
			t[n++].port = ports[k];
		}
	}
	if (f)
		fclose(f);
	return n;
}

void probe_network_gateway(struct probe_report *r)
{
	struct probe_target t[9];
	size_t n = gateways(t, ARRAY_SIZE(t));
	if (!n)
		probe_set(r, PROBE_BLOCKED, "no default gateway");
	else
		connect_all(r, t, n, "gateway");
}

void probe_network_routes(struct probe_report *r)
{
	struct probe_target t[9];
	size_t n = gateways(t, ARRAY_SIZE(t));
	if (n)
		probe_set(r, PROBE_EXPOSED, "default route via %s", t[0].addr);
	else
		probe_set(r, PROBE_BLOCKED, "no default route");
}

void probe_network_private(struct probe_report *r)
{
	/* One likely host in each private range: routers, other jobs, the LAN. */
	static const struct probe_target t[] = { { "10.0.0.1", 80 },	  { "172.16.0.1", 80 }, { "192.168.0.1", 80 },
					   { "192.168.1.1", 80 }, { "fd00::1", 80 } };
	connect_all(r, t, ARRAY_SIZE(t), "private");
}

void probe_network_interfaces(struct probe_report *r)
{
	_cleanup_(fclosep) FILE *f = fopen("/proc/net/dev", "re");
	if (!f) {
		probe_set(r, PROBE_NA, "/proc/net/dev: %s", probe_errno_name(errno));
		return;
	}
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char line[512], names[PROBE_EVIDENCE_MAX - 40] = "";
	size_t n = 0, off = 0;
	while (fgets(line, sizeof line, f)) {
		char name[IFNAMSIZ];
		char *colon = strchr(line, ':');
		if (!colon || sscanf(line, " %15[^:]", name) != 1 || strcmp(name, "lo") == 0)
			continue;
		struct ifreq ifr = { 0 };
		memcpy(ifr.ifr_name, name, sizeof name);
		if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP))
			continue;
		n++;
		if (off < sizeof names)
			off += (size_t)snprintf(names + off, sizeof names - off, "%s%s", off ? " " : "", name);
	}
	if (n)
		probe_set(r, PROBE_EXPOSED, "%zu interfaces up besides lo: %s", n, names);
	else
		probe_set(r, PROBE_BLOCKED, "loopback only");
}

static void sockets(struct probe_report *r, const char *what, int family, int type, int proto)
{
	int fd = socket(family, type | SOCK_CLOEXEC, proto);
	if (fd >= 0) {
		close(fd);
		probe_set(r, PROBE_EXPOSED, "%s socket created", what);
	} else
		probe_set(r, PROBE_BLOCKED, "%s socket: %s", what, probe_errno_name(errno));
}

void probe_network_raw(struct probe_report *r)
{
	sockets(r, "AF_INET SOCK_RAW", AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (r->result != PROBE_EXPOSED)
		sockets(r, "AF_INET6 SOCK_RAW", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
}

void probe_network_packet(struct probe_report *r)
{
	sockets(r, "AF_PACKET SOCK_RAW", AF_PACKET, SOCK_RAW, 0);
}

/* Sends one netlink request and returns 0 when the kernel acted on it (a
 * reply or a zero ack) or -errno from its error ack. */
static int netlink_ask(int proto, struct nlmsghdr *req)
{
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	struct timeval tv = { .tv_sec = 1 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return -errno;
	char buf[8192];
	ssize_t got = recv(fd, buf, sizeof buf, 0);
	if (got < 0)
		return -errno;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)got))
		return -EIO;
	if (h->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(h);
		return e->error;
	}
	return 0;
}

/* The kernel checks CAP_NET_ADMIN over the network namespace before it
 * looks at a change request, so an EPERM means no changes at all; past
 * that, these requests name no device (SETLINK), a family with no route
 * handler (NEWROUTE), or only read (nftables GETGEN), and change nothing. */
static void netlink_verdict(struct probe_report *r, const char *what, int e)
{
	if (e == -EPERM || e == -EACCES || e == -EAFNOSUPPORT || e == -EPROTONOSUPPORT)
		probe_set(r, PROBE_BLOCKED, "%s: %s", what, probe_errno_name(-e));
	else if (e == 0)
		probe_set(r, PROBE_EXPOSED, "%s accepted", what);
	else
		probe_set(r, PROBE_EXPOSED, "%s passed the permission check (%s)", what, probe_errno_name(-e));
}

void probe_network_nl_link(struct probe_report *r)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = { .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_SETLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		  .i = { .ifi_family = AF_UNSPEC, .ifi_index = 0 } };
	netlink_verdict(r, "RTM_SETLINK (no device)", netlink_ask(NETLINK_ROUTE, &req.h));
}

void probe_network_nl_route(struct probe_report *r)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg m;
	} req = { .h = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_NEWROUTE, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		  .m = { .rtm_family = AF_UNSPEC } };
	netlink_verdict(r, "RTM_NEWROUTE (no family)", netlink_ask(NETLINK_ROUTE, &req.h));
}

void probe_network_nftables(struct probe_report *r)
{
	struct {
		struct nlmsghdr h;
		struct nfgenmsg g;
	} req = { .h = { .nlmsg_len = sizeof req,
			 .nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
		  .g = { .nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0 } };
	netlink_verdict(r, "nftables GETGEN", netlink_ask(NETLINK_NETFILTER, &req.h));
}

/* Host device events (uevents) go to every network namespace that belongs
 * to the initial user namespace, and to no other: a socket that opens and
 * binds says little; whose the network namespace is decides. */
static int netns_owner_initial(void)
{
	_cleanup_close_ int net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (net < 0)
		return -errno;
	/* The kernel hands out the owner only when it is this user namespace
	 * or one below it; an outer owner is refused with EPERM. The host's
	 * own network namespace has a fixed inode on newer kernels (dynamic
	 * ones start at 0xF0000000): its owner is the initial one. */
	_cleanup_close_ int owner = ioctl(net, NS_GET_USERNS);
	struct stat st;
	if (owner < 0 && errno == EPERM && fstat(net, &st) == 0 && st.st_ino == PROBE_NET_INIT_INO)
		return 1;
	if (owner < 0)
		return -errno;
	if (fstat(owner, &st) < 0)
		return -errno;
	return st.st_ino == PROBE_USER_INIT_INO;
}

void probe_network_nl_uevent(struct probe_report *r)
{
	int err = 0;
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		err = -errno;
	probe_rule_uevent(r, err, err ? 0 : netns_owner_initial());
}

/* AUDIT_GET only reads the audit status, after the kernel's checks (the
 * initial user and PID namespaces, CAP_AUDIT_CONTROL); the read-only log
 * group wants CAP_AUDIT_READ over the host. */
void probe_network_nl_audit(struct probe_report *r)
{
	struct nlmsghdr req = { .nlmsg_len = NLMSG_LENGTH(0),
				.nlmsg_type = AUDIT_GET,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK };
	int get = netlink_ask(NETLINK_AUDIT, &req);
	int readlog = 0;
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	struct sockaddr_nl a = { .nl_family = AF_NETLINK, .nl_groups = 1U << (AUDIT_NLGRP_READLOG - 1) };
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
		readlog = -errno;
	probe_rule_audit(r, get, readlog);
}

/* The job's network namespace. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "brig/net/net.h"
#include "brig/lib/util.h"

/* One ioctl on a socket of the namespace: all `net none` needs. */
static int link_up(int s, const char *name)
{
	struct ifreq ifr = { 0 };
	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

int net_loopback_up(void)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return link_up(s, "lo");
}

void net_host_ifname(const char *job_id, char *buf, size_t len)
{
	snprintf(buf, len, "brig-%.10s", job_id);
}

static inline void nl_sockp(struct nl_sock **s) { nl_socket_free(*s); }
static inline void linkp(struct rtnl_link **l) { if (*l) rtnl_link_put(*l); }
static inline void addrp(struct rtnl_addr **a) { if (*a) rtnl_addr_put(*a); }
static inline void routep(struct rtnl_route **r) { if (*r) rtnl_route_put(*r); }
static inline void nladdrp(struct nl_addr **a) { if (*a) nl_addr_put(*a); }
static inline void neighp(struct rtnl_neigh **n) { if (*n) rtnl_neigh_put(*n); }

/* libnl's errors as errno values, for the convention of the rest. */
static int errno_of(int nle)
{
	static const struct { int nle, e; } map[] = {
		{ NLE_EXIST, EEXIST }, { NLE_PERM, EPERM },	   { NLE_NOMEM, ENOMEM },  { NLE_NODEV, ENODEV },
		{ NLE_OBJ_NOTFOUND, ENODEV }, { NLE_INVAL, EINVAL }, { NLE_BUSY, EBUSY }, { NLE_OPNOTSUPP, EOPNOTSUPP },
		{ NLE_NOADDR, EADDRNOTAVAIL }, { NLE_AF_NOSUPPORT, EAFNOSUPPORT },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].nle == -nle || map[i].nle == nle)
			return -map[i].e;
	return -EIO;
}

static struct nl_sock *route_socket(void)
{
	struct nl_sock *s = nl_socket_alloc();
	if (s && nl_connect(s, NETLINK_ROUTE) < 0) {
		nl_socket_free(s);
		return NULL;
	}
	return s;
}

static int add_addr(struct nl_sock *s, int ifindex, const struct cidr *c)
{
	_cleanup_(addrp) struct rtnl_addr *a = rtnl_addr_alloc();
	_cleanup_(nladdrp) struct nl_addr *local = nl_addr_build(c->family, c->addr, c->family == AF_INET ? 4 : 16);
	if (!a || !local)
		return -ENOMEM;
	nl_addr_set_prefixlen(local, (int)c->prefix);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, c->family);
	rtnl_addr_set_local(a, local);
	/* Duplicate address detection would hold an IPv6 address back for
	 * a second; the pool guarantees it is unique. */
	rtnl_addr_set_flags(a, IFA_F_NODAD);
	int r = rtnl_addr_add(s, a, NLM_F_CREATE | NLM_F_REPLACE);
	return r < 0 ? errno_of(r) : 0;
}

static int add_default_route(struct nl_sock *s, int ifindex, const struct cidr *gw)
{
	_cleanup_(routep) struct rtnl_route *rt = rtnl_route_alloc();
	_cleanup_(nladdrp) struct nl_addr *dst = nl_addr_build(gw->family, NULL, 0);
	_cleanup_(nladdrp) struct nl_addr *via = nl_addr_build(gw->family, gw->addr, gw->family == AF_INET ? 4 : 16);
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	if (!rt || !dst || !via || !nh) {
		if (nh)
			rtnl_route_nh_free(nh);
		return -ENOMEM;
	}
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(rt, (uint8_t)gw->family);
	rtnl_route_set_dst(rt, dst);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_add_nexthop(rt, nh);
	int r = rtnl_route_add(s, rt, NLM_F_CREATE | NLM_F_EXCL);
	return r < 0 ? errno_of(r) : 0;
}

/* The index of the link called name and, if mac is not NULL, a copy of
 * its hardware address (the caller puts it). */
static int ifindex_of(struct nl_sock *s, const char *name, struct nl_addr **mac)
{
	_cleanup_(linkp) struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(s, 0, name, &l);
	if (r < 0)
		return errno_of(r);
	if (mac && !(*mac = nl_addr_clone(rtnl_link_get_addr(l))))
		return -ENOMEM;
	return rtnl_link_get_ifindex(l);
}

/* A permanent neighbour entry: addr (a whole address, not a prefix) is
 * at mac on the link ifindex. Both ends of the pair are known when it is
 * made, so neither end ever asks: the first packet of a job does not wait
 * for ARP or neighbour discovery (under heavy load on the host, softirq
 * work is deferred and a job's three ARP requests for its gateway have
 * gone unanswered for three seconds, failing its first connection with
 * EHOSTUNREACH), and what a job announces about addresses (gratuitous ARP,
 * unsolicited advertisements) changes nothing on the host's end, since
 * the kernel does not update permanent entries from the wire. */
static int add_neigh(struct nl_sock *s, int ifindex, const struct cidr *addr, struct nl_addr *mac)
{
	_cleanup_(neighp) struct rtnl_neigh *n = rtnl_neigh_alloc();
	_cleanup_(nladdrp) struct nl_addr *dst =
		nl_addr_build(addr->family, addr->addr, addr->family == AF_INET ? 4 : 16);
	if (!n || !dst)
		return -ENOMEM;
	rtnl_neigh_set_ifindex(n, ifindex);
	rtnl_neigh_set_family(n, addr->family);
	rtnl_neigh_set_dst(n, dst);
	rtnl_neigh_set_lladdr(n, mac);
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	int r = rtnl_neigh_add(s, n, NLM_F_CREATE | NLM_F_REPLACE);
	return r < 0 ? errno_of(r) : 0;
}

static int create_pair(struct nl_sock *s, const char *ifname, pid_t pid)
{
	_cleanup_(linkp) struct rtnl_link *link = rtnl_link_veth_alloc();
	if (!link)
		return -ENOMEM;
	_cleanup_(linkp) struct rtnl_link *peer = rtnl_link_veth_get_peer(link);
	if (!peer)
		return -ENOMEM;
	rtnl_link_set_name(link, ifname);
	rtnl_link_set_flags(link, IFF_UP);
	/* The peer's flags cannot go in this request (libnl refuses them):
	 * the job's end is brought up from inside. */
	rtnl_link_set_name(peer, "eth0");
	rtnl_link_set_ns_pid(peer, pid);
	int r = rtnl_link_add(s, link, NLM_F_CREATE | NLM_F_EXCL);
	return r < 0 ? errno_of(r) : 0;
}

/* The job's end, from a socket opened inside its namespace; host_mac is
 * the host end's hardware address, and *job_mac receives the job end's. */
static int setup_job_end(pid_t pid, const struct net_addrs *a, struct nl_addr *host_mac, struct nl_addr **job_mac,
			 const char **what)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
	*what = "cannot enter the job's network namespace";
	if (self < 0 || target < 0)
		return -errno;
	if (setns(target, CLONE_NEWNET) < 0)
		return -errno;
	/* Sockets stay in the namespace they were made in. */
	_cleanup_(nl_sockp) struct nl_sock *s = route_socket();
	_cleanup_close_ int ioc = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int back = setns(self, CLONE_NEWNET) < 0 ? -errno : 0;
	if (back < 0) {
		*what = "cannot return to the host's network namespace";
		return back;
	}
	if (!s)
		return -ENOMEM;
	int idx = ifindex_of(s, "eth0", job_mac), r;
	*what = "the job's eth0";
	if (idx < 0)
		return idx;
	if ((r = link_up(ioc, "eth0")) < 0)
		return r;
	*what = "the job's addresses";
	if ((r = add_addr(s, idx, &a->job4)) < 0 || (r = add_addr(s, idx, &a->job6)) < 0)
		return r;
	*what = "the job's default routes";
	if ((r = add_default_route(s, idx, &a->gw4)) < 0 || (r = add_default_route(s, idx, &a->gw6)) < 0)
		return r;
	*what = "the job's neighbour entries for its gateway";
	if ((r = add_neigh(s, idx, &a->gw4, host_mac)) < 0 || (r = add_neigh(s, idx, &a->gw6, host_mac)) < 0)
		return r;
	return 0;
}

int net_veth_setup(const char *ifname, pid_t pid, const struct net_addrs *a, struct brig_err *e)
{
	_cleanup_(nl_sockp) struct nl_sock *s = route_socket();
	_cleanup_(nladdrp) struct nl_addr *host_mac = NULL, *job_mac = NULL;
	const char *what = "cannot open a netlink socket";
	int r = -ENOMEM, idx;
	if (!s)
		goto fail;
	what = "cannot create the veth pair";
	if ((r = create_pair(s, ifname, pid)) < 0)
		goto fail;
	what = "the host end's addresses";
	if ((idx = r = ifindex_of(s, ifname, &host_mac)) < 0 || (r = add_addr(s, idx, &a->gw4)) < 0 ||
	    (r = add_addr(s, idx, &a->gw6)) < 0)
		goto fail;
	if ((r = setup_job_end(pid, a, host_mac, &job_mac, &what)) < 0)
		goto fail;
	what = "the host end's neighbour entries for the job";
	if ((r = add_neigh(s, idx, &a->job4, job_mac)) < 0 || (r = add_neigh(s, idx, &a->job6, job_mac)) < 0)
		goto fail;
	return 0;
fail:
	return err_set(e, r, "net veth: %s (%s): %s", what, ifname, strerror(-r));
}

static int read_int(const char *path, int *v)
{
	char buf[16] = "";
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof buf - 1) <= 0)
		return fd < 0 ? -errno : -EIO;
	*v = (int)strtol(buf, NULL, 10);
	return 0;
}

static int write_str(const char *path, const char *v)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return write(fd, v, strlen(v)) == (ssize_t)strlen(v) ? 0 : -errno;
}

int net_host_forwarding(struct brig_err *err)
{
	static const char v4[] = "/proc/sys/net/ipv4/ip_forward", v6[] = "/proc/sys/net/ipv6/conf/all/forwarding";
	int on = 0, r;
	if ((r = read_int(v4, &on)) == 0 && !on)
		r = write_str(v4, "1");
	if (r < 0)
		return err_set(err, r, "net veth: cannot turn on IPv4 forwarding (%s): %s", v4, strerror(-r));
	on = 0;
	if (read_int(v6, &on) < 0 || on)
		return 0; /* no IPv6 on this host, or already forwarding */
	_cleanup_(closedirp) DIR *d = opendir("/proc/sys/net/ipv6/conf");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[300];
		int ra = 0;
		if (e->d_name[0] == '.' || strcmp(e->d_name, "all") == 0)
			continue;
		snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/accept_ra", e->d_name);
		if (read_int(path, &ra) == 0 && ra == 1)
			write_str(path, "2");
	}
	if ((r = write_str(v6, "1")) < 0)
		return err_set(err, r, "net veth: cannot turn on IPv6 forwarding (%s): %s", v6, strerror(-r));
	return 0;
}

/* The job's network: loopback (child side) and, for `net veth`, the veth
 * pair, addresses and routes (supervisor side, through libnl-route-3). */
#pragma once
#include <sys/types.h>

#include "brig/lib/err.h"
#include "brig/net/net_pool.h"

/* Child side: brings the namespace's loopback up. */
int net_loopback_up(void);

/* The host end's name for a job: "brig-" and the id's first ten digits,
 * within IFNAMSIZ. */
void net_host_ifname(const char *job_id, char *buf, size_t len);

/* Supervisor side: creates the veth pair in one request, the host end
 * named ifname in the supervisor's namespace and the job end `eth0`
 * directly in the network namespace of pid, both up; then addresses and
 * default routes on both ends. The kernel removes both ends with the
 * job's namespace. Returns -errno and fills e (brig/lib/err.h). */
int net_veth_setup(const char *ifname, pid_t pid, const struct net_addrs *a, struct brig_err *e);

/* Turns on IPv4 and IPv6 forwarding on the host if they are off. An
 * interface that took router advertisements (accept_ra 1) is switched to
 * accept_ra 2 first, since forwarding would otherwise make it ignore
 * them. The README lists these changes. */
int net_host_forwarding(struct brig_err *e);

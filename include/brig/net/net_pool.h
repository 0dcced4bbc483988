/* Address leases for `net veth` jobs: one IPv4 /30 and one IPv6 /64 per
 * job, taken from the pools. A lease is a lock file under
 * NET_LEASE_DIR holding the job's id; the lock dies with the process
 * (and its janitor), so a killed supervisor cannot leak a subnet, and
 * concurrent brig processes never share one. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/config/net_config.h"
#include "brig/lib/util.h"

#define NET_LEASE_DIR "/run/brig/net"

struct net_addrs {
	struct cidr subnet4, gw4, job4; /* gw4, job4 carry the subnet's prefix */
	struct cidr subnet6, gw6, job6;
};

struct net_lease {
	int fd4, fd6;
	char path4[128], path6[128];
	unsigned slot;
	struct net_addrs a;
};

#define NET_LEASE_INIT { .fd4 = -1, .fd6 = -1 }

/* How many job subnets the pools hold together (the smaller of the two,
 * at most 65536). */
unsigned net_pool_slots(const struct cidr *pool4, const struct cidr *pool6);

/* The addresses of slot n. Pure. */
int net_slot_addrs(const struct cidr *pool4, const struct cidr *pool6, unsigned n, struct net_addrs *out);

/* Takes a free slot. A slot whose previous holder died without releasing
 * it is taken over; its job id goes to stale (size BRIG_JOB_ID_LEN + 1,
 * "" when none) so that the caller can remove what that job left.
 * -EADDRNOTAVAIL when every slot is in use. */
int net_lease_acquire(const struct cidr *pool4, const struct cidr *pool6, const char *job_id, struct net_lease *l,
		      char *stale, size_t stale_len);

/* Gives the slot back. Idempotent. */
void net_lease_release(struct net_lease *l);

/* For `brig gc`: calls fn for each lease file no live process holds,
 * with the job id written in it, then removes the file. */
int net_lease_sweep(void (*fn)(const char *job_id, void *ctx), void *ctx);

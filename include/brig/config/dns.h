/* Which resolvers a `net veth` job gets: the host's, unless the host asks
 * a resolver on its own loopback (systemd-resolved's 127.0.0.53, a local
 * dnsmasq), which a job cannot reach; then that resolver's upstreams. */
#pragma once
#include <stddef.h>

#include "brig/lib/util.h"

#define DNS_MAX_SERVERS 3 /* what the C library reads */

/* The nameserver lines of a resolv.conf text, loopback ones left out;
 * *n_loopback counts those. Pure. */
size_t dns_parse_resolv(const char *text, struct cidr *out, size_t max, size_t *n_loopback);

/* The resolvers from the host's files; 0 servers is not an error. */
int dns_host_resolvers(struct cidr *out, size_t max, size_t *n);

/* The host's /etc/resolv.conf as it is (net host); NULL if unreadable. */
char *dns_host_resolv_text(void);

/* The job's resolv.conf for these servers (malloc'd). */
char *dns_format_resolv(const struct cidr *servers, size_t n);

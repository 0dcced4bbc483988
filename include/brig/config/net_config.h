/* The network part of a job's config: the `net` mode, the address pools
 * and the egress rules, with their parsing and consistency checks. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

#include "brig/lib/util.h"

/* One egress-allow or egress-deny rule, as the firewall applies it. */
struct fw_rule {
	struct cidr dst;
	uint16_t port_lo, port_hi; /* 0, 0: every port */
	uint8_t proto;             /* 0: tcp and udp (or any protocol without ports); IPPROTO_TCP; IPPROTO_UDP */
	bool allow;                /* egress-allow; false: egress-deny */
};

enum net_mode { NET_NONE, NET_VETH, NET_HOST };

/* What a caller without root does about a profile's net veth. */
#define NET_VETH_NEEDS_ROOT \
	"needs root (it adds a link and firewall rules to the host): run brig as root, or use a profile with " \
	"net none (gitlab-rootless, buildkite-rootless, gha-rootless)"

#define EGRESS_NAME_MAX 253 /* a DNS name's longest text, without the final dot */

/* egress-allow-host / egress-deny-host: a DNS name (lower case, no final
 * dot), or with wildcard every name below it ("*.example.com": not
 * example.com itself), and the ports and protocol of egress-allow. */
struct egress_host {
	char name[EGRESS_NAME_MAX + 1];
	bool wildcard;
	uint16_t port_lo, port_hi; /* 0, 0: every port */
	uint8_t proto;             /* 0: tcp and udp; IPPROTO_TCP; IPPROTO_UDP */
	bool allow;
};

/* Where job subnets come from unless a profile says otherwise: ranges
 * that no cloud or container runtime hands out by default. */
#define NET_DEFAULT_POOL4 "10.237.0.0/16"
#define NET_DEFAULT_POOL6 "fd62:7269:6700::/48" /* "brig" in the ULA's global id */
#define NET_SUBNET4_PREFIX 30u /* network, gateway, job, broadcast */
#define NET_SUBNET6_PREFIX 64u

struct net_config {
	enum net_mode mode;
	bool mode_set;
	struct cidr pool4, pool6;
	bool pool4_set, pool6_set;
	struct fw_rule *egress; /* egress-allow and egress-deny, in the order given */
	size_t n_egress;
	bool default_allow;     /* egress-default; allow unless set */
	bool default_set;
	struct egress_host *hosts; /* egress-allow-host and egress-deny-host, in the order given */
	size_t n_hosts;
	/* Filled by config_finish for veth and host jobs. */
	struct cidr dns[3]; /* DNS_MAX_SERVERS */
	size_t n_dns;
	char *resolv_conf; /* the job's /etc/resolv.conf; NULL: none */
};

void net_config_init(struct net_config *n);
void net_config_free(struct net_config *n);

/* "CIDR[:PORT[-PORT]][/tcp|/udp]"; an IPv6 CIDR with a port is written in
 * brackets: "[2001:db8::/32]:443/tcp". */
int net_parse_egress(const char *s, bool allow, struct fw_rule *out);
/* "NAME[:PORT[-PORT]][/tcp|/udp]", NAME exact or "*.example.com".
 * -EINVAL for a malformed name, -EDESTADDRREQ for an address (that is
 * egress-allow's). */
int net_parse_egress_host(const char *s, bool allow, struct egress_host *out);
void net_format_egress_host(const struct egress_host *h, char *buf, size_t len);
bool net_same_egress_host(const struct egress_host *a, const struct egress_host *b);
/* The same rule, allow or deny alike. */
bool net_same_egress(const struct fw_rule *a, const struct fw_rule *b);
/* The inverse, at least 80 bytes. */
void net_format_egress(const struct fw_rule *r, char *buf, size_t len);
/* "none", "veth", "host" */
int net_parse_mode(const char *s, enum net_mode *out);
const char *net_mode_name(enum net_mode m);
/* A pool must be able to hold a job subnet: IPv4 prefix <= 30, IPv6 <= 64,
 * and the address given must be the network's own. */
int net_parse_pool(const char *s, int family, struct cidr *out);

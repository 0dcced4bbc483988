/* Parsing of the network directives. Pure: no syscalls, so the unit tests
 * cover every form. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "brig/config/net_config.h"

void net_config_init(struct net_config *n)
{
	*n = (struct net_config){ .mode = NET_NONE, .default_allow = true };
	parse_cidr(NET_DEFAULT_POOL4, &n->pool4);
	parse_cidr(NET_DEFAULT_POOL6, &n->pool6);
}

void net_config_free(struct net_config *n)
{
	free(n->egress);
	free(n->hosts);
	free(n->resolv_conf);
	net_config_init(n);
}

static const char *const mode_names[] = { [NET_NONE] = "none", [NET_VETH] = "veth", [NET_HOST] = "host" };

int net_parse_mode(const char *s, enum net_mode *out)
{
	for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*out = (enum net_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *net_mode_name(enum net_mode m)
{
	return m <= NET_HOST ? mode_names[m] : "?";
}

static bool is_network_address(const struct cidr *c)
{
	unsigned len = c->family == AF_INET ? 4 : 16;
	for (unsigned bit = c->prefix; bit < len * 8; bit++)
		if (c->addr[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	return true;
}

int net_parse_pool(const char *s, int family, struct cidr *out)
{
	struct cidr c;
	if (parse_cidr(s, &c) < 0 || c.family != family || !is_network_address(&c))
		return -EINVAL;
	if (c.prefix > (family == AF_INET ? NET_SUBNET4_PREFIX : NET_SUBNET6_PREFIX))
		return -ERANGE;
	*out = c;
	return 0;
}

/* "N" or "N-M", 1..65535, decimal without leading zeros. */
static int parse_ports(const char *s, uint16_t *lo, uint16_t *hi)
{
	uint64_t a, b;
	const char *dash = strchr(s, '-');
	char first[8];
	if (!dash) {
		if (parse_u64(s, &a) < 0 || a == 0 || a > 65535)
			return -EINVAL;
		*lo = *hi = (uint16_t)a;
		return 0;
	}
	if ((size_t)(dash - s) >= sizeof first)
		return -EINVAL;
	memcpy(first, s, (size_t)(dash - s));
	first[dash - s] = '\0';
	if (parse_u64(first, &a) < 0 || parse_u64(dash + 1, &b) < 0 || a == 0 || b > 65535 || a > b)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

int net_parse_egress(const char *s, bool allow, struct fw_rule *out)
{
	char buf[128];
	struct fw_rule r = { .allow = allow };
	size_t len = strlen(s);
	if (len == 0 || len >= sizeof buf)
		return -EINVAL;
	memcpy(buf, s, len + 1);
	/* The protocol, from the end: "/8" is a prefix, "/tcp" is not. */
	char *slash = strrchr(buf, '/');
	if (slash && (strcmp(slash, "/tcp") == 0 || strcmp(slash, "/udp") == 0)) {
		r.proto = slash[1] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		*slash = '\0';
	}
	char *addr = buf, *ports = NULL;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close)
			return -EINVAL;
		*close = '\0';
		addr = buf + 1;
		if (close[1] == ':')
			ports = close + 2;
		else if (close[1] != '\0')
			return -EINVAL;
	} else {
		/* Unbracketed, only IPv4 can carry a port: one colon at most. */
		char *colon = strchr(buf, ':');
		if (colon && !strchr(colon + 1, ':') && strchr(buf, '.')) {
			*colon = '\0';
			ports = colon + 1;
		}
	}
	if (parse_cidr(addr, &r.dst) < 0 || !is_network_address(&r.dst))
		return -EINVAL;
	if (buf[0] == '[' && r.dst.family != AF_INET6)
		return -EINVAL;
	if (ports && parse_ports(ports, &r.port_lo, &r.port_hi) < 0)
		return -EINVAL;
	*out = r;
	return 0;
}

void net_format_egress(const struct fw_rule *r, char *buf, size_t len)
{
	char cidr[64], ports[16] = "";
	format_cidr(&r->dst, cidr, sizeof cidr);
	if (r->port_lo && r->port_lo == r->port_hi)
		snprintf(ports, sizeof ports, ":%u", r->port_lo);
	else if (r->port_lo)
		snprintf(ports, sizeof ports, ":%u-%u", r->port_lo, r->port_hi);
	const char *proto = r->proto == IPPROTO_TCP ? "/tcp" : r->proto == IPPROTO_UDP ? "/udp" : "";
	if (r->dst.family == AF_INET6 && ports[0])
		snprintf(buf, len, "[%s]%s%s", cidr, ports, proto);
	else
		snprintf(buf, len, "%s%s%s", cidr, ports, proto);
}

bool net_same_egress(const struct fw_rule *a, const struct fw_rule *b)
{
	return a->dst.family == b->dst.family && a->dst.prefix == b->dst.prefix &&
	       memcmp(a->dst.addr, b->dst.addr, sizeof a->dst.addr) == 0 && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi && a->proto == b->proto && a->allow == b->allow;
}

/* Letters, digits, '-' and '_' (service labels such as _dmarc), labels of
 * 1..63, the whole at most 253. A name that reads as an IPv4 address is
 * refused: addresses are egress-allow's. */
static int check_name(const char *name)
{
	size_t len = strlen(name), label = 0;
	bool alpha = false;
	if (len == 0 || len > EGRESS_NAME_MAX)
		return -EINVAL;
	for (const char *p = name;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-' || p[-(ssize_t)label] == '-')
				return -EINVAL;
			label = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if ((*p >= 'a' && *p <= 'z') || *p == '_')
			alpha = true;
		else if (!((*p >= '0' && *p <= '9') || *p == '-'))
			return -EINVAL;
		label++;
	}
	return alpha ? 0 : -EDESTADDRREQ;
}

int net_parse_egress_host(const char *s, bool allow, struct egress_host *out)
{
	char buf[EGRESS_NAME_MAX + 32];
	struct egress_host h = { .allow = allow };
	size_t len = strlen(s);
	if (len == 0 || len >= sizeof buf)
		return -EINVAL;
	for (size_t i = 0; i <= len; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
	if (buf[0] == '[' || strchr(buf, ':') != strrchr(buf, ':'))
		return -EDESTADDRREQ; /* an IPv6 address */
	char *slash = strrchr(buf, '/');
	if (slash && (strcmp(slash, "/tcp") == 0 || strcmp(slash, "/udp") == 0)) {
		h.proto = slash[1] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		*slash = '\0';
	} else if (slash) {
		return strchr(buf, '.') && !strpbrk(buf, "abcdefghijklmnopqrstuvwxyz_") ? -EDESTADDRREQ : -EINVAL;
	}
	char *colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		if (parse_ports(colon + 1, &h.port_lo, &h.port_hi) < 0)
			return -EINVAL;
	}
	char *name = buf;
	if (strncmp(name, "*.", 2) == 0) {
		h.wildcard = true;
		name += 2;
	}
	size_t nlen = strlen(name);
	if (nlen && name[nlen - 1] == '.')
		name[--nlen] = '\0'; /* the root's dot */
	int r = check_name(name);
	if (r < 0)
		return r;
	/* "*.com" would open a whole top-level domain: one label is too few. */
	if (h.wildcard && !strchr(name, '.'))
		return -EINVAL;
	memcpy(h.name, name, nlen + 1);
	*out = h;
	return 0;
}

void net_format_egress_host(const struct egress_host *h, char *buf, size_t len)
{
	char ports[16] = "";
	if (h->port_lo && h->port_lo == h->port_hi)
		snprintf(ports, sizeof ports, ":%u", h->port_lo);
	else if (h->port_lo)
		snprintf(ports, sizeof ports, ":%u-%u", h->port_lo, h->port_hi);
	const char *proto = h->proto == IPPROTO_TCP ? "/tcp" : h->proto == IPPROTO_UDP ? "/udp" : "";
	snprintf(buf, len, "%s%s%s%s", h->wildcard ? "*." : "", h->name, ports, proto);
}

bool net_same_egress_host(const struct egress_host *a, const struct egress_host *b)
{
	return strcmp(a->name, b->name) == 0 && a->wildcard == b->wildcard && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi && a->proto == b->proto && a->allow == b->allow;
}

/* Egress by name, the pure parts (see brig/net/egress.h). */
#include "brig/net/egress.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

void egress_name_normalise(char *name)
{
	for (char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	size_t len = strlen(name);
	if (len && name[len - 1] == '.')
		name[len - 1] = '\0';
}

bool egress_host_matches(const struct egress_host *h, const char *name)
{
	if (!h->wildcard)
		return strcmp(h->name, name) == 0;
	size_t len = strlen(name), base = strlen(h->name);
	/* "*.example.com" names a.example.com, not example.com nor
	 * badexample.com. */
	return len > base + 1 && name[len - base - 1] == '.' && strcmp(name + len - base, h->name) == 0;
}

int egress_decide(const struct egress_host *hosts, size_t n, const char *name, bool *allow)
{
	int first_allow = -1;
	for (size_t i = 0; i < n; i++) {
		if (!egress_host_matches(&hosts[i], name))
			continue;
		if (!hosts[i].allow) {
			*allow = false;
			return (int)i;
		}
		if (first_allow < 0)
			first_allow = (int)i;
	}
	*allow = first_allow >= 0;
	return first_allow;
}

bool egress_host_allows(const struct egress_host *hosts, size_t n, const char *name, uint16_t port, uint8_t proto)
{
	bool allow;
	if (egress_decide(hosts, n, name, &allow) < 0 || !allow)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct egress_host *h = &hosts[i];
		if (!h->allow || !egress_host_matches(h, name) || (h->proto && h->proto != proto))
			continue;
		if ((!h->port_lo && !h->port_hi) || (port >= h->port_lo && port <= (h->port_hi ? h->port_hi : h->port_lo)))
			return true;
	}
	return false;
}

bool egress_rule_covers(const struct fw_rule *r, const struct cidr *dst, uint16_t port, uint8_t proto)
{
	if (!firewall_cidr_within(dst, &r->dst) || (r->proto && r->proto != proto))
		return false;
	return (!r->port_lo && !r->port_hi) || (port >= r->port_lo && port <= (r->port_hi ? r->port_hi : r->port_lo));
}

int egress_groups(const struct egress_host *hosts, size_t n, struct fw_rule *groups, size_t max, int *group_of)
{
	size_t ng = 0;
	for (size_t i = 0; i < n; i++) {
		group_of[i] = -1;
		if (!hosts[i].allow)
			continue;
		size_t g = 0;
		while (g < ng && !(groups[g].port_lo == hosts[i].port_lo && groups[g].port_hi == hosts[i].port_hi &&
				   groups[g].proto == hosts[i].proto))
			g++;
		if (g == ng) {
			if (ng == max)
				return -ENOBUFS;
			groups[ng++] = (struct fw_rule){ .port_lo = hosts[i].port_lo, .port_hi = hosts[i].port_hi,
							 .proto = hosts[i].proto, .allow = true };
		}
		group_of[i] = (int)g;
	}
	return (int)ng;
}

static const struct {
	const char *cidr, *kind;
} internal[] = {
	{ "0.0.0.0/8", "this-network" },     { "127.0.0.0/8", "loopback" },     { "169.254.0.0/16", "link-local" },
	{ "10.0.0.0/8", "private" },         { "172.16.0.0/12", "private" },    { "192.168.0.0/16", "private" },
	{ "100.64.0.0/10", "cgnat" },        { "224.0.0.0/4", "multicast" },    { "240.0.0.0/4", "reserved" },
	{ "::/128", "unspecified" },         { "::1/128", "loopback" },         { "fe80::/10", "link-local" },
	{ "fec0::/10", "site-local" },       { "fc00::/7", "private" },         { "ff00::/8", "multicast" },
};

/* The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4), if any. */
static bool embedded_v4(const struct cidr *a, struct cidr *v4)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	if (a->family != AF_INET6)
		return false;
	*v4 = (struct cidr){ .family = AF_INET, .prefix = 32 };
	if (memcmp(a->addr, mapped, 12) == 0 || memcmp(a->addr, nat64, 12) == 0) {
		memcpy(v4->addr, a->addr + 12, 4);
		return true;
	}
	if (a->addr[0] == 0x20 && a->addr[1] == 0x02) {
		memcpy(v4->addr, a->addr + 2, 4);
		return true;
	}
	return false;
}

static int internal_range(const struct cidr *a)
{
	for (size_t i = 0; i < ARRAY_SIZE(internal); i++) {
		struct cidr r;
		if (parse_cidr(internal[i].cidr, &r) == 0 && firewall_cidr_within(a, &r))
			return (int)i;
	}
	return -1;
}

const char *egress_addr_kind(const struct cidr *addr)
{
	struct cidr v4;
	const struct cidr *a = embedded_v4(addr, &v4) ? &v4 : addr;
	int i = internal_range(a);
	return i >= 0 ? internal[i].kind : "public";
}

enum egress_addr egress_classify(const struct cidr *addr, const struct fw_rule *rules, size_t n_rules,
				 const struct cidr *own, size_t n_own)
{
	struct cidr block[128], v4;
	int nb = firewall_blocklist(block, ARRAY_SIZE(block));
	for (int i = 0; i < nb; i++)
		if (firewall_cidr_within(addr, &block[i]))
			return EGRESS_ADDR_BLOCKED;
	const struct cidr *a = addr;
	if (embedded_v4(addr, &v4)) {
		for (int i = 0; i < nb; i++)
			if (firewall_cidr_within(&v4, &block[i]))
				return EGRESS_ADDR_BLOCKED;
		/* The firewall matches the IPv6 spelling, not what it carries:
		 * only a rule for the spelling itself could open it. */
		if (internal_range(&v4) >= 0)
			return EGRESS_ADDR_INTERNAL;
		a = &v4;
	}
	for (size_t i = 0; i < n_own; i++)
		if (cidr_same_address(&own[i], a))
			return EGRESS_ADDR_INTERNAL;
	int range = internal_range(addr);
	if (range < 0)
		return EGRESS_ADDR_OK;
	struct cidr r;
	parse_cidr(internal[range].cidr, &r);
	for (size_t i = 0; i < n_rules; i++)
		if (rules[i].allow && firewall_cidr_within(&rules[i].dst, &r) && firewall_cidr_within(addr, &rules[i].dst))
			return EGRESS_ADDR_OK;
	return EGRESS_ADDR_INTERNAL;
}

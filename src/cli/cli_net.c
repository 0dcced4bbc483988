/* The network options of the option table. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "brig/cli/cli_net.h"

static int dup_out(const char *v, char **out)
{
	*out = NULL;
	if (v && !(*out = strdup(v)))
		return -ENOMEM;
	return 0;
}

int cli_set_net(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected none, veth or host";
	if (net_parse_mode(a, &c->net.mode) < 0)
		return -EINVAL;
	c->net.mode_set = true;
	return 0;
}

int cli_show_net(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	return dup_out(c->net.mode_set ? net_mode_name(c->net.mode) : NULL, out);
}

static int set_pool(struct cidr *pool, bool *set, int family, const char *a, const char **why)
{
	int r = net_parse_pool(a, family, pool);
	if (r == -ERANGE)
		*why = family == AF_INET ? "the pool must be /30 or larger" : "the pool must be /64 or larger";
	else if (r < 0)
		*why = family == AF_INET ? "expected an IPv4 network, e.g. 10.237.0.0/16"
					 : "expected an IPv6 network, e.g. fd62:7269:6700::/48";
	if (r == 0)
		*set = true;
	return r < 0 ? -EINVAL : 0;
}

int cli_set_net_pool(struct brig_config *c, const char *a, const char **why)
{
	return set_pool(&c->net.pool4, &c->net.pool4_set, AF_INET, a, why);
}

int cli_set_net_pool6(struct brig_config *c, const char *a, const char **why)
{
	return set_pool(&c->net.pool6, &c->net.pool6_set, AF_INET6, a, why);
}

static int show_pool(const struct cidr *pool, bool set, char **out)
{
	char buf[64];
	*out = NULL;
	if (!set)
		return 0;
	format_cidr(pool, buf, sizeof buf);
	return dup_out(buf, out);
}

int cli_show_net_pool(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	return show_pool(&c->net.pool4, c->net.pool4_set, out);
}

int cli_show_net_pool6(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	return show_pool(&c->net.pool6, c->net.pool6_set, out);
}

static int add_egress(struct brig_config *c, const char *a, bool allow, const char **why)
{
	struct fw_rule r;
	*why = "expected CIDR[:PORT[-PORT]][/tcp|/udp], IPv6 with a port as [CIDR]:PORT";
	if (net_parse_egress(a, allow, &r) < 0)
		return -EINVAL;
	if (c->net.n_egress >= CONFIG_LIST_MAX)
		return -E2BIG;
	struct fw_rule *grown = realloc(c->net.egress, (c->net.n_egress + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	grown[c->net.n_egress++] = r;
	c->net.egress = grown;
	return 0;
}

int cli_set_egress_allow(struct brig_config *c, const char *a, const char **why) { return add_egress(c, a, true, why); }
int cli_set_egress_deny(struct brig_config *c, const char *a, const char **why) { return add_egress(c, a, false, why); }

static int show_egress(const struct brig_config *c, size_t i, bool allow, char **out)
{
	char buf[96];
	*out = NULL;
	if (i >= c->net.n_egress || c->net.egress[i].allow != allow)
		return 0;
	net_format_egress(&c->net.egress[i], buf, sizeof buf);
	return dup_out(buf, out);
}

int cli_show_egress_allow(const struct brig_config *c, size_t i, char **out) { return show_egress(c, i, true, out); }
int cli_show_egress_deny(const struct brig_config *c, size_t i, char **out) { return show_egress(c, i, false, out); }

int cli_set_egress_default(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected allow or deny";
	if (strcmp(a, "allow") != 0 && strcmp(a, "deny") != 0)
		return -EINVAL;
	c->net.default_allow = a[0] == 'a';
	c->net.default_set = true;
	return 0;
}

int cli_show_egress_default(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	return dup_out(c->net.default_set ? (c->net.default_allow ? "allow" : "deny") : NULL, out);
}

static int add_egress_host(struct brig_config *c, const char *a, bool allow, const char **why)
{
	struct egress_host h;
	int r = net_parse_egress_host(a, allow, &h);
	if (r == -EDESTADDRREQ)
		*why = "expected a name; an address is egress-allow's or egress-deny's";
	else
		*why = "expected NAME[:PORTS][/tcp|/udp], NAME a DNS name or *.NAME (its sub-names)";
	if (r < 0)
		return -EINVAL;
	if (c->net.n_hosts >= CONFIG_LIST_MAX)
		return -E2BIG;
	struct egress_host *grown = realloc(c->net.hosts, (c->net.n_hosts + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	grown[c->net.n_hosts++] = h;
	c->net.hosts = grown;
	return 0;
}

int cli_set_egress_allow_host(struct brig_config *c, const char *a, const char **why) { return add_egress_host(c, a, true, why); }
int cli_set_egress_deny_host(struct brig_config *c, const char *a, const char **why) { return add_egress_host(c, a, false, why); }

static int show_egress_host(const struct brig_config *c, size_t i, bool allow, char **out)
{
	char buf[EGRESS_NAME_MAX + 32];
	*out = NULL;
	if (i >= c->net.n_hosts || c->net.hosts[i].allow != allow)
		return 0;
	net_format_egress_host(&c->net.hosts[i], buf, sizeof buf);
	return dup_out(buf, out);
}

int cli_show_egress_allow_host(const struct brig_config *c, size_t i, char **out) { return show_egress_host(c, i, true, out); }
int cli_show_egress_deny_host(const struct brig_config *c, size_t i, char **out) { return show_egress_host(c, i, false, out); }

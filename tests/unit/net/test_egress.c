/* Egress by name: the directives' parser, which rule decides a name, the
 * port groups, and the addresses a name may not resolve to. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "brig/config/net_config.h"
#include "brig/net/egress.h"

static struct egress_host host_ok(const char *s, bool allow)
{
	struct egress_host h;
	cr_assert_eq(net_parse_egress_host(s, allow, &h), 0, "rejected: %s", s);
	return h;
}

Test(egress_host, names_ports_and_protocols)
{
	struct egress_host h = host_ok("Registry.NPMjs.org.", true);
	cr_assert_str_eq(h.name, "registry.npmjs.org");
	cr_assert(!h.wildcard);
	cr_assert_eq(h.port_lo, 0);
	h = host_ok("*.github.com:443/tcp", true);
	cr_assert_str_eq(h.name, "github.com");
	cr_assert(h.wildcard);
	cr_assert_eq(h.port_lo, 443);
	cr_assert_eq(h.port_hi, 443);
	cr_assert_eq(h.proto, IPPROTO_TCP);
	h = host_ok("_dmarc.example.com:1000-2000/udp", false);
	cr_assert_eq(h.port_hi, 2000);
	cr_assert_eq(h.proto, IPPROTO_UDP);
	cr_assert(!h.allow);
	char buf[300];
	h = host_ok("*.example.com:22/tcp", true);
	net_format_egress_host(&h, buf, sizeof buf);
	cr_assert_str_eq(buf, "*.example.com:22/tcp");
}

Test(egress_host, bad_names_are_refused)
{
	static const char *const bad[] = {
		"", "*.com", "*", "a..b", "-a.example", "a-.example", "exa mple.com", "a.example/8", "a.example:0",
		"a.example:70000", "a.example:443/icmp", "*.*.example.com", "a.*.example.com", "ex!ample.com",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	};
	struct egress_host h;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_eq(net_parse_egress_host(bad[i], true, &h), -EINVAL, "accepted: \"%s\"", bad[i]);
	static const char *const addrs[] = { "198.51.100.7", "198.51.100.0/24", "10.0.0.1:443", "2001:db8::1",
					     "[2001:db8::1]:443" };
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
		cr_expect_eq(net_parse_egress_host(addrs[i], true, &h), -EDESTADDRREQ, "not taken for an address: %s",
			     addrs[i]);
}

Test(egress_decide, wildcards_match_sub_names_only_and_deny_wins)
{
	struct egress_host hosts[] = { host_ok("*.example.com", true), host_ok("exact.test", true),
				       host_ok("bad.example.com", false) };
	bool allow;
	cr_expect_eq(egress_decide(hosts, 3, "a.example.com", &allow), 0);
	cr_expect(allow);
	cr_expect_eq(egress_decide(hosts, 3, "a.b.example.com", &allow), 0);
	cr_expect_eq(egress_decide(hosts, 3, "example.com", &allow), -1, "the wildcard named its own base");
	cr_expect(!allow);
	cr_expect_eq(egress_decide(hosts, 3, "badexample.com", &allow), -1);
	cr_expect_eq(egress_decide(hosts, 3, "exact.test", &allow), 1);
	cr_expect_eq(egress_decide(hosts, 3, "sub.exact.test", &allow), -1);
	cr_expect_eq(egress_decide(hosts, 3, "bad.example.com", &allow), 2);
	cr_expect(!allow, "an allow rule before the deny rule won");
}

Test(egress_host_allows, any_allow_rule_of_the_name_may_hold_the_port_and_deny_wins)
{
	struct egress_host hosts[] = { host_ok("git.test:22/tcp", true), host_ok("git.test:443/tcp", true),
				       host_ok("*.cdn.test:80-443/tcp", true), host_ok("bad.cdn.test", false) };
	cr_expect(egress_host_allows(hosts, 4, "git.test", 443, IPPROTO_TCP), "the second rule's port");
	cr_expect(egress_host_allows(hosts, 4, "git.test", 22, IPPROTO_TCP));
	cr_expect(!egress_host_allows(hosts, 4, "git.test", 80, IPPROTO_TCP));
	cr_expect(!egress_host_allows(hosts, 4, "git.test", 443, IPPROTO_UDP));
	cr_expect(egress_host_allows(hosts, 4, "a.cdn.test", 200, IPPROTO_TCP));
	cr_expect(!egress_host_allows(hosts, 4, "bad.cdn.test", 443, IPPROTO_TCP), "the deny rule lost");
	cr_expect(!egress_host_allows(hosts, 4, "other.test", 443, IPPROTO_TCP));
}

Test(egress_rule_covers, address_port_and_protocol)
{
	struct fw_rule r;
	struct cidr in, out;
	cr_assert_eq(net_parse_egress("198.51.100.0/24:443/tcp", true, &r), 0);
	parse_cidr("198.51.100.10", &in);
	parse_cidr("203.0.113.10", &out);
	cr_expect(egress_rule_covers(&r, &in, 443, IPPROTO_TCP));
	cr_expect(!egress_rule_covers(&r, &in, 80, IPPROTO_TCP));
	cr_expect(!egress_rule_covers(&r, &in, 443, IPPROTO_UDP));
	cr_expect(!egress_rule_covers(&r, &out, 443, IPPROTO_TCP));
	cr_assert_eq(net_parse_egress("198.51.100.10", false, &r), 0);
	cr_expect(egress_rule_covers(&r, &in, 80, IPPROTO_TCP), "a rule without ports holds every port");
}

Test(egress_groups, one_set_per_distinct_port_spec)
{
	struct egress_host hosts[] = { host_ok("a.test:443/tcp", true), host_ok("b.test", true),
				       host_ok("c.test:443/tcp", true), host_ok("d.test", false),
				       host_ok("e.test:22/tcp", true) };
	struct fw_rule g[4];
	int of[5];
	cr_assert_eq(egress_groups(hosts, 5, g, 4, of), 3);
	cr_expect_eq(of[0], 0);
	cr_expect_eq(of[1], 1);
	cr_expect_eq(of[2], 0);
	cr_expect_eq(of[3], -1);
	cr_expect_eq(of[4], 2);
	cr_expect_eq(g[2].port_lo, 22);
	cr_expect_eq(egress_groups(hosts, 5, g, 2, of), -ENOBUFS);
}

static enum egress_addr classify(const char *a, const struct fw_rule *rules, size_t n)
{
	struct cidr c, own;
	cr_assert_eq(parse_cidr(a, &c), 0, "%s", a);
	parse_cidr("203.0.113.2", &own);
	return egress_classify(&c, rules, n, &own, 1);
}

Test(egress_classify, rebinding_targets_are_refused)
{
	static const char *const internal[] = { "10.0.0.5", "127.0.0.1", "192.168.1.1", "172.16.5.10", "100.64.0.10",
						"::1", "fe80::1", "fc00:99::10", "::ffff:10.0.0.5", "203.0.113.2",
						"0.0.0.0", "2002:0a00:0005::1" };
	for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++)
		cr_expect_neq(classify(internal[i], NULL, 0), EGRESS_ADDR_OK, "%s passed", internal[i]);
	static const char *const blocked[] = { "169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254",
					       "100.100.100.200", "168.63.129.16" };
	for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++)
		cr_expect_eq(classify(blocked[i], NULL, 0), EGRESS_ADDR_BLOCKED, "%s not blocked", blocked[i]);
	cr_expect_eq(classify("198.51.100.10", NULL, 0), EGRESS_ADDR_OK);
	cr_expect_eq(classify("2001:db8::10", NULL, 0), EGRESS_ADDR_OK);
}

Test(egress_classify, a_cidr_rule_within_a_private_range_opens_it_but_never_metadata)
{
	struct fw_rule rules[3];
	cr_assert_eq(net_parse_egress("10.99.0.0/16", true, &rules[0]), 0);
	cr_assert_eq(net_parse_egress("0.0.0.0/0", true, &rules[1]), 0);
	cr_assert_eq(net_parse_egress("169.254.0.0/16", true, &rules[2]), 0);
	cr_expect_eq(classify("10.99.0.10", rules, 3), EGRESS_ADDR_OK);
	cr_expect_eq(classify("10.0.0.5", rules, 3), EGRESS_ADDR_INTERNAL, "0.0.0.0/0 opened a private range");
	cr_expect_eq(classify("169.254.169.254", rules, 3), EGRESS_ADDR_BLOCKED);
}

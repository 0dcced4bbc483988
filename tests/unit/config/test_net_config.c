/* The network directives' parsers, the subnet arithmetic of the address
 * pools, and the resolv.conf reader. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "brig/config/dns.h"
#include "brig/config/net_config.h"
#include "brig/net/net_pool.h"

static void addr_is(const struct cidr *c, const char *want)
{
	char buf[64];
	format_cidr(c, buf, sizeof buf);
	cr_assert_str_eq(buf, want);
}

/* egress rules */

static struct fw_rule egress_ok(const char *s)
{
	struct fw_rule r;
	cr_assert_eq(net_parse_egress(s, true, &r), 0, "rejected: %s", s);
	return r;
}

Test(net_egress, a_bare_network)
{
	struct fw_rule r = egress_ok("10.0.0.0/8");
	addr_is(&r.dst, "10.0.0.0/8");
	cr_assert_eq(r.port_lo, 0);
	cr_assert_eq(r.proto, 0);
	cr_assert(r.allow);
}

Test(net_egress, an_address_is_one_host)
{
	struct fw_rule a = egress_ok("198.51.100.7"), b = egress_ok("2001:db8::1");
	cr_assert_eq(a.dst.prefix, 32);
	cr_assert_eq(b.dst.prefix, 128);
	addr_is(&a.dst, "198.51.100.7/32");
	addr_is(&b.dst, "2001:db8::1/128");
}

Test(net_egress, ports_and_protocols)
{
	struct fw_rule r = egress_ok("10.0.0.0/8:443/tcp");
	cr_assert_eq(r.port_lo, 443);
	cr_assert_eq(r.port_hi, 443);
	cr_assert_eq(r.proto, IPPROTO_TCP);
	r = egress_ok("192.0.2.0/24:1000-2000/udp");
	cr_assert_eq(r.port_lo, 1000);
	cr_assert_eq(r.port_hi, 2000);
	cr_assert_eq(r.proto, IPPROTO_UDP);
	r = egress_ok("192.0.2.0/24/udp");
	cr_assert_eq(r.port_lo, 0);
	cr_assert_eq(r.proto, IPPROTO_UDP);
}

Test(net_egress, ipv6_with_a_port_in_brackets)
{
	struct fw_rule r = egress_ok("[2001:db8::/32]:80-90/tcp");
	addr_is(&r.dst, "2001:db8::/32");
	cr_assert_eq(r.port_lo, 80);
	cr_assert_eq(r.port_hi, 90);
	r = egress_ok("[::/0]");
	addr_is(&r.dst, "::/0");
	r = egress_ok("2001:db8::/32/tcp");
	cr_assert_eq(r.proto, IPPROTO_TCP);
}

Test(net_egress, refuses_what_is_not_a_rule)
{
	static const char *const bad[] = {
		"",		   "10.0.0.0/33",	  "10.0.0.1/8" /* host bits set */,
		"10.0.0.0/8:0",	   "10.0.0.0/8:65536",	  "10.0.0.0/8:90-80",
		"10.0.0.0/8:",	   "10.0.0.0/8:80/sctp",  "10.0.0.0/8:80:90",
		"[10.0.0.0/8]:80", "[2001:db8::/32",	  "[2001:db8::/32]x",
		"2001:db8::/32:80" /* a port needs brackets */,
		"010.0.0.0/8",	   "10.0.0.0/8 ",	  "example.com",
		"10.0.0.0/8:-5",   "10.0.0.0/8:1-",	  "10.0.0.0/8:80/tcp/tcp",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct fw_rule r;
		cr_expect_neq(net_parse_egress(bad[i], true, &r), 0, "accepted: \"%s\"", bad[i]);
	}
}

Test(net_egress, formats_what_it_parses)
{
	static const char *const forms[] = { "10.0.0.0/8", "10.0.0.0/8:443/tcp", "192.0.2.0/24:1000-2000/udp",
					     "[2001:db8::/32]:80-90/tcp", "2001:db8::/32/udp", "0.0.0.0/0" };
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		struct fw_rule r = egress_ok(forms[i]), again;
		char buf[96];
		net_format_egress(&r, buf, sizeof buf);
		cr_assert_str_eq(buf, forms[i]);
		cr_assert_eq(net_parse_egress(buf, true, &again), 0);
		cr_assert(net_same_egress(&r, &again), "%s", buf);
	}
}

/* modes and pools */

Test(net_mode, names_round_trip)
{
	static const char *const names[] = { "none", "veth", "host" };
	for (size_t i = 0; i < 3; i++) {
		enum net_mode m;
		cr_assert_eq(net_parse_mode(names[i], &m), 0);
		cr_assert_str_eq(net_mode_name(m), names[i]);
	}
	enum net_mode m;
	cr_assert_neq(net_parse_mode("bridge", &m), 0);
	cr_assert_neq(net_parse_mode("", &m), 0);
}

Test(net_pool, must_hold_one_subnet_and_be_a_network)
{
	struct cidr c;
	cr_assert_eq(net_parse_pool("10.1.0.0/16", AF_INET, &c), 0);
	cr_assert_eq(net_parse_pool("10.1.0.0/30", AF_INET, &c), 0);
	cr_assert_eq(net_parse_pool("10.1.0.0/31", AF_INET, &c), -ERANGE);
	cr_assert_eq(net_parse_pool("10.1.0.1/16", AF_INET, &c), -EINVAL);
	cr_assert_eq(net_parse_pool("fd00::/64", AF_INET6, &c), 0);
	cr_assert_eq(net_parse_pool("fd00::/65", AF_INET6, &c), -ERANGE);
	cr_assert_eq(net_parse_pool("fd00::/48", AF_INET, &c), -EINVAL);
	cr_assert_eq(net_parse_pool("10.0.0.0/8", AF_INET6, &c), -EINVAL);
}

static void pools(const char *p4, const char *p6, struct cidr *c4, struct cidr *c6)
{
	cr_assert_eq(parse_cidr(p4, c4), 0);
	cr_assert_eq(parse_cidr(p6, c6), 0);
}

Test(net_pool, slots_are_consecutive_subnets)
{
	struct cidr p4, p6;
	struct net_addrs a;
	pools("10.237.0.0/16", "fd62:7269:6700::/48", &p4, &p6);
	cr_assert_eq(net_slot_addrs(&p4, &p6, 0, &a), 0);
	addr_is(&a.subnet4, "10.237.0.0/30");
	addr_is(&a.gw4, "10.237.0.1/30");
	addr_is(&a.job4, "10.237.0.2/30");
	addr_is(&a.subnet6, "fd62:7269:6700::/64");
	addr_is(&a.gw6, "fd62:7269:6700::1/64");
	addr_is(&a.job6, "fd62:7269:6700::2/64");
	cr_assert_eq(net_slot_addrs(&p4, &p6, 1, &a), 0);
	addr_is(&a.job4, "10.237.0.6/30");
	addr_is(&a.job6, "fd62:7269:6700:1::2/64");
	/* Carries across bytes. */
	cr_assert_eq(net_slot_addrs(&p4, &p6, 64, &a), 0);
	addr_is(&a.subnet4, "10.237.1.0/30");
	addr_is(&a.subnet6, "fd62:7269:6700:40::/64");
	cr_assert_eq(net_slot_addrs(&p4, &p6, 16383, &a), 0);
	addr_is(&a.job4, "10.237.255.254/30");
}

Test(net_pool, the_smaller_pool_bounds_the_slots)
{
	struct cidr p4, p6;
	struct net_addrs a;
	pools("10.0.0.0/28", "fd00::/48", &p4, &p6);
	cr_assert_eq(net_pool_slots(&p4, &p6), 4);
	cr_assert_eq(net_slot_addrs(&p4, &p6, 3, &a), 0);
	addr_is(&a.job4, "10.0.0.14/30");
	cr_assert_eq(net_slot_addrs(&p4, &p6, 4, &a), -ERANGE);
	pools("10.0.0.0/8", "fd00::/62", &p4, &p6);
	cr_assert_eq(net_pool_slots(&p4, &p6), 4);
	pools("10.0.0.0/8", "fd00::/16", &p4, &p6);
	cr_assert_eq(net_pool_slots(&p4, &p6), 65536);
}

/* resolv.conf */

Test(dns, reads_nameservers_and_skips_loopback)
{
	struct cidr ns[3];
	size_t loopback = 9;
	size_t n = dns_parse_resolv("# comment\nsearch example.com\nnameserver 10.0.0.2\n"
				    "nameserver 127.0.0.53\n  nameserver\t2001:db8::53  # trailing\n"
				    "nameserver ::1\nnameserver fe80::1%eth0\nnameserver bogus\nnameserver 9.9.9.9",
				    ns, 3, &loopback);
	cr_assert_eq(n, 3);
	cr_assert_eq(loopback, 2);
	addr_is(&ns[0], "10.0.0.2/32");
	addr_is(&ns[1], "2001:db8::53/128");
	addr_is(&ns[2], "9.9.9.9/32");
}

Test(dns, only_loopback_gives_none)
{
	struct cidr ns[3];
	size_t loopback = 0;
	cr_assert_eq(dns_parse_resolv("nameserver 127.0.0.53\noptions edns0 trust-ad\n", ns, 3, &loopback), 0);
	cr_assert_eq(loopback, 1);
}

Test(dns, formats_the_jobs_file)
{
	struct cidr ns[2];
	parse_cidr("10.0.0.2", &ns[0]);
	parse_cidr("2001:db8::53", &ns[1]);
	char *text = dns_format_resolv(ns, 2);
	cr_assert(strstr(text, "\nnameserver 10.0.0.2\nnameserver 2001:db8::53\n"), "%s", text);
	free(text);
}

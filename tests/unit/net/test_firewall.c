/* The firewall's pure parts: the metadata blocklist and its derived IPv6
 * spellings, range containment, and the checks that refuse a bad job
 * before anything is sent to the kernel. (The ruleset itself is tested in
 * tests/integration/test_firewall.c, inside a network namespace.) */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "brig/net/firewall.h"

static struct cidr block[256];
static int n_block;

static void load(void)
{
	n_block = firewall_blocklist(block, ARRAY_SIZE(block));
	cr_assert_gt(n_block, 0, "blocklist: %s", strerror(-n_block));
}

static bool listed(const char *s)
{
	struct cidr want;
	cr_assert_eq(parse_cidr(s, &want), 0, "%s", s);
	for (int i = 0; i < n_block; i++)
		if (block[i].family == want.family && block[i].prefix == want.prefix &&
		    memcmp(block[i].addr, want.addr, 16) == 0)
			return true;
	return false;
}

/* ADDR is covered by some entry of the list. */
static bool blocked(const char *addr)
{
	struct cidr a;
	cr_assert_eq(parse_cidr(addr, &a), 0, "%s", addr);
	for (int i = 0; i < n_block; i++)
		if (firewall_cidr_within(&a, &block[i]))
			return true;
	return false;
}

Test(firewall, blocklist_names_the_metadata_services)
{
	load();
	const char *must[] = { "169.254.0.0/16", "100.100.100.200", "168.63.129.16", "192.0.0.192",
			       "fd00:ec2::/32", "fd20:ce::254", "fe80::/10", "0.0.0.0/8", "127.0.0.0/8", "::1" };
	for (size_t i = 0; i < ARRAY_SIZE(must); i++)
		cr_expect(listed(must[i]), "%s missing", must[i]);
	const char *hit[] = { "169.254.169.254", "169.254.170.2", "169.254.169.253", "fd00:ec2::254",
			      "fe80::a9fe:a9fe", "127.0.0.53", "0.0.0.0" };
	for (size_t i = 0; i < ARRAY_SIZE(hit); i++)
		cr_expect(blocked(hit[i]), "%s not blocked", hit[i]);
}

Test(firewall, blocklist_derives_the_ipv6_forms_of_ipv4_entries)
{
	load();
	cr_expect(listed("::ffff:169.254.0.0/112"));
	cr_expect(listed("64:ff9b::a9fe:0/112"));
	cr_expect(listed("2002:a9fe::/32"));
	cr_expect(listed("::ffff:100.100.100.200"));
	cr_expect(listed("64:ff9b::6464:64c8"));
	cr_expect(listed("2002:6464:64c8::/48"));
	cr_expect(listed("64:ff9b::7f00:0/104"));
	cr_expect(blocked("64:ff9b::169.254.169.254"));
	cr_expect(blocked("::ffff:127.0.0.1"));
	/* Multicast is listed as written: it has no meaningful mapped form. */
	cr_expect(listed("224.0.0.0/4"));
	cr_expect(!listed("::ffff:224.0.0.0/100"));
}

Test(firewall, blocklist_leaves_the_internet_alone)
{
	load();
	const char *ok[] = { "198.51.100.10", "2001:db8::10", "8.8.8.8", "2001:4860:4860::8888",
			     "64:ff9b::808:808", "10.1.2.3", "fd42::1" };
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		cr_expect(!blocked(ok[i]), "%s blocked", ok[i]);
	for (int i = 0; i < n_block; i++)
		cr_expect(block[i].prefix > 0, "entry %d blocks a whole family", i);
}

Test(firewall, blocklist_reports_a_short_buffer)
{
	struct cidr few[3];
	cr_assert_eq(firewall_blocklist(few, ARRAY_SIZE(few)), -ENOBUFS);
}

static bool within(const char *a, const char *b)
{
	struct cidr x, y;
	cr_assert_eq(parse_cidr(a, &x), 0, "%s", a);
	cr_assert_eq(parse_cidr(b, &y), 0, "%s", b);
	return firewall_cidr_within(&x, &y);
}

Test(firewall, cidr_within)
{
	cr_expect(within("10.1.0.0/16", "10.0.0.0/8"));
	cr_expect(within("10.0.0.0/8", "10.0.0.0/8"));
	cr_expect(within("172.31.255.255", "172.16.0.0/12"));
	cr_expect(!within("172.32.0.0/16", "172.16.0.0/12"));
	cr_expect(!within("10.0.0.0/7", "10.0.0.0/8"), "wider is not within");
	cr_expect(!within("0.0.0.0/0", "10.0.0.0/8"));
	cr_expect(within("100.127.0.1", "100.64.0.0/10"));
	cr_expect(!within("100.128.0.1", "100.64.0.0/10"));
	cr_expect(within("fd00::/8", "fc00::/7"));
	cr_expect(!within("fe00::/8", "fc00::/7"));
	cr_expect(!within("::ffff:10.0.0.1", "10.0.0.0/8"), "families differ");
}

static struct fw_job good(void)
{
	static struct cidr a4, a6;
	parse_cidr("10.99.0.2", &a4);
	parse_cidr("fd99::2", &a6);
	return (struct fw_job){ .id = "t1", .ifname = "brig-t1", .addr4 = a4, .addr6 = a6, .default_allow = true };
}

Test(firewall, bad_jobs_are_refused_before_the_kernel)
{
	struct fw_job j = good();
	j.id = "";
	cr_expect_eq(firewall_job_add(&j), -EINVAL, "empty id");
	j = good();
	j.id = "a b";
	cr_expect_eq(firewall_job_add(&j), -EINVAL, "blank in id");
	j = good();
	j.ifname = "brig-0123456789abcdef";
	cr_expect_eq(firewall_job_add(&j), -EINVAL, "name longer than IFNAMSIZ");
	j = good();
	parse_cidr("10.99.0.0/24", &j.addr4);
	cr_expect_eq(firewall_job_add(&j), -EINVAL, "own address must be one host");
	j = good();
	j.addr6 = j.addr4;
	cr_expect_eq(firewall_job_add(&j), -EINVAL, "IPv4 address as addr6");
	j = good();
	struct fw_rule r = { .port_lo = 90, .port_hi = 80 };
	parse_cidr("198.51.100.0/24", &r.dst);
	j.rules = &r;
	j.n_rules = 1;
	cr_expect_eq(firewall_job_add(&j), -EINVAL, "port range backwards");
	j = good();
	j.n_dns = 1;
	cr_expect_eq(firewall_job_add(&j), -EINVAL, "n_dns without dns");
	cr_expect_eq(firewall_job_remove(""), -EINVAL);
	cr_expect_eq(firewall_job_remove("x/y"), -EINVAL);
	struct fw_counters c;
	cr_expect_eq(firewall_job_counters("a b", &c), -EINVAL);
}

/* parse_cidr: the strict network parser that egress rules and address
 * pools will use. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "brig/lib/util.h"

static void assert_ok(const char *s, int family, unsigned prefix, const char *shown)
{
	struct cidr c;
	memset(&c, 0xa5, sizeof c);
	cr_assert_eq(parse_cidr(s, &c), 0, "%s refused", s);
	cr_assert_eq(c.family, family, "%s", s);
	cr_assert_eq(c.prefix, prefix, "%s", s);
	char buf[64];
	format_cidr(&c, buf, sizeof buf);
	cr_assert_str_eq(buf, shown, "%s", s);
	struct cidr again;
	cr_assert_eq(parse_cidr(buf, &again), 0, "%s does not read back", buf);
	cr_assert_eq(memcmp(&again, &c, sizeof c), 0, "%s", s);
}

static void assert_bad(const char *s, int err)
{
	struct cidr c = { .family = 99 };
	cr_assert_eq(parse_cidr(s, &c), err, "%s", s ? s : "(null)");
	cr_assert_eq(c.family, 99, "%s: output written on failure", s ? s : "(null)");
}

Test(cidr, ipv4_networks)
{
	assert_ok("10.0.0.0/8", AF_INET, 8, "10.0.0.0/8");
	assert_ok("192.168.1.0/24", AF_INET, 24, "192.168.1.0/24");
	assert_ok("169.254.169.254/32", AF_INET, 32, "169.254.169.254/32");
	assert_ok("0.0.0.0/0", AF_INET, 0, "0.0.0.0/0");
	assert_ok("255.255.255.255/32", AF_INET, 32, "255.255.255.255/32");
}

Test(cidr, bare_address_is_one_host)
{
	assert_ok("10.1.2.3", AF_INET, 32, "10.1.2.3/32");
	assert_ok("2001:db8::1", AF_INET6, 128, "2001:db8::1/128");
}

Test(cidr, ipv6_forms)
{
	assert_ok("::/0", AF_INET6, 0, "::/0");
	assert_ok("::", AF_INET6, 128, "::/128");
	assert_ok("::1/128", AF_INET6, 128, "::1/128");
	assert_ok("fe80::/10", AF_INET6, 10, "fe80::/10");
	assert_ok("2001:DB8:0:0:0:0:0:0/32", AF_INET6, 32, "2001:db8::/32");
	assert_ok("fd00:ec2::254/128", AF_INET6, 128, "fd00:ec2::254/128");
	assert_ok("::ffff:1.2.3.4", AF_INET6, 128, "::ffff:1.2.3.4/128");
	assert_ok("::ffff:0.0.0.0/96", AF_INET6, 96, "::ffff:0.0.0.0/96");
	assert_ok("1:2:3:4:5:6:7:8/128", AF_INET6, 128, "1:2:3:4:5:6:7:8/128");
}

Test(cidr, prefix_range)
{
	assert_bad("10.0.0.0/33", -ERANGE);
	assert_bad("::/129", -ERANGE);
	assert_bad("10.0.0.0/99999999999999999999999", -EINVAL);
	assert_bad("10.0.0.0/", -EINVAL);
	assert_bad("10.0.0.0/-1", -EINVAL);
	assert_bad("10.0.0.0/+8", -EINVAL);
	assert_bad("10.0.0.0/08", -EINVAL);
	assert_bad("10.0.0.0/8/8", -EINVAL);
	assert_bad("10.0.0.0/ 8", -EINVAL);
}

Test(cidr, host_bits_set)
{
	assert_bad("10.0.0.1/8", -EDOM);
	assert_bad("192.168.1.1/24", -EDOM);
	assert_bad("0.0.0.1/0", -EDOM);
	assert_bad("2001:db8::1/64", -EDOM);
	assert_bad("fe80::1/10", -EDOM);
	assert_bad("::1/127", -EDOM);
}

Test(cidr, trailing_garbage_and_blanks)
{
	assert_bad("10.0.0.0/8x", -EINVAL);
	assert_bad("10.0.0.0/8 ", -EINVAL);
	assert_bad(" 10.0.0.0/8", -EINVAL);
	assert_bad("10.0.0.0x/8", -EINVAL);
	assert_bad("10.0.0.0.0/8", -EINVAL);
	assert_bad("::1 ", -EINVAL);
	assert_bad("fe80::1%eth0", -EINVAL);
	assert_bad("fe80::1%eth0/128", -EINVAL);
}

Test(cidr, ipv4_is_dotted_decimal_only)
{
	assert_bad("010.0.0.0/8", -EINVAL); /* octal to some parsers */
	assert_bad("0x0a.0.0.0/8", -EINVAL);
	assert_bad("10/8", -EINVAL);
	assert_bad("10.0/16", -EINVAL);
	assert_bad("256.0.0.0/8", -EINVAL);
	assert_bad("1.2.3.-4", -EINVAL);
}

Test(cidr, malformed_ipv6)
{
	assert_bad(":::/0", -EINVAL);
	assert_bad("1::2::3", -EINVAL);
	assert_bad("12345::/16", -EINVAL);
	assert_bad("1:2:3:4:5:6:7:8:9", -EINVAL);
	assert_bad("::ffff:1.2.3/128", -EINVAL);
	assert_bad("g::/16", -EINVAL);
	assert_bad("[::1]/128", -EINVAL);
}

Test(cidr, empty_and_null)
{
	assert_bad("", -EINVAL);
	assert_bad("/8", -EINVAL);
	assert_bad(NULL, -EINVAL);
	char big[200];
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_bad(big, -EINVAL);
}

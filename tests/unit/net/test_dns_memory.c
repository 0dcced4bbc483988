/* The DNS responder's memory of its answers: what is in the sets until
 * when, and which name each address answered. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "brig/net/dns_memory.h"
#include "brig/net/egress.h"

static struct cidr addr(const char *s)
{
	struct cidr c;
	cr_assert_eq(parse_cidr(s, &c), 0, "%s", s);
	return c;
}

Test(dns_memory, an_address_is_placed_again_only_when_its_time_runs_short)
{
	struct dns_memory *m = calloc(1, sizeof *m);
	struct cidr a = addr("192.0.2.1");
	cr_expect(dns_memory_needs_placing(m, &a, 0, 300, 1000), "a new address goes into the set");
	cr_expect_not(dns_memory_needs_placing(m, &a, 0, 300, 2000), "it is there for long enough");
	cr_expect(dns_memory_needs_placing(m, &a, 1, 300, 2000), "another group's set is another set");
	/* It was placed until 1000 + (300 + GRACE) s; asked later with less
	 * than TTL + GRACE_MIN left, it goes in again. */
	long long later = 1000 + ((long long)EGRESS_GRACE_S - EGRESS_GRACE_MIN_S + 1) * 1000;
	cr_expect(dns_memory_needs_placing(m, &a, 0, 300, later));
	dns_memory_forget_placed(m, &a, 1, 0);
	cr_expect(dns_memory_needs_placing(m, &a, 0, 300, later), "a refused placement is not remembered");
	free(m);
}

Test(dns_memory, a_name_resolved_to_an_address_until_its_ttl_and_grace_end)
{
	struct dns_memory *m = calloc(1, sizeof *m);
	struct cidr a[] = { addr("192.0.2.1"), addr("2001:db8::1") }, other = addr("192.0.2.2");
	dns_memory_note_resolved(m, a, 2, 7, 60, 1000);
	cr_expect(dns_memory_resolved(m, 7, &a[0], 1000));
	cr_expect(dns_memory_resolved(m, 7, &a[1], 1000));
	cr_expect_not(dns_memory_resolved(m, 8, &a[0], 1000), "another name did not resolve there");
	cr_expect_not(dns_memory_resolved(m, 7, &other, 1000));
	long long end = 1000 + (60 + (long long)EGRESS_GRACE_S) * 1000;
	cr_expect(dns_memory_resolved(m, 7, &a[0], end - 1));
	cr_expect_not(dns_memory_resolved(m, 7, &a[0], end), "expired");
	/* A shorter answer later does not cut the time short. */
	dns_memory_note_resolved(m, a, 1, 7, 1, 2000);
	cr_expect(dns_memory_resolved(m, 7, &a[0], end - 1));
	free(m);
}

Test(dns_memory, a_full_table_gives_way_to_the_soonest_gone)
{
	struct dns_memory *m = calloc(1, sizeof *m);
	struct cidr first = addr("192.0.2.1");
	dns_memory_note_resolved(m, &first, 1, 1, 10, 0);
	for (unsigned i = 0; i < DNS_RESOLVED_MAX; i++) {
		struct cidr c = addr("10.0.0.0");
		c.addr[2] = (unsigned char)(i >> 8);
		c.addr[3] = (unsigned char)i;
		dns_memory_note_resolved(m, &c, 1, 2, 600, 0);
	}
	cr_expect_not(dns_memory_resolved(m, 1, &first, 0), "the shortest-lived entry made room");
	struct cidr last = addr("10.0.3.255");
	cr_expect(dns_memory_resolved(m, 2, &last, 0));
	free(m);
}

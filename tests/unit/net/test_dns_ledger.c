/* What a job's names were answered and refused, and which refusals it
 * is told of. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "brig/net/dns_ledger.h"

static struct dns_ledger l;

static bool refuse(const char *name, long long now)
{
	struct dns_event e = { .name = name };
	return dns_ledger_refuse(&l, &e, now);
}

Test(dns_ledger, the_first_refusal_of_each_name_is_always_told)
{
	dns_ledger_init(&l, 0);
	/* The first costs nothing of the burst. */
	for (int i = 0; i < DNS_LEDGER_BURST + 1; i++)
		cr_assert(refuse("a.test", 0), "refusal %d of the burst held back", i + 1);
	cr_expect_not(refuse("a.test", 0), "past the burst at once");
	struct dns_event e = { .name = "b.test" };
	cr_assert(dns_ledger_refuse(&l, &e, 0), "a new name's first refusal held back");
	cr_expect(e.first);
	cr_expect_eq(e.count, 1);
	cr_expect_eq(e.suppressed, 1, "the held-back refusal of a.test is told with the next event");
	cr_expect_not(refuse("b.test", 0), "b.test's second refusal passes the exhausted rate");
}

Test(dns_ledger, the_rate_refills_and_counts_what_it_held_back)
{
	dns_ledger_init(&l, 0);
	for (int i = 0; i < DNS_LEDGER_BURST + 5; i++)
		refuse("a.test", 0);
	/* A second later: DNS_LEDGER_RATE more. */
	int told = 0;
	for (int i = 0; i < 2 * DNS_LEDGER_RATE; i++)
		told += refuse("a.test", 1000);
	cr_expect_eq(told, DNS_LEDGER_RATE);
	struct dns_event e = { .name = "a.test" };
	cr_assert(dns_ledger_refuse(&l, &e, 2000));
	cr_expect_not(e.first);
	cr_expect_eq(e.count, DNS_LEDGER_BURST + 5 + 2 * DNS_LEDGER_RATE + 1);
	cr_expect_eq(e.suppressed, DNS_LEDGER_RATE, "held back since the last told one");
}

Test(dns_ledger, names_past_the_table_are_counted_together)
{
	dns_ledger_init(&l, 0);
	char name[32];
	for (int i = 0; i < DNS_NAMES_MAX; i++) {
		snprintf(name, sizeof name, "n%d.test", i);
		cr_assert_eq(dns_ledger_allowed(&l, name), i);
	}
	cr_expect_eq(dns_ledger_allowed(&l, "past.test"), -1);
	cr_expect_eq(dns_ledger_find(&l, "past.test"), -1);
	cr_expect_eq(dns_ledger_find(&l, "n7.test"), 7);
	cr_expect_eq(dns_ledger_allowed(&l, "n7.test"), 7);
	struct dns_event e = { .name = "other.test" };
	cr_assert(dns_ledger_refuse(&l, &e, 0));
	cr_expect_not(e.first, "a name past the table has no first refusal of its own");
	const struct dns_name_count *c;
	size_t n = dns_ledger_counts(&l, &c);
	cr_assert_eq(n, DNS_NAMES_MAX + 1);
	cr_expect_str_eq(c[DNS_NAMES_MAX].name, "");
	cr_expect_eq(c[DNS_NAMES_MAX].allowed, 1);
	cr_expect_eq(c[DNS_NAMES_MAX].denied, 1);
	cr_expect_eq(c[7].allowed, 2);
}

Test(dns_ledger, an_empty_ledger_lists_nothing)
{
	dns_ledger_init(&l, 0);
	const struct dns_name_count *c;
	cr_expect_eq(dns_ledger_counts(&l, &c), 0);
}

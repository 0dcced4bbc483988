/* What a job's names were answered and refused, counted per name for the
 * exited event, and which refusals it is told of: the first of each name
 * always, the rest EVENT_BURST at once and then DNS_LEDGER_RATE a second,
 * with how many were held back. Refusals are the DNS responder's refused
 * questions and the name gate's refused connections. A fixed table, no
 * allocation: DNS_NAMES_MAX names one by one, the rest together. Times are
 * now_ms() values. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "brig/config/net_config.h"

#define DNS_NAMES_MAX 256
#define DNS_LEDGER_BURST 20 /* refusal events let through at once ... */
#define DNS_LEDGER_RATE 10  /* ... and then per second */

/* One refusal, for the supervisor's status event and stderr line. */
struct dns_event {
	const char *name;      /* as asked, lower case, no final dot */
	const char *address;   /* the address that made the answer refused; NULL: the name is not allowed */
	const char *reason;    /* "not allowed", "denied", or the address's kind: "private", "metadata", ... */
	const char *proto;     /* how the job asked: "udp" or "tcp"; for a connection the name gate
				* refused, "tls" or "http" */
	uint16_t port;         /* 53, or the refused connection's port */
	unsigned long count;   /* refusals of this name so far, this one included */
	unsigned long suppressed; /* refusals the rate limit kept from being reported since the last event */
	bool first;            /* the first refusal of this name */
};

/* Per-name counts, for the exited event. */
struct dns_name_count {
	char name[EGRESS_NAME_MAX + 2]; /* "" for every name past DNS_NAMES_MAX */
	unsigned long allowed, denied;
};

struct dns_ledger {
	struct dns_name_count names[DNS_NAMES_MAX + 1]; /* the last: every other name */
	size_t n_names;
	double tokens;
	long long tokens_ms;
	unsigned long suppressed;
};

/* An empty ledger whose rate limit starts full at NOW. */
void dns_ledger_init(struct dns_ledger *l, long long now);
/* Counts an answer let through for NAME; returns the name's index in
 * the table, or -1 for a name past it (counted with the rest). */
int dns_ledger_allowed(struct dns_ledger *l, const char *name);
/* NAME's index in the table, or -1: never counted, or past the table. */
int dns_ledger_find(const struct dns_ledger *l, const char *name);
/* Counts a refusal of E->name and fills E's count, suppressed and first;
 * false when the rate limit holds it back (then it is in the next told
 * event's suppressed). */
bool dns_ledger_refuse(struct dns_ledger *l, struct dns_event *e, long long now);
/* The counts, with the shared entry (name "") last when it counted any. */
size_t dns_ledger_counts(const struct dns_ledger *l, const struct dns_name_count **out);

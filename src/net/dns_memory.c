/* The DNS responder's memory of its answers (brig/net/dns_memory.h). */
#include "brig/net/dns_memory.h"

#include "brig/net/egress.h"

static long long until_ms(uint32_t ttl_s, long long now)
{
	return now + ((long long)ttl_s + EGRESS_GRACE_S) * 1000;
}

bool dns_memory_needs_placing(struct dns_memory *m, const struct cidr *addr, int group, uint32_t ttl_s, long long now)
{
	struct dns_placed *slot = &m->placed[0];
	for (size_t i = 0; i < DNS_PLACED_MAX; i++) {
		struct dns_placed *p = &m->placed[i];
		if (p->expires_ms > now && p->group == group && cidr_same_address(&p->addr, addr)) {
			if (p->expires_ms - now >= ((long long)ttl_s + EGRESS_GRACE_MIN_S) * 1000)
				return false;
			p->expires_ms = until_ms(ttl_s, now);
			return true;
		}
		if (p->expires_ms < slot->expires_ms)
			slot = p; /* the free or soonest-gone slot */
	}
	slot->addr = *addr;
	slot->group = group;
	slot->expires_ms = until_ms(ttl_s, now);
	return true;
}

void dns_memory_forget_placed(struct dns_memory *m, const struct cidr *addrs, size_t n, int group)
{
	for (size_t i = 0; i < DNS_PLACED_MAX; i++)
		for (size_t k = 0; k < n; k++)
			if (m->placed[i].group == group && cidr_same_address(&m->placed[i].addr, &addrs[k]))
				m->placed[i].expires_ms = 0;
}

void dns_memory_note_resolved(struct dns_memory *m, const struct cidr *addrs, size_t n, uint16_t name, uint32_t ttl_s,
			      long long now)
{
	long long until = until_ms(ttl_s, now);
	for (size_t k = 0; k < n; k++) {
		struct dns_resolved *slot = &m->resolved[0];
		bool found = false;
		for (size_t i = 0; i < DNS_RESOLVED_MAX && !found; i++) {
			struct dns_resolved *e = &m->resolved[i];
			if (e->name == name && e->expires_ms > now && cidr_same_address(&e->addr, &addrs[k])) {
				slot = e;
				found = true;
			} else if (e->expires_ms < slot->expires_ms) {
				slot = e; /* the free or soonest-gone slot */
			}
		}
		if (!found || slot->expires_ms < until)
			slot->expires_ms = until;
		slot->addr = addrs[k];
		slot->name = name;
	}
}

bool dns_memory_resolved(const struct dns_memory *m, uint16_t name, const struct cidr *addr, long long now)
{
	for (size_t i = 0; i < DNS_RESOLVED_MAX; i++)
		if (m->resolved[i].expires_ms > now && m->resolved[i].name == name &&
		    cidr_same_address(&m->resolved[i].addr, addr))
			return true;
	return false;
}

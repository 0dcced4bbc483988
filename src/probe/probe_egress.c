/* brig probe --network's egress rows (brig/probe/egress.h): every name's
 * A and AAAA queries go to the job's resolver at once over one UDP socket,
 * then every address found takes a TCP connection attempt, at once too:
 * the whole list costs about one deadline, not one per name. */
#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "brig/lib/util.h"
#include "brig/probe/checks.h"
#include "brig/probe/egress.h"
#include "brig/probe/verdict.h"

const char *const probe_egress_registry_names[] = {
	"deb.debian.org",	"security.debian.org",	  "archive.ubuntu.com",	  "security.ubuntu.com",
	"ports.ubuntu.com",	"registry.npmjs.org",	  "pypi.org",		  "files.pythonhosted.org",
	"crates.io",		"index.crates.io",	  "static.crates.io",	  "proxy.golang.org",
	"sum.golang.org",	"repo.maven.apache.org",  "repo1.maven.org",	  "rubygems.org",
	"index.rubygems.org",	"github.com",		  "codeload.github.com",  "objects.githubusercontent.com",
	"gitlab.com",
};
const size_t probe_egress_registry_count = ARRAY_SIZE(probe_egress_registry_names);

/* Letters, digits, '-' and '.', labels of 1-63, at most 253 in all: what
 * a resolver is asked for, and what an id may hold. */
static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return false;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') ||
		    ++label > 63)
			return false;
	}
	return true;
}

int probe_egress_add(struct probe_egress_list *l, const char *arg, bool outside)
{
	const char *colon = strchr(arg, ':');
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);
	unsigned port = PROBE_EGRESS_PORT;
	if (!name_ok(arg, n))
		return -EINVAL;
	if (colon) {
		char *end;
		errno = 0;
		unsigned long p = strtoul(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || colon[1] < '0' || colon[1] > '9' || p == 0 || p > 65535)
			return -EINVAL;
		port = (unsigned)p;
	}
	if (l->n >= PROBE_EGRESS_MAX)
		return -E2BIG;
	struct probe_egress_name *e = &l->v[l->n++];
	memcpy(e->name, arg, n);
	e->name[n] = '\0';
	e->port = port;
	e->outside = outside;
	char id[sizeof e->id];
	snprintf(id, sizeof id, "network.egress.%s:%u", e->name, port);
	memcpy(e->id, id, sizeof id);
	return 0;
}

void probe_egress_defaults(struct probe_egress_list *l)
{
	l->n = 0;
	for (size_t i = 0; i < probe_egress_registry_count; i++)
		probe_egress_add(l, probe_egress_registry_names[i], false);
	probe_egress_add(l, PROBE_EGRESS_OUTSIDE, true);
}

/* The first nameserver of /etc/resolv.conf, as libc would ask it. */
static int resolver_address(struct sockaddr_storage *ss, socklen_t *len)
{
	ldns_resolver *res = NULL;
	if (ldns_resolver_new_frm_file(&res, NULL) != LDNS_STATUS_OK)
		return -ENOENT;
	int r = -ENOENT;
	if (ldns_resolver_nameserver_count(res) > 0) {
		size_t size = 0;
		struct sockaddr_storage *ns = ldns_rdf2native_sockaddr_storage(ldns_resolver_nameservers(res)[0], 53,
									       &size);
		if (ns && size <= sizeof *ss) {
			memcpy(ss, ns, size);
			*len = (socklen_t)size;
			r = 0;
		}
		free(ns);
	}
	ldns_resolver_deep_free(res);
	return r;
}

/* Query k: name k / 2, A when k is even, AAAA when odd; id base + k. */
struct asked {
	int rcode; /* -1: no answer yet */
	size_t n;
	char addrs[PROBE_EGRESS_ADDRS_MAX][INET6_ADDRSTRLEN];
};

static int send_query(int fd, const char *name, ldns_rr_type type, uint16_t id)
{
	ldns_pkt *q = NULL;
	if (ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN, LDNS_RD) != LDNS_STATUS_OK)
		return -EINVAL;
	ldns_pkt_set_id(q, id);
	uint8_t *wire = NULL;
	size_t len = 0;
	int r = ldns_pkt2wire(&wire, q, &len) == LDNS_STATUS_OK ? 0 : -ENOMEM;
	if (r == 0 && send(fd, wire, len, 0) < 0)
		r = -errno;
	free(wire);
	ldns_pkt_free(q);
	return r;
}

static void take_answer(struct asked *a, size_t nq, uint16_t base, const uint8_t *msg, size_t len)
{
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK)
		return;
	size_t k = (uint16_t)(ldns_pkt_id(p) - base);
	if (ldns_pkt_qr(p) && k < nq && a[k].rcode < 0) {
		a[k].rcode = ldns_pkt_get_rcode(p);
		ldns_rr_list *ans = ldns_pkt_answer(p);
		for (size_t i = 0; ans && i < ldns_rr_list_rr_count(ans) && a[k].n < PROBE_EGRESS_ADDRS_MAX; i++) {
			ldns_rr *rr = ldns_rr_list_rr(ans, i);
			ldns_rdf *d = ldns_rr_rdf(rr, 0);
			int af = ldns_rr_get_type(rr) == LDNS_RR_TYPE_A ? AF_INET :
				 ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA ? AF_INET6 : 0;
			if (af && d && ldns_rdf_size(d) == (af == AF_INET ? 4u : 16u))
				inet_ntop(af, ldns_rdf_data(d), a[k].addrs[a[k].n++], INET6_ADDRSTRLEN);
		}
	}
	ldns_pkt_free(p);
}

/* All queries at once; the unanswered are sent again after half the
 * deadline. Returns 0, or -errno when no resolver could be asked. */
static int resolve_all(const struct probe_egress_list *l, struct asked *a)
{
	size_t nq = 2 * l->n;
	for (size_t k = 0; k < nq; k++)
		a[k].rcode = -1;
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int r = resolver_address(&ss, &sl);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, sl) < 0)
		return -errno;
	uint16_t base = 0;
	if (getrandom(&base, sizeof base, 0) < 0)
		base = (uint16_t)getpid();
	int last_err = 0;
	long long start = now_ms();
	for (int round = 0; round < 2; round++) {
		for (size_t k = 0; k < nq; k++)
			if (a[k].rcode < 0) {
				int e = send_query(fd, l->v[k / 2].name, k % 2 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A,
						   (uint16_t)(base + k));
				last_err = e < 0 ? e : last_err;
			}
		long long until = start + (long long)PROBE_CONNECT_TIMEOUT_MS * (round + 1) / 2;
		for (;;) {
			size_t open = 0;
			for (size_t k = 0; k < nq; k++)
				open += a[k].rcode < 0;
			long long now = now_ms();
			if (!open || now >= until)
				break;
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int ready = poll(&p, 1, (int)(until - now));
			if (ready < 0 && errno != EINTR)
				return -errno;
			uint8_t buf[4096];
			ssize_t got;
			while ((got = recv(fd, buf, sizeof buf, 0)) >= 0)
				take_answer(a, nq, base, buf, (size_t)got);
			/* A resolver that is not there answers with ICMP. */
			if (errno != EAGAIN && errno != EINTR)
				last_err = -errno;
		}
	}
	for (size_t k = 0; k < nq; k++)
		if (a[k].rcode >= 0)
			return 0;
	return last_err < 0 ? last_err : -ETIMEDOUT;
}

void probe_egress_run(const struct probe_egress_list *l, struct probe_report *r)
{
	struct probe_egress_facts f[PROBE_EGRESS_MAX];
	struct asked a[2 * PROBE_EGRESS_MAX];
	struct probe_target t[PROBE_EGRESS_MAX * PROBE_EGRESS_ADDRS_MAX];
	int err[PROBE_EGRESS_MAX * PROBE_EGRESS_ADDRS_MAX];
	size_t nt = 0;
	int resolve_err = resolve_all(l, a);
	for (size_t i = 0; i < l->n; i++) {
		const struct asked *a4 = &a[2 * i], *a6 = &a[2 * i + 1];
		f[i] = (struct probe_egress_facts){ .name = l->v[i].name, .port = l->v[i].port, .outside = l->v[i].outside };
		/* The A answer decides, the AAAA one where A had none. */
		const struct asked *dec = a4->rcode >= 0 ? a4 : a6;
		if (resolve_err < 0 || dec->rcode < 0)
			f[i].resolve_err = resolve_err < 0 ? resolve_err : -ETIMEDOUT;
		f[i].rcode = dec->rcode;
		for (const struct asked *s = a4; s <= a6; s++)
			for (size_t k = 0; s->rcode == 0 && k < s->n && f[i].n_addrs < PROBE_EGRESS_ADDRS_MAX; k++) {
				snprintf(f[i].addrs[f[i].n_addrs], sizeof f[i].addrs[0], "%s", s->addrs[k]);
				snprintf(t[nt].addr, sizeof t[nt].addr, "%s", s->addrs[k]);
				t[nt++].port = l->v[i].port;
				f[i].n_addrs++;
			}
	}
	probe_connect_each(t, nt, err, false);
	nt = 0;
	for (size_t i = 0; i < l->n; i++) {
		for (size_t k = 0; k < f[i].n_addrs; k++)
			f[i].conn_err[k] = err[nt++];
		r[i].id = l->v[i].id;
		r[i].category = "network";
		r[i].severity = l->v[i].outside ? PROBE_MEDIUM : PROBE_LOW;
		probe_rule_egress(&r[i], &f[i]);
	}
}

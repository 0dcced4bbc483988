/* The supervisor's side of egress by name (see brig/run/net_egress.h). */
#include "brig/run/net_egress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "brig/net/egress.h"
#include "brig/net/host_addresses.h"
#include "brig/lib/log.h"

static void on_refused(void *ctx, const struct dns_event *ev)
{
	struct job_egress *e = ctx;
	_cleanup_free_ char *line = status_format_egress_denied(e->id, ev);
	status_write(e->status_fd, line);
	if (!ev->first)
		return;
	if (ev->port != 53)
		log_warn("egress: refused a %s connection to %s port %u naming %s (%s)", ev->proto, ev->address,
			 (unsigned)ev->port, ev->name, ev->reason);
	else
		log_warn("egress: refused %s%s%s (%s)", ev->name, ev->address ? " resolving to " : "",
			 ev->address ? ev->address : "", ev->reason);
}

/* What the name gate asks of a connection's name, in the firewall's order
 * for the packets it would otherwise have passed: a deny rule for the
 * address, a deny rule for the name, then the name with its port and an
 * answer of this job's that led to this address; a CIDR allow rule for
 * the address, or egress-default allow, lets any name through as the
 * firewall would. */
static const char *gate_check(void *ctx, const char *name, const struct cidr *dst, uint16_t port)
{
	struct job_egress *e = ctx;
	const struct net_config *n = e->net;
	for (size_t i = 0; i < n->n_egress; i++)
		if (!n->egress[i].allow && egress_rule_covers(&n->egress[i], dst, port, IPPROTO_TCP))
			return "address denied";
	bool allow;
	int h = egress_decide(n->hosts, n->n_hosts, name, &allow);
	if (h >= 0 && !allow)
		return "denied";
	bool port_ok = h >= 0 && egress_host_allows(n->hosts, n->n_hosts, name, port, IPPROTO_TCP);
	if (port_ok && e->dns && dns_responder_resolved(e->dns, name, dst))
		return NULL;
	for (size_t i = 0; i < n->n_egress; i++)
		if (n->egress[i].allow && egress_rule_covers(&n->egress[i], dst, port, IPPROTO_TCP))
			return NULL;
	if (n->default_allow)
		return NULL;
	return h < 0 ? "not allowed" : !port_ok ? "port not allowed" : "not an address of this name";
}

static void on_gate_refused(void *ctx, const struct gate_event *ev)
{
	struct job_egress *e = ctx;
	if (e->dns)
		dns_responder_refused_conn(e->dns, ev->name, ev->address, ev->port, ev->proto, ev->reason);
}

int job_egress_listen(struct job_egress *e)
{
	if (!e->on)
		return 0;
	e->gj = (struct egress_gate_job){ .check = gate_check, .on_refused = on_gate_refused, .ctx = e,
					  .queue_hint = e->queue_hint };
	return egress_gate_open(&e->gj, &e->gate);
}

int job_egress_plan(struct job_egress *e, const struct brig_config *c, const char *id,
		    const struct net_addrs *a, int status_fd)
{
	*e = (struct job_egress)JOB_EGRESS_INIT;
	e->id = id;
	e->status_fd = status_fd;
	if (c->net.mode != NET_VETH || c->net.n_hosts == 0)
		return 0;
	e->on = true;
	e->groups = calloc(c->net.n_hosts, sizeof *e->groups);
	_cleanup_free_ int *group_of = calloc(c->net.n_hosts, sizeof *group_of);
	if (!e->groups || !group_of)
		return -ENOMEM;
	int n = egress_groups(c->net.hosts, c->net.n_hosts, e->groups, c->net.n_hosts, group_of);
	if (n < 0)
		return n;
	e->n_groups = (size_t)n;
	const struct cidr *gw[2] = { &a->gw4, &a->gw6 };
	for (int i = 0; i < 2; i++)
		if (gw[i]->family) {
			e->listen[e->n_listen] = *gw[i];
			e->listen[e->n_listen++].prefix = gw[i]->family == AF_INET ? 32 : 128;
		}
	FILE *f = open_memstream(&e->resolv_conf, &(size_t){ 0 });
	if (!f)
		return -ENOMEM;
	fputs("# brig: this job's names are answered by brig (egress-allow-host)\n", f);
	for (size_t i = 0; i < e->n_listen; i++) {
		char buf[64];
		format_cidr(&e->listen[i], buf, sizeof buf);
		buf[strcspn(buf, "/")] = '\0';
		fprintf(f, "nameserver %s\n", buf);
	}
	fputs("options edns0\n", f);
	return fclose(f) == 0 ? 0 : -ENOMEM;
}

int job_egress_start(struct job_egress *e, const struct brig_config *c)
{
	if (!e->on)
		return 0;
	int r = host_addresses(&e->own, &e->n_own);
	if (r < 0)
		return r;
	e->dj = (struct dns_responder_job){
		.id = e->id,
		.upstream = c->net.dns,
		.n_upstream = c->net.n_dns,
		.hosts = c->net.hosts,
		.n_hosts = c->net.n_hosts,
		.rules = c->net.egress,
		.n_rules = c->net.n_egress,
		.own = e->own,
		.n_own = e->n_own,
		.on_refused = on_refused,
		.ctx = e,
	};
	for (size_t i = 0; i < e->n_listen; i++)
		e->dj.listen[i] = e->listen[i];
	e->net = &c->net;
	if ((r = dns_responder_open(&e->dj, &e->dns)) < 0)
		return r;
	if ((e->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -errno;
	struct epoll_event dns = { .events = EPOLLIN, .data.u32 = 0 }, gate = { .events = EPOLLIN, .data.u32 = 1 };
	if (epoll_ctl(e->ep, EPOLL_CTL_ADD, dns_responder_fd(e->dns), &dns) < 0 ||
	    (e->gate && epoll_ctl(e->ep, EPOLL_CTL_ADD, egress_gate_fd(e->gate), &gate) < 0))
		return -errno;
	return 0;
}

int job_egress_fd(const struct job_egress *e)
{
	return e->ep;
}

void job_egress_handle(struct job_egress *e)
{
	struct epoll_event ev[2];
	int n = e->ep >= 0 ? epoll_wait(e->ep, ev, 2, 0) : 0;
	for (int i = 0; i < n; i++) {
		int r = ev[i].data.u32 == 0 ? dns_responder_handle(e->dns) : egress_gate_handle(e->gate);
		if (r < 0)
			log_warn("egress: the %s: %s", ev[i].data.u32 == 0 ? "DNS responder" : "name gate",
				 strerror(-r));
	}
}

void job_egress_report(const struct job_egress *e, struct status_exit *x)
{
	if (e->dns)
		x->n_egress_names = dns_responder_counts(e->dns, &x->egress_names);
}

void job_egress_stop(struct job_egress *e)
{
	egress_gate_close(e->gate);
	e->gate = NULL;
	if (e->ep >= 0)
		close(e->ep);
	e->ep = -1;
	dns_responder_close(e->dns);
	e->dns = NULL;
	free(e->groups);
	free(e->resolv_conf);
	free(e->own);
	e->groups = NULL;
	e->resolv_conf = NULL;
	e->own = NULL;
}

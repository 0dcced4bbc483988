/* The supervisor's side of egress by name (see brig/run/net_egress.h). */
#include "brig/run/net_egress.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "brig/net/egress.h"
#include "brig/net/host_addresses.h"
#include "brig/lib/log.h"

static void on_refused(void *ctx, const struct dns_event *ev)
{
	struct job_egress *e = ctx;
	_cleanup_free_ char *line = status_format_egress_denied(e->id, ev);
	status_write(e->status_fd, line);
	if (ev->first)
		log_warn("egress: refused %s%s%s (%s)", ev->name, ev->address ? " resolving to " : "",
			 ev->address ? ev->address : "", ev->reason);
}

int job_egress_plan(struct job_egress *e, const struct brig_config *c, const char *id,
		    const struct net_addrs *a, int status_fd)
{
	*e = (struct job_egress){ .id = id, .status_fd = status_fd };
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
	return dns_responder_open(&e->dj, &e->dns);
}

int job_egress_fd(const struct job_egress *e)
{
	return e->dns ? dns_responder_fd(e->dns) : -1;
}

void job_egress_handle(struct job_egress *e)
{
	if (e->dns) {
		int r = dns_responder_handle(e->dns);
		if (r < 0)
			log_warn("egress: the DNS responder: %s", strerror(-r));
	}
}

void job_egress_report(const struct job_egress *e, struct status_exit *x)
{
	if (e->dns)
		x->n_egress_names = dns_responder_counts(e->dns, &x->egress_names);
}

void job_egress_stop(struct job_egress *e)
{
	dns_responder_close(e->dns);
	e->dns = NULL;
	free(e->groups);
	free(e->resolv_conf);
	free(e->own);
	e->groups = NULL;
	e->resolv_conf = NULL;
	e->own = NULL;
}

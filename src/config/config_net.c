/* Contradictions among the network directives: settings that would be
 * silently ignored are errors instead. */
#include <errno.h>
#include <stdio.h>

#include "brig/config/config.h"
#include "brig/config/dns.h"
#include "brig/lib/err.h"
#include "brig/lib/log.h"

/* egress-default is not among them: `strict` sets it so that a job given
 * `--net veth` starts from deny, while its own network stays none. */
static const char *const veth_only[] = { "net-pool", "net-pool6", "egress-allow", "egress-deny",
					 "egress-allow-host", "egress-deny-host" };

int config_check_net(const struct brig_config *c, struct brig_reporter *rep)
{
	char where[512];
	int bad = 0;
	if (c->net.mode == NET_VETH)
		return 0;
	for (size_t i = 0; i < sizeof veth_only / sizeof veth_only[0] && (!bad || rep->keep_going); i++) {
		const struct brig_origin *o = config_last_origin(c, veth_only[i]);
		if (!o)
			continue;
		config_where(o, veth_only[i], where, sizeof where);
		brig_report(rep, "%s: needs net veth (the job's network is %s)", where, net_mode_name(c->net.mode));
		bad++;
	}
	return bad;
}

int config_finish_net(struct brig_config *c, struct brig_err *e)
{
	char where[512];
	config_where(config_last_origin(c, "net"), "net", where, sizeof where);
	if (c->net.mode == NET_NONE)
		return 0;
	if (c->net.mode == NET_VETH && c->rootless)
		return err_set(e, -EPERM, "%s veth: " NET_VETH_NEEDS_ROOT, where);
	if (c->net.mode == NET_HOST) {
		log_warn("%s host: the job shares the host's network; no firewall stands between it and "
			 "the cloud metadata service, the host's services or other jobs",
			 where);
		/* The host's own file: the job asks what the host asks. */
		c->net.resolv_conf = dns_host_resolv_text();
		return 0;
	}
	dns_host_resolvers(c->net.dns, DNS_MAX_SERVERS, &c->net.n_dns);
	if (c->net.n_dns == 0)
		log_warn("%s veth: the host has no resolver a job can reach; the job gets no DNS", where);
	c->net.resolv_conf = dns_format_resolv(c->net.dns, c->net.n_dns);
	return c->net.resolv_conf ? 0 : -ENOMEM;
}

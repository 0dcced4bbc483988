/* The supervisor's side of egress by name (brig/net/dns_responder.h,
 * brig/net/egress_gate.h): the job's DNS responder and name gate opened on
 * its veth's host end, their descriptors in
 * the supervisor's loop, its refusals as `egress-denied` status events and
 * one stderr line per distinct name, its counts in the `exited` event. */
#pragma once
#include <stdbool.h>

#include "brig/config/config.h"
#include "brig/net/dns_responder.h"
#include "brig/net/egress_gate.h"
#include "brig/net/net_pool.h"
#include "brig/run/status.h"

struct job_egress {
	bool on;                     /* net veth with egress-allow-host or egress-deny-host */
	struct fw_rule *groups;      /* the name groups, for the firewall */
	size_t n_groups;
	struct cidr listen[2];       /* also the job's resolvers, for the firewall */
	size_t n_listen;
	char *resolv_conf;           /* the job's /etc/resolv.conf */
	struct cidr *own;
	size_t n_own;
	struct dns_responder_job dj;
	struct dns_responder *dns;
	struct egress_gate_job gj;
	struct egress_gate *gate;    /* the name gate: TLS and HTTP connections to names' addresses */
	unsigned queue_hint;         /* the gate's queue number to try first: the lease slot */
	const struct net_config *net;
	int ep;                      /* the responder's and the gate's descriptors, for one poll slot */
	const char *id;
	int status_fd;
};

/* Nothing planned: no descriptor (a 0 would have the supervisor's wait
 * poll its standard input). */
#define JOB_EGRESS_INIT { .ep = -1, .status_fd = -1 }

/* Fills E from the config and the job's addresses: whether it is on, the
 * groups, the addresses the responder will listen on. Nothing opened. */
int job_egress_plan(struct job_egress *e, const struct brig_config *c, const char *id,
		    const struct net_addrs *a, int status_fd);
/* Opens the name gate's queue, whose number the firewall's rules need
 * (before the firewall). */
int job_egress_listen(struct job_egress *e);
/* Opens the responder (after the firewall holds the job's sets). */
int job_egress_start(struct job_egress *e, const struct brig_config *c);
/* -1 when there is no responder. */
int job_egress_fd(const struct job_egress *e);
void job_egress_handle(struct job_egress *e);
/* The per-name counts into the exited event. */
void job_egress_report(const struct job_egress *e, struct status_exit *x);
void job_egress_stop(struct job_egress *e);

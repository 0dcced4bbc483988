/* The host's own addresses (getifaddrs), for dns_responder_job.own. */
#pragma once
#include <stddef.h>

#include "brig/config/net_config.h"

/* Every IPv4 and IPv6 address of the host's interfaces, as /32 and /128;
 * *out is malloc'd. */
int host_addresses(struct cidr **out, size_t *n);

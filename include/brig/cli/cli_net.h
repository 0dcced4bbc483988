/* Setters (cli_set_*) and formatters (cli_show_*) of the network options,
 * for the option table: see struct cli_option. */
#pragma once
#include <stddef.h>

#include "brig/config/config.h"

#define CLI_NET_FNS(name)                                                                    \
	int cli_set_##name(struct brig_config *c, const char *a, const char **why);          \
	int cli_show_##name(const struct brig_config *c, size_t i, char **out)

CLI_NET_FNS(net);
CLI_NET_FNS(net_pool);
CLI_NET_FNS(net_pool6);
CLI_NET_FNS(egress_allow);
CLI_NET_FNS(egress_deny);
CLI_NET_FNS(egress_default);
CLI_NET_FNS(egress_allow_host);
CLI_NET_FNS(egress_deny_host);

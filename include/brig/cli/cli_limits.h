/* Setters (cli_set_*) and formatters (cli_show_*) of the resource-limit
 * options, for the option table: see struct cli_option. */
#pragma once
#include <stddef.h>

#include "brig/config/config.h"

#define CLI_LIMIT_FNS(name)                                                                  \
	int cli_set_##name(struct brig_config *c, const char *a, const char **why);          \
	int cli_show_##name(const struct brig_config *c, size_t i, char **out)

CLI_LIMIT_FNS(memory);
CLI_LIMIT_FNS(memory_swap);
CLI_LIMIT_FNS(pids);
CLI_LIMIT_FNS(cpus);
CLI_LIMIT_FNS(cpu_weight);
CLI_LIMIT_FNS(limits);
CLI_LIMIT_FNS(cgroup_parent);
CLI_LIMIT_FNS(io_read_bps);
CLI_LIMIT_FNS(io_write_bps);
CLI_LIMIT_FNS(io_read_iops);
CLI_LIMIT_FNS(io_write_iops);

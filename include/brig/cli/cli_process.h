/* Setters (cli_set_*) and formatters (cli_show_*) of the job process's
 * options (environment, descriptors, status, time limit, terminal), for
 * the option table: see struct cli_option. */
#pragma once
#include <stddef.h>

#include "brig/config/config.h"

#define CLI_PROCESS_FNS(name)                                                                 \
	int cli_set_##name(struct brig_config *c, const char *a, const char **why);          \
	int cli_show_##name(const struct brig_config *c, size_t i, char **out)

CLI_PROCESS_FNS(pass_fd);
CLI_PROCESS_FNS(status_fd);
CLI_PROCESS_FNS(status_file);
CLI_PROCESS_FNS(env);
CLI_PROCESS_FNS(env_pass);
CLI_PROCESS_FNS(timeout);
CLI_PROCESS_FNS(pty);

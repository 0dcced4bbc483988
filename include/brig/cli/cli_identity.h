/* Setters (cli_set_*) and formatters (cli_show_*) of the identity and
 * privilege options, for the option table: see struct cli_option. */
#pragma once
#include <stddef.h>

#include "brig/config/config.h"

#define CLI_IDENTITY_FNS(name)                                                                 \
	int cli_set_##name(struct brig_config *c, const char *a, const char **why);          \
	int cli_show_##name(const struct brig_config *c, size_t i, char **out)

CLI_IDENTITY_FNS(uid_range);
CLI_IDENTITY_FNS(user);
CLI_IDENTITY_FNS(user_limit);
CLI_IDENTITY_FNS(cap_add);
CLI_IDENTITY_FNS(caps);

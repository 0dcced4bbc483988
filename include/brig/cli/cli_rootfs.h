/* Setters (cli_set_*) and formatters (cli_show_*) of the root file system
 * and cache options, for the option table: see struct cli_option. */
#pragma once
#include <stddef.h>

#include "brig/config/config.h"

#define CLI_ROOTFS_FNS(name)                                                                 \
	int cli_set_##name(struct brig_config *c, const char *a, const char **why);          \
	int cli_show_##name(const struct brig_config *c, size_t i, char **out)

CLI_ROOTFS_FNS(rootfs_mode);
CLI_ROOTFS_FNS(overlay_size);
CLI_ROOTFS_FNS(overlay_dir);
CLI_ROOTFS_FNS(overlay_upper);
CLI_ROOTFS_FNS(cache);
CLI_ROOTFS_FNS(cache_dir);

/* A cache KEY as one file name: bytes outside [A-Za-z0-9_.-], a leading
 * '.', and '%' itself become %XX, so distinct keys never share a
 * directory and none can name "..", a hidden file or a path. malloc'ed;
 * -EINVAL for an empty or over-long key. Pure, for tests. */
int cli_cache_dir_name(const char *key, char **out);

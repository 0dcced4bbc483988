/* The job's generated /etc: what programs need, never the host's secrets. */
#pragma once
#include "brig/config/config.h"

/* Host /etc entries that are safe to show a job, bound read-only. */
extern const char *const etc_host_entries[];

/* Package managers' configuration, shown under an overlay only, and the
 * credential files inside it that stay hidden (an empty file or directory
 * is mounted over them). */
extern const char *const etc_package_entries[];
extern const char *const etc_package_secrets[];

/* Writes the generated files into dir (the new root's /etc). */
int etc_generate(int dirfd, const struct brig_config *c, const char *hostname);
/* Replaces resolv.conf in DIRFD with TEXT. */
int etc_write_resolv(int dirfd, const char *text);

/* The passwd and group lines for the job, into buf; pure, for tests. */
int etc_format_passwd(char *buf, size_t len, const struct brig_config *c);
int etc_format_group(char *buf, size_t len, const struct brig_config *c);
const char *etc_home(const struct brig_config *c);

/* Appends the system accounts (ids 1..999) of the passwd or group file
 * src_fd to the generated file name in dirfd. */
int etc_add_system_accounts(int dirfd, const char *name, int src_fd);

/* The job's process: its environment, the descriptors it keeps, where
 * status events go, its time limit and terminal. Setters and formatters
 * for the option table (cli_options.c). */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brig/cli/cli_process.h"
#include "brig/cli/cli_table.h"
#include "brig/lib/util.h"

static int parse_fd(const char *a, int *fd)
{
	uint64_t v;
	if (parse_u64(a, &v) < 0 || v > 1 << 20)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

int cli_set_pass_fd(struct brig_config *c, const char *a, const char **why)
{
	int fd;
	*why = "expected a file descriptor number of 3 or more";
	if (parse_fd(a, &fd) < 0 || fd < 3)
		return -EINVAL;
	return cli_push(&c->pass_fds, &c->n_pass_fds, sizeof fd, &fd);
}

int cli_set_status_fd(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected a file descriptor number";
	return parse_fd(a, &c->status_fd);
}

int cli_set_status_file(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected a file name";
	if (!*a)
		return -EINVAL;
	char *p = strdup(a);
	if (!p)
		return -ENOMEM;
	free(c->status_file);
	c->status_file = p;
	return 0;
}

static bool valid_env_name(const char *s, size_t len, bool allow_star)
{
	if (len == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (allow_star && i == len - 1 && s[i] == '*')
			return true;
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	}
	return true;
}

static int push_strdup(char ***arr, size_t *n, const char *s)
{
	char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	int r = cli_push(arr, n, sizeof copy, &copy);
	if (r < 0)
		free(copy);
	return r;
}

int cli_set_env(struct brig_config *c, const char *a, const char **why)
{
	const char *eq = strchr(a, '=');
	*why = "expected NAME=VALUE";
	if (!eq || !valid_env_name(a, (size_t)(eq - a), false))
		return -EINVAL;
	return push_strdup(&c->env_set, &c->n_env_set, a);
}

int cli_set_env_pass(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected a variable NAME or a PREFIX_* pattern, either one after ! to refuse it";
	const char *name = a[0] == '!' ? a + 1 : a;
	if (!valid_env_name(name, strlen(name), true))
		return -EINVAL;
	return push_strdup(&c->env_pass, &c->n_env_pass, a);
}

/* Bounded so that every consumer (timers, signed JSON integers) can hold it. */
int cli_set_timeout(struct brig_config *c, const char *a, const char **why)
{
	uint64_t ms;
	*why = "expected a duration such as 90s, 500ms, 10m or 2h";
	if (parse_duration(a, &ms) < 0 || ms == 0 || ms > INT64_MAX)
		return -EINVAL;
	c->timeout_ms = ms;
	return 0;
}

int cli_show_timeout(const struct brig_config *c, size_t i, char **out)
{
	static const char *const suffix[] = { "h", "m", "s", "ms" };
	static const uint64_t unit[] = { 3600000, 60000, 1000, 1 };
	(void)i;
	*out = NULL;
	return c->timeout_ms ? cli_show_exact(c->timeout_ms, suffix, unit, ARRAY_SIZE(unit), out) : 0;
}

int cli_show_pass_fd(const struct brig_config *c, size_t i, char **out)
{
	*out = NULL;
	return i < c->n_pass_fds ? cli_out_fmt(out, "%d", c->pass_fds[i]) : 0;
}

int cli_show_status_fd(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	return c->status_fd >= 0 ? cli_out_fmt(out, "%d", c->status_fd) : 0;
}

int cli_show_status_file(const struct brig_config *c, size_t i, char **out) { (void)i; return cli_out_str(c->status_file, out); }

int cli_show_env(const struct brig_config *c, size_t i, char **out)
{
	*out = NULL;
	return i < c->n_env_set ? cli_out_str(c->env_set[i], out) : 0;
}

int cli_show_env_pass(const struct brig_config *c, size_t i, char **out)
{
	*out = NULL;
	return i < c->n_env_pass ? cli_out_str(c->env_pass[i], out) : 0;
}

/* The `pty` option (enum pty_mode in brig/config/config.h). */
static const char *const pty_mode_names[] = { [PTY_AUTO] = "auto", [PTY_ALWAYS] = "always", [PTY_NEVER] = "never" };

int cli_set_pty(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected auto, always or never";
	for (size_t i = 0; i < ARRAY_SIZE(pty_mode_names); i++)
		if (strcmp(a, pty_mode_names[i]) == 0) {
			c->pty = (enum pty_mode)i;
			c->pty_set = true;
			return 0;
		}
	return -EINVAL;
}

int cli_show_pty(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	if (!c->pty_set)
		return 0;
	*out = strdup(pty_mode_names[c->pty]);
	return *out ? 0 : -ENOMEM;
}

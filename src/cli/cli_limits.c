/* The setters and formatters of the resource-limit options (cgroup v2),
 * for the option table in cli.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brig/cli/cli_limits.h"
#include "brig/lib/util.h"

#define MAX_CPUS 4096

static int out_str(char **out, const char *fmt, unsigned long long v)
{
	return asprintf(out, fmt, v) < 0 ? -ENOMEM : 0;
}

int cli_set_memory(struct brig_config *c, const char *a, const char **why)
{
	uint64_t v;
	*why = "expected a size of at least 1M, such as 512M or 4G";
	if (parse_size(a, &v) < 0 || v < (1u << 20))
		return -EINVAL;
	c->limits.memory = v;
	return 0;
}

int cli_show_memory(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	return c->limits.memory ? out_str(out, "%llu", (unsigned long long)c->limits.memory) : 0;
}

int cli_set_memory_swap(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected a size such as 0 or 1G";
	if (parse_size(a, &c->limits.memory_swap) < 0)
		return -EINVAL;
	c->limits.memory_swap_set = true;
	return 0;
}

int cli_show_memory_swap(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	return c->limits.memory_swap_set ? out_str(out, "%llu", (unsigned long long)c->limits.memory_swap) : 0;
}

int cli_set_pids(struct brig_config *c, const char *a, const char **why)
{
	uint64_t v;
	/* brig's init and the job itself are two. */
	*why = "expected a number of processes, at least 2";
	if (parse_u64(a, &v) < 0 || v < 2 || v > (1u << 22))
		return -EINVAL;
	c->limits.pids = v;
	return 0;
}

int cli_show_pids(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	return c->limits.pids ? out_str(out, "%llu", (unsigned long long)c->limits.pids) : 0;
}

/* "1", "0.5", "2.25": up to two decimals, since cpu.max's quota is kept
 * per 100 ms period and the kernel's floor is 1 ms. */
int cli_set_cpus(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected a number of CPUs from 0.01, such as 0.5 or 2";
	size_t whole = strspn(a, "0123456789");
	uint64_t units = 0, frac = 0;
	if (whole == 0 || whole > 4)
		return -EINVAL;
	for (size_t i = 0; i < whole; i++)
		units = units * 10 + (uint64_t)(a[i] - '0');
	const char *rest = a + whole;
	if (*rest == '.') {
		size_t digits = strspn(rest + 1, "0123456789");
		if (digits == 0 || digits > 2 || rest[1 + digits] != '\0')
			return -EINVAL;
		frac = (uint64_t)(rest[1] - '0') * 10 + (digits == 2 ? (uint64_t)(rest[2] - '0') : 0);
	} else if (*rest) {
		return -EINVAL;
	}
	uint64_t hundredths = units * 100 + frac;
	if (hundredths == 0 || hundredths > MAX_CPUS * 100)
		return -EINVAL;
	c->limits.cpu_quota_us = hundredths * (CGROUP_CPU_PERIOD_US / 100);
	return 0;
}

int cli_show_cpus(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	uint64_t h = c->limits.cpu_quota_us / (CGROUP_CPU_PERIOD_US / 100);
	if (!h)
		return 0;
	return asprintf(out, "%llu.%02llu", (unsigned long long)(h / 100), (unsigned long long)(h % 100)) < 0 ? -ENOMEM
													       : 0;
}

int cli_set_cpu_weight(struct brig_config *c, const char *a, const char **why)
{
	uint64_t v;
	*why = "expected a weight from 1 to 10000 (100 is the kernel's default)";
	if (parse_u64(a, &v) < 0 || v < 1 || v > 10000)
		return -EINVAL;
	c->limits.cpu_weight = (uint32_t)v;
	return 0;
}

int cli_show_cpu_weight(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	return c->limits.cpu_weight ? out_str(out, "%llu", c->limits.cpu_weight) : 0;
}

int cli_set_limits(struct brig_config *c, const char *a, const char **why)
{
	*why = "expected best-effort or required";
	if (strcmp(a, "best-effort") == 0)
		c->limits.best_effort = true;
	else if (strcmp(a, "required") == 0)
		c->limits.best_effort = false;
	else
		return -EINVAL;
	c->limits.best_effort_set = true;
	return 0;
}

int cli_show_limits(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = NULL;
	if (!c->limits.best_effort_set)
		return 0;
	*out = strdup(c->limits.best_effort ? "best-effort" : "required");
	return *out ? 0 : -ENOMEM;
}

int cli_set_cgroup_parent(struct brig_config *c, const char *a, const char **why)
{
	char *p = NULL;
	*why = "expected an absolute path in the cgroup v2 tree";
	int r = path_normalise(a, &p);
	if (r < 0)
		return r;
	free(c->limits.parent);
	c->limits.parent = p;
	return 0;
}

int cli_show_cgroup_parent(const struct brig_config *c, size_t i, char **out)
{
	(void)i;
	*out = c->limits.parent ? strdup(c->limits.parent) : NULL;
	return c->limits.parent && !*out ? -ENOMEM : 0;
}

/* ---- io-read-bps DEV RATE and friends ---- */

enum io_key { IO_RBPS, IO_WBPS, IO_RIOPS, IO_WIOPS };

static uint64_t *io_field(struct cgroup_io_limit *io, enum io_key k)
{
	switch (k) {
	case IO_RBPS:
		return &io->rbps;
	case IO_WBPS:
		return &io->wbps;
	case IO_RIOPS:
		return &io->riops;
	case IO_WIOPS:
		return &io->wiops;
	}
	return NULL;
}

/* DEV is MAJ:MIN or an absolute path to a block device (resolved when the
 * job starts); then a blank or '=' and the value. One element per
 * directive: io.max takes one key at a time and keeps the others. */
static int set_io(struct brig_config *c, const char *a, enum io_key k, const char **why)
{
	bool bytes = k == IO_RBPS || k == IO_WBPS;
	*why = bytes ? "expected DEV RATE: a block device path or MAJ:MIN, then bytes per second such as 10M"
		     : "expected DEV IOPS: a block device path or MAJ:MIN, then operations per second";
	size_t dev_len = strcspn(a, " \t=");
	const char *val = a + dev_len;
	if (dev_len == 0 || !*val)
		return -EINVAL;
	while (*val == ' ' || *val == '\t' || *val == '=')
		val++;
	uint64_t v;
	if ((bytes ? parse_size(val, &v) : parse_u64(val, &v)) < 0 || v == 0)
		return -EINVAL;
	_cleanup_free_ char *dev = strndup(a, dev_len);
	if (!dev)
		return -ENOMEM;
	unsigned maj, min;
	char tail;
	bool numeric = isdigit((unsigned char)dev[0]);
	if (numeric && sscanf(dev, "%u:%u%c", &maj, &min, &tail) != 2)
		return -EINVAL;
	if (!numeric && dev[0] != '/')
		return -EINVAL;
	struct cgroup_limits *l = &c->limits;
	struct cgroup_io_limit *grown = realloc(l->io, (l->n_io + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	l->io = grown;
	l->io[l->n_io] = (struct cgroup_io_limit){ .dev = TAKE_PTR(dev), .major = numeric ? maj : 0,
						   .minor = numeric ? min : 0 };
	*io_field(&l->io[l->n_io], k) = v;
	l->n_io++;
	return 0;
}

static int show_io(const struct brig_config *c, size_t i, enum io_key k, char **out)
{
	*out = NULL;
	if (i >= c->limits.n_io)
		return 0;
	struct cgroup_io_limit *io = &c->limits.io[i];
	uint64_t v = *io_field(io, k);
	if (!v)
		return 0;
	return asprintf(out, "%s %llu", io->dev, (unsigned long long)v) < 0 ? -ENOMEM : 0;
}

int cli_set_io_read_bps(struct brig_config *c, const char *a, const char **why) { return set_io(c, a, IO_RBPS, why); }
int cli_set_io_write_bps(struct brig_config *c, const char *a, const char **why) { return set_io(c, a, IO_WBPS, why); }
int cli_set_io_read_iops(struct brig_config *c, const char *a, const char **why) { return set_io(c, a, IO_RIOPS, why); }
int cli_set_io_write_iops(struct brig_config *c, const char *a, const char **why) { return set_io(c, a, IO_WIOPS, why); }
int cli_show_io_read_bps(const struct brig_config *c, size_t i, char **out) { return show_io(c, i, IO_RBPS, out); }
int cli_show_io_write_bps(const struct brig_config *c, size_t i, char **out) { return show_io(c, i, IO_WBPS, out); }
int cli_show_io_read_iops(const struct brig_config *c, size_t i, char **out) { return show_io(c, i, IO_RIOPS, out); }
int cli_show_io_write_iops(const struct brig_config *c, size_t i, char **out) { return show_io(c, i, IO_WIOPS, out); }

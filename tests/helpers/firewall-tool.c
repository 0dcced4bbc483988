/* firewall-tool: drives brig's firewall module (src/net/firewall.c) directly,
 * for the integration tests, which run it inside a network namespace of
 * their own so that the host's ruleset is never touched.
 *
 *   firewall-tool add ID IFNAME ADDR4|- ADDR6|- [OPTION...]
 *       pool4=CIDR pool6=CIDR dns=ADDR (repeatable) default=deny
 *       allow=CIDR[,LO[-HI]][,tcp|udp]  deny=...   (repeatable, in order)
 *       group=0.0.0.0/0[,LO[-HI]][,tcp|udp]  a name group (repeatable)
 *   firewall-tool allow-addrs ID GROUP TIMEOUT_MS ADDR...   the responder's call
 *   firewall-tool remove ID
 *   firewall-tool counters ID    prints "spoof=N metadata=N host=N private=N policy=N"
 *   firewall-tool list           prints one job id per line
 *   firewall-tool bench N        adds and removes N jobs one after the
 *                                other; prints the median times in µs
 * Exit status 0, or 1 with one line on stderr. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "brig/net/firewall.h"

#define MAX_ITEMS 64

static int fail(const char *what, int err)
{
	fprintf(stderr, "firewall-tool: %s: %s\n", what, strerror(-err));
	return 1;
}

static int parse_rule(char *s, struct fw_rule *r, bool allow)
{
	memset(r, 0, sizeof *r);
	r->allow = allow;
	char *ports = strchr(s, ',');
	if (ports)
		*ports++ = 0;
	int ret = parse_cidr(s, &r->dst);
	if (ret < 0)
		return ret;
	while (ports && *ports) {
		char *next = strchr(ports, ',');
		if (next)
			*next++ = 0;
		if (strcmp(ports, "tcp") == 0)
			r->proto = IPPROTO_TCP;
		else if (strcmp(ports, "udp") == 0)
			r->proto = IPPROTO_UDP;
		else {
			unsigned lo, hi;
			int n = sscanf(ports, "%u-%u", &lo, &hi);
			if (n < 1 || lo > 65535 || (n == 2 && (hi > 65535 || hi < lo)))
				return -EINVAL;
			r->port_lo = (uint16_t)lo;
			r->port_hi = (uint16_t)(n == 2 ? hi : lo);
		}
		ports = next;
	}
	return 0;
}

static struct fw_rule groups[MAX_ITEMS];

static int parse_job(int argc, char **argv, struct fw_job *j, struct cidr *dns, struct fw_rule *rules)
{
	if (argc < 4)
		return -EINVAL;
	memset(j, 0, sizeof *j);
	j->id = argv[0];
	j->ifname = argv[1];
	j->default_allow = true;
	j->dns = dns;
	j->rules = rules;
	int ret;
	if (strcmp(argv[2], "-") && (ret = parse_cidr(argv[2], &j->addr4)) < 0)
		return ret;
	if (strcmp(argv[3], "-") && (ret = parse_cidr(argv[3], &j->addr6)) < 0)
		return ret;
	for (int i = 4; i < argc; i++) {
		char *a = argv[i];
		if (strncmp(a, "pool4=", 6) == 0)
			ret = parse_cidr(a + 6, &j->pool4);
		else if (strncmp(a, "pool6=", 6) == 0)
			ret = parse_cidr(a + 6, &j->pool6);
		else if (strncmp(a, "dns=", 4) == 0 && j->n_dns < MAX_ITEMS)
			ret = parse_cidr(a + 4, &dns[j->n_dns++]);
		else if (strcmp(a, "default=deny") == 0)
			j->default_allow = false, ret = 0;
		else if (strncmp(a, "allow=", 6) == 0 && j->n_rules < MAX_ITEMS)
			ret = parse_rule(a + 6, &rules[j->n_rules++], true);
		else if (strncmp(a, "deny=", 5) == 0 && j->n_rules < MAX_ITEMS)
			ret = parse_rule(a + 5, &rules[j->n_rules++], false);
		else if (strncmp(a, "group=", 6) == 0 && j->n_name_groups < MAX_ITEMS) {
			j->name_groups = groups;
			ret = parse_rule(a + 6, &groups[j->n_name_groups++], true);
		}
		else
			ret = -EINVAL;
		if (ret < 0)
			return ret;
	}
	return 0;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int bench(int n)
{
	double *add = calloc((size_t)n, sizeof *add), *rem = calloc((size_t)n, sizeof *rem);
	if (!add || !rem)
		return fail("bench", -ENOMEM);
	struct cidr dns;
	parse_cidr("192.0.2.53", &dns);
	for (int i = 0; i < n; i++) {
		char id[32], ifname[16], a4[32], a6[48];
		snprintf(id, sizeof id, "bench%d", i);
		snprintf(ifname, sizeof ifname, "brig-b%d", i % 100000);
		snprintf(a4, sizeof a4, "10.250.%d.%d", i / 250, i % 250 + 2);
		snprintf(a6, sizeof a6, "fd42::%x", i + 2);
		struct fw_job j = { .id = id, .ifname = ifname, .dns = &dns, .n_dns = 1, .default_allow = true };
		parse_cidr(a4, &j.addr4);
		parse_cidr(a6, &j.addr6);
		parse_cidr("10.250.0.0/16", &j.pool4);
		parse_cidr("fd42::/64", &j.pool6);
		double t0 = now_us();
		int ret = firewall_job_add(&j);
		double t1 = now_us();
		if (ret < 0)
			return fail("bench add", ret);
		ret = firewall_job_remove(id);
		double t2 = now_us();
		if (ret < 0)
			return fail("bench remove", ret);
		add[i] = t1 - t0;
		rem[i] = t2 - t1;
	}
	qsort(add, (size_t)n, sizeof *add, cmp_double);
	qsort(rem, (size_t)n, sizeof *rem, cmp_double);
	printf("add_median_us=%.0f remove_median_us=%.0f add_max_us=%.0f remove_max_us=%.0f\n", add[n / 2],
	       rem[n / 2], add[n - 1], rem[n - 1]);
	free(add);
	free(rem);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return fail("usage", -EINVAL);
	const char *cmd = argv[1];
	int ret;
	if (strcmp(cmd, "add") == 0) {
		static struct cidr dns[MAX_ITEMS];
		static struct fw_rule rules[MAX_ITEMS];
		struct fw_job j;
		if ((ret = parse_job(argc - 2, argv + 2, &j, dns, rules)) < 0)
			return fail("add: arguments", ret);
		if ((ret = firewall_job_add(&j)) < 0)
			return fail("add", ret);
		return 0;
	}
	if (strcmp(cmd, "allow-addrs") == 0 && argc >= 5) {
		static struct cidr addrs[MAX_ITEMS];
		size_t n = 0;
		for (int i = 5; i < argc && n < MAX_ITEMS; i++)
			if ((ret = parse_cidr(argv[i], &addrs[n++])) < 0)
				return fail("allow-addrs: arguments", ret);
		if ((ret = firewall_job_allow_addrs(argv[2], (unsigned)atoi(argv[3]), addrs, n,
						    strtoull(argv[4], NULL, 10))) < 0)
			return fail("allow-addrs", ret);
		return 0;
	}
	if (strcmp(cmd, "remove") == 0 && argc == 3) {
		if ((ret = firewall_job_remove(argv[2])) < 0)
			return fail("remove", ret);
		return 0;
	}
	if (strcmp(cmd, "counters") == 0 && argc == 3) {
		struct fw_counters c;
		if ((ret = firewall_job_counters(argv[2], &c)) < 0)
			return fail("counters", ret);
		printf("spoof=%llu metadata=%llu host=%llu private=%llu policy=%llu\n", (unsigned long long)c.spoof,
		       (unsigned long long)c.metadata, (unsigned long long)c.host,
		       (unsigned long long)c.private_ranges, (unsigned long long)c.policy);
		return 0;
	}
	if (strcmp(cmd, "list") == 0 && argc == 2) {
		char **ids;
		size_t n;
		if ((ret = firewall_list_jobs(&ids, &n)) < 0)
			return fail("list", ret);
		for (size_t i = 0; i < n; i++) {
			printf("%s\n", ids[i]);
			free(ids[i]);
		}
		free(ids);
		return 0;
	}
	if (strcmp(cmd, "bench") == 0 && argc == 3)
		return bench(atoi(argv[2]) > 0 ? atoi(argv[2]) : 1);
	return fail("usage", -EINVAL);
}

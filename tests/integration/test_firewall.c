/* The veth jobs' firewall (src/net/firewall.c), driven through the
 * firewall-tool helper inside network namespaces these tests create: the
 * host's own ruleset is never read or touched, and no packet leaves the
 * namespaces.
 *
 * The lab: "h" plays the host (brig's table lives there), "j" the job
 * behind the veth brig-j1, "c" the cloud behind h's only uplink, serving
 * HTTP on a fake metadata address (169.254.169.254, fd00:ec2::254) and on
 * "internet" documentation addresses (198.51.100.10/.11, 2001:db8::10).
 * h serves HTTP too, on every address: the job must reach none of them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* gcc 12 takes the strings sh() hands back through a char ** for pointers
 * to the caller's variable once it inlines; they are heap copies. */
#pragma GCC diagnostic ignored "-Wdangling-pointer"

BRIG_SUITE(firewall);

static char ns_prefix[64];
static char *www;

/* Runs a shell script (printf-style) with H, J, C naming the namespaces
 * and FW the helper; returns the exit status, stdout in *out if wanted. */
__attribute__((format(printf, 2, 3))) static int sh(char **out, const char *fmt, ...)
{
	char *script;
	va_list ap;
	va_start(ap, fmt);
	cr_assert_geq(vasprintf(&script, fmt, ap), 0);
	va_end(ap);
	FILE *p = popen(script, "r");
	cr_assert(p, "popen");
	struct buf b = { 0 };
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0) {
		if (b.len + n + 1 > b.cap) {
			b.cap = 2 * (b.len + n + 1);
			b.data = realloc(b.data, b.cap);
			cr_assert(b.data);
		}
		memcpy(b.data + b.len, chunk, n);
		b.len += n;
		b.data[b.len] = 0;
	}
	int st = pclose(p);
	free(script);
	if (out)
		*out = b.data ? b.data : strdup("");
	else
		free(b.data);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void need_tools(void)
{
	harness_need_root("creates network namespaces and nftables rules");
	const char *lab = getenv("BRIG_NET_LAB");
	if (lab && strcmp(lab, "0") == 0)
		harness_not_on_this_host("the network lab is not part of this run (BRIG_NET_LAB=0)");
	const char *helpers = getenv("BRIG_HELPERS");
	char fw[4096];
	snprintf(fw, sizeof fw, "%s/firewall-tool", helpers ? helpers : ".");
	if (access(fw, X_OK) != 0)
		harness_unavailable("%s is not built", fw);
	if (sh(NULL, "command -v ip && command -v nft && command -v curl && command -v busybox") != 0)
		harness_unavailable("ip, nft, curl and busybox are needed (iproute2, nftables, curl, busybox-static)");
	snprintf(ns_prefix, sizeof ns_prefix, "brigfw%d", (int)getpid());
	setenv("FW", fw, 1);
	char v[96];
	snprintf(v, sizeof v, "%s-h", ns_prefix);
	setenv("H", v, 1);
	snprintf(v, sizeof v, "%s-j", ns_prefix);
	setenv("J", v, 1);
	snprintf(v, sizeof v, "%s-c", ns_prefix);
	setenv("C", v, 1);
}

static void lab_down(void)
{
	if (ns_prefix[0])
		sh(NULL, "for n in $H $J $C; do ip netns pids $n 2>/dev/null | xargs -r kill -9; "
			 "ip netns del $n 2>/dev/null; done; true");
}

/* Only the host namespace: for the ruleset itself. */
static void host_up(void)
{
	need_tools();
	cr_assert_eq(sh(NULL, "ip netns add $H && ip -n $H link set lo up"), 0, "cannot create a netns");
}

static void lab_up(void)
{
	host_up();
	www = tmpdir_make("fw-www");
	free(file_write(www, "index.html", "hello\n", 0644));
	setenv("WWW", www, 1);
	int rc = sh(NULL,
		    "set -e; exec >&2\n"
		    "for n in $J $C; do ip netns add $n; ip -n $n link set lo up; done\n"
		    "ip -n $H link add brig-j1 type veth peer name eth0 netns $J\n"
		    "ip -n $H link add up0 type veth peer name up0 netns $C\n"
		    "ip -n $H addr add 10.77.0.1/24 dev brig-j1; ip -n $H addr add fd77::1/64 dev brig-j1 nodad\n"
		    "ip -n $J addr add 10.77.0.2/24 dev eth0; ip -n $J addr add fd77::2/64 dev eth0 nodad\n"
		    "ip -n $J addr add 10.77.0.99/24 dev eth0\n"
		    "ip -n $H addr add 192.0.2.1/24 dev up0; ip -n $H addr add 2001:db8:1::1/64 dev up0 nodad\n"
		    "ip -n $C addr add 192.0.2.2/24 dev up0; ip -n $C addr add 2001:db8:1::2/64 dev up0 nodad\n"
		    "for a in 169.254.169.254/32 198.51.100.10/32 198.51.100.11/32 2001:db8::10/128 "
		    "fd00:ec2::254/128; do ip -n $C addr add $a dev lo; done\n"
		    "ip -n $H link set up0 up; ip -n $C link set up0 up\n"
		    "ip -n $H link set brig-j1 up; ip -n $J link set eth0 up\n"
		    "ip -n $J route add default via 10.77.0.1; ip -n $J -6 route add default via fd77::1\n"
		    "ip -n $H route add default via 192.0.2.2; ip -n $H -6 route add default via 2001:db8:1::2\n"
		    "ip netns exec $H sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1\n"
		    "ip netns exec $C busybox httpd -p 80 -h $WWW\n"
		    "ip netns exec $H busybox httpd -p 80 -h $WWW\n");
	cr_assert_eq(rc, 0, "cannot build the lab");
}

/* HTTP status of a GET from the job ("000": no answer), and the time it
 * took in milliseconds. */
static int job_get(const char *extra, const char *url, double limit_s, long *ms)
{
	char *out = NULL;
	sh(&out, "ip netns exec $J curl -s -o /dev/null -w '%%{http_code} %%{time_total}' -m %g %s '%s'", limit_s,
	   extra, url);
	int code = -1;
	double t = -1;
	sscanf(out, "%d %lf", &code, &t);
	free(out);
	if (ms)
		*ms = (long)(t * 1000);
	return code;
}

/* The packets counted in the job's counter of class CLS. */
static long counter(const char *id, const char *cls)
{
	char *out = NULL;
	cr_assert_eq(sh(&out, "ip netns exec $H $FW counters %s", id), 0, "counters of %s", id);
	char key[64];
	snprintf(key, sizeof key, "%s=", cls);
	const char *p = strstr(out, key);
	long v = p ? strtol(p + strlen(key), NULL, 10) : -1;
	free(out);
	return v;
}

static char *table(void)
{
	char *out = NULL;
	sh(&out, "ip netns exec $H nft list table inet brig 2>&1");
	return out;
}

/* Line number in text of the first line containing needle, or -1. */
static int line_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	if (!p)
		return -1;
	int n = 0;
	for (const char *q = text; q < p; q++)
		n += *q == '\n';
	return n;
}

Test(firewall, ruleset_reads_as_intended, .init = host_up, .fini = lab_down)
{
	cr_assert_eq(sh(NULL, "ip netns exec $H $FW add j1 brig-j1 10.77.0.2 fd77::2 pool4=10.77.0.0/16 "
			      "pool6=fd77::/64 dns=10.1.2.3 allow=10.5.0.0/16,443,tcp deny=198.51.100.0/24 "
			      "allow=0.0.0.0/0,1000-2000 default=deny"),
		     0);
	char *t = table();
	const char *expect[] = {
		"iifname vmap @job_forward",
		"oifname \"brig-*\" ct state established,related accept",
		"iifname vmap @job_input",
		"ip saddr @masq4 oifname != \"brig-*\" masquerade",
		"ip6 saddr @masq6 oifname != \"brig-*\" masquerade",
		"\"brig-j1\" comment \"j1\" : jump job-j1",
		"\"brig-j1\" comment \"j1\" : jump jobin-j1",
		"ip saddr != 10.77.0.2 counter name \"j1-spoof\" drop",
		"ip6 saddr != fd77::2 counter name \"j1-spoof\" drop",
		"ip daddr 169.254.0.0/16 counter name \"j1-metadata\" goto refuse",
		"ip6 daddr 64:ff9b::a9fe:0/112 counter name \"j1-metadata\" goto refuse",
		"ip6 daddr fd00:ec2::/32 counter name \"j1-metadata\" goto refuse",
		"ip daddr 168.63.129.16 counter name \"j1-metadata\" goto refuse",
		"ip daddr 10.77.0.0/16 counter name \"j1-host\" goto refuse",
		"ip daddr 10.1.2.3 udp dport 53 accept",
		"ip daddr 10.1.2.3 tcp dport 53 accept",
		"ip daddr 198.51.100.0/24 counter name \"j1-policy\" goto refuse",
		"ip daddr 10.5.0.0/16 tcp dport 443 accept",
		"ip daddr 172.16.0.0/12 counter name \"j1-private\" goto refuse",
		"ip6 daddr fc00::/7 counter name \"j1-private\" goto refuse",
		"tcp dport 1000-2000 accept",
		"icmpv6 type nd-neighbor-solicit accept",
		"counter name \"j1-host\" goto refuse",
		"meta l4proto tcp reject with tcp reset",
		"reject with icmpx admin-prohibited",
	};
	for (size_t i = 0; i < sizeof expect / sizeof *expect; i++)
		cr_expect_geq(line_of(t, expect[i]), 0, "missing: %s\n%s", expect[i], t);
	/* The order of firewall.h: spoof, established, metadata, host, DNS,
	 * deny, private allows, private ranges, other allows, default. */
	const char *order[] = {
		"j1-spoof", "ct state established,related accept\n\t\tip daddr 169.254", "j1-metadata", "j1-host\" goto",
		"dport 53", "198.51.100.0/24", "10.5.0.0/16", "j1-private", "dport 1000-2000",
	};
	const char *job = strstr(t, "chain job-j1");
	cr_assert(job, "%s", t);
	int prev = -1;
	for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
		int at = line_of(job, order[i]);
		cr_expect_gt(at, prev, "%s out of order\n%s", order[i], t);
		prev = at;
	}
	/* What nft prints reads back. */
	cr_expect_eq(sh(NULL, "ip netns exec $H nft list table inet brig | ip netns exec $H nft -c -f /dev/stdin"),
		     0, "nft cannot read back its listing");
	free(t);

	char *ids = NULL;
	cr_assert_eq(sh(&ids, "ip netns exec $H $FW list"), 0);
	cr_expect_str_eq(ids, "j1\n");
	free(ids);
	cr_expect_neq(sh(NULL, "ip netns exec $H $FW add j1 brig-j9 10.77.0.9 - 2>/dev/null"), 0,
		      "a second job with the same id");
	cr_expect_neq(sh(NULL, "ip netns exec $H $FW add j9 brig-j1 10.77.0.9 - 2>/dev/null"), 0,
		      "a second job on the same interface");

	cr_assert_eq(sh(NULL, "ip netns exec $H $FW remove j1"), 0);
	t = table();
	cr_expect_eq(line_of(t, "j1"), -1, "job state left:\n%s", t);
	cr_expect_eq(line_of(t, "chain job"), -1, "job chain left:\n%s", t);
	cr_expect_eq(line_of(t, "elements"), -1, "elements left:\n%s", t);
	cr_expect_geq(line_of(t, "chain forward"), 0, "the skeleton stays:\n%s", t);
	free(t);
	cr_expect_eq(sh(NULL, "ip netns exec $H $FW remove j1"), 0, "removing twice is not an error");
	cr_expect_eq(sh(NULL, "ip netns exec $H $FW remove never-added"), 0);
	cr_expect_eq(sh(NULL, "ip netns exec $H nft list tables | grep -v 'inet brig' | grep ."), 1,
		     "a table other than brig's appeared");
}

Test(firewall, concurrent_jobs_leave_no_state, .init = host_up, .fini = lab_down, .timeout = 120)
{
	/* 20 jobs at once, each added and removed three times, then added for
	 * good; every command must succeed whatever the interleaving. */
	char *out = NULL;
	int rc = sh(&out, "for i in $(seq 1 20); do (\n"
			  "  for r in 1 2 3 4; do\n"
			  "    ip netns exec $H $FW add c$i brig-c$i 10.77.0.$((i+2)) fd77::$((i+2)) "
			  "pool4=10.77.0.0/16 pool6=fd77::/64 dns=10.1.1.1 || echo FAIL add $i\n"
			  "    [ $r = 4 ] || ip netns exec $H $FW remove c$i || echo FAIL remove $i\n"
			  "  done ) & done; wait 2>&1");
	cr_assert_eq(rc, 0);
	cr_expect_eq(strstr(out, "FAIL"), NULL, "%s", out);
	free(out);
	cr_assert_eq(sh(&out, "ip netns exec $H $FW list | sort | tr '\\n' ' '"), 0);
	cr_expect_str_eq(out, "c1 c10 c11 c12 c13 c14 c15 c16 c17 c18 c19 c2 c20 c3 c4 c5 c6 c7 c8 c9 ");
	free(out);
	char *t = table();
	cr_expect_eq(line_of(t, "\"brig-c20\" comment \"c20\" : jump job-c20") >= 0, 1, "%s", t);
	free(t);
	/* Removing them all at once, twice over (as a supervisor and `brig gc`
	 * might), leaves the bare skeleton. */
	rc = sh(&out, "for i in $(seq 1 20); do (ip netns exec $H $FW remove c$i || echo FAIL $i) & "
		      "(ip netns exec $H $FW remove c$i || echo FAIL $i) & done; wait 2>&1");
	cr_expect_eq(strstr(out, "FAIL"), NULL, "%s", out);
	free(out);
	cr_assert_eq(sh(&out, "ip netns exec $H $FW list"), 0);
	cr_expect_str_eq(out, "");
	free(out);
	t = table();
	cr_expect_eq(line_of(t, "c1"), -1, "%s", t);
	cr_expect_eq(line_of(t, "elements"), -1, "%s", t);
	cr_expect_eq(line_of(t, "counter"), -1, "%s", t);
	free(t);
}

Test(firewall, job_traffic_in_the_lab, .init = lab_up, .fini = lab_down, .timeout = 120)
{
	cr_assert_eq(sh(NULL, "ip netns exec $H $FW add j1 brig-j1 10.77.0.2 fd77::2 pool4=10.77.0.0/16 "
			      "pool6=fd77::/64"),
		     0);
	long ms;
	cr_expect_eq(job_get("", "http://198.51.100.10/", 5, NULL), 200, "internet over IPv4");
	cr_expect_eq(job_get("", "http://[2001:db8::10]/", 5, NULL), 200, "internet over IPv6");
	/* Rejections answer at once: well under a SYN retransmit (1 s). */
	const char *refused[] = { "http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://10.77.0.1/",
				  "http://[fd77::1]/", "http://192.0.2.1/", "http://[2001:db8:1::1]/" };
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		cr_expect_eq(job_get("", refused[i], 5, &ms), 0, "%s answered", refused[i]);
		cr_expect_lt(ms, 800, "%s took %ld ms to fail", refused[i], ms);
	}
	cr_expect_geq(counter("j1", "metadata"), 2);
	cr_expect_geq(counter("j1", "host"), 4);
	cr_expect_eq(counter("j1", "spoof"), 0);
	/* A spoofed source goes nowhere, silently, and is counted. */
	cr_expect_eq(job_get("--interface 10.77.0.99", "http://198.51.100.10/", 1.5, &ms), 0);
	cr_expect_gt(ms, 1000, "a spoofed packet was answered");
	cr_expect_geq(counter("j1", "spoof"), 1);
	cr_assert_eq(sh(NULL, "ip netns exec $H $FW remove j1"), 0);

	/* Profile rules: deny wins, allow opens, default denies. */
	cr_assert_eq(sh(NULL, "ip netns exec $H $FW add j1 brig-j1 10.77.0.2 fd77::2 default=deny "
			      "deny=198.51.100.11 allow=198.51.100.0/24,80,tcp"),
		     0);
	cr_expect_eq(job_get("", "http://198.51.100.10/", 5, NULL), 200, "allowed");
	cr_expect_eq(job_get("", "http://198.51.100.11/", 5, &ms), 0, "denied");
	cr_expect_lt(ms, 800);
	cr_expect_eq(job_get("", "http://[2001:db8::10]/", 5, &ms), 0, "default deny");
	cr_expect_lt(ms, 800);
	cr_expect_eq(counter("j1", "policy"), 2);
	cr_assert_eq(sh(NULL, "ip netns exec $H $FW remove j1"), 0);

	/* Gone: a brig interface without a job passes nothing. */
	cr_expect_eq(job_get("", "http://198.51.100.10/", 1, NULL), 0, "traffic from a removed job");
}

Test(firewall, add_and_remove_are_fast, .init = host_up, .fini = lab_down, .timeout = 120)
{
	char *out = NULL;
	cr_assert_eq(sh(&out, "ip netns exec $H $FW bench 50"), 0);
	double add = -1, rem = -1;
	const char *a = strstr(out, "add_median_us="), *r = strstr(out, "remove_median_us=");
	if (a)
		add = atof(a + strlen("add_median_us="));
	if (r)
		rem = atof(r + strlen("remove_median_us="));
	cr_log_info("firewall: %s", out);
	/* Generous bounds (a loaded machine): these are milliseconds, the
	 * measured medians are a fraction of one. */
	cr_expect(add > 0 && add < 20000, "add median %.0f µs", add);
	cr_expect(rem > 0 && rem < 20000, "remove median %.0f µs", rem);
	free(out);
}

Test(firewall, removal_copes_with_a_table_edited_by_hand, .init = host_up, .fini = lab_down)
{
	/* A missing address element: the atomic removal fails, the piecewise
	 * one finishes the job. */
	cr_assert_eq(sh(NULL, "ip netns exec $H $FW add j1 brig-j1 10.77.0.2 fd77::2 && "
			      "ip netns exec $H nft delete element inet brig masq4 { 10.77.0.2 }"),
		     0);
	cr_expect_eq(sh(NULL, "ip netns exec $H $FW remove j1"), 0);
	/* Chains and map entries gone, counters and an address left over. */
	cr_assert_eq(sh(NULL, "ip netns exec $H $FW add j-2 brig-j2 10.77.0.3 - && "
			      "ip netns exec $H nft 'delete element inet brig job_forward { \"brig-j2\" }; "
			      "delete element inet brig job_input { \"brig-j2\" }; flush chain inet brig job-j-2; "
			      "flush chain inet brig jobin-j-2; delete chain inet brig job-j-2; "
			      "delete chain inet brig jobin-j-2'"),
		     0);
	char *ids = NULL;
	cr_assert_eq(sh(&ids, "ip netns exec $H $FW list"), 0);
	cr_expect_str_eq(ids, "j-2\n", "the counters alone name the job for gc");
	free(ids);
	cr_expect_eq(sh(NULL, "ip netns exec $H $FW remove j-2"), 0);
	cr_assert_eq(sh(&ids, "ip netns exec $H $FW list"), 0);
	cr_expect_str_eq(ids, "");
	free(ids);
	/* The stale address element does not block its next job. */
	cr_expect_eq(sh(NULL, "ip netns exec $H $FW add j3 brig-j3 10.77.0.3 - && ip netns exec $H $FW remove j3"), 0);
	char *t = table();
	cr_expect_eq(line_of(t, "j1"), -1, "%s", t);
	cr_expect_eq(line_of(t, "j-2"), -1, "%s", t);
	cr_expect_eq(line_of(t, "j3"), -1, "%s", t);
	cr_expect_eq(line_of(t, "elements"), -1, "%s", t);
	free(t);
}

/* `net veth`, `net none` and `net host`, asserted from inside jobs, in a
 * private lab (tests/net/lab.sh) built per test from network namespaces:
 * brig runs in a namespace that plays the host, whose only uplink leads to
 * a namespace holding a fake metadata service, an "internet" server, private
 * servers and a DNS server. No packet leaves the lab. */
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char lab[32];
static char lab_host[40];

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Output of a shell command (stdout), for looking at the lab's host. */
static char *sh_out(const char *cmd)
{
	return command_output(cmd, NULL);
}

static const char *lab_script(void)
{
	const char *s = getenv("BRIG_NET_LAB");
	return s && *s ? s : "tests/net/lab.sh";
}

static void lab_up(void)
{
	harness_setup();
	harness_need_root("the network lab and net veth need root");
	const char *flag = getenv("BRIG_NET_LAB");
	if (flag && strcmp(flag, "0") == 0)
		harness_not_on_this_host("the network lab is not part of this run (BRIG_NET_LAB=0)");
	static const char *const tools[] = { "ip", "socat", "dnsmasq", "nft", "ss", "openssl" };
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
		if (sh("command -v %s >/dev/null 2>&1", tools[i]) != 0)
			harness_unavailable("the network lab needs %s (make deps installs it)", tools[i]);
	if (access(lab_script(), X_OK) != 0)
		harness_unavailable("the network lab script %s is missing", lab_script());
	snprintf(lab, sizeof lab, "bl%x", (unsigned)getpid());
	snprintf(lab_host, sizeof lab_host, "%s-h", lab);
	if (sh("%s up %s %d", lab_script(), lab, (int)getpid()) != 0)
		cr_assert_fail("the network lab did not come up");
}

static void lab_down(void)
{
	if (lab[0])
		sh("%s down %s", lab_script(), lab);
	harness_teardown();
}

TestSuite(net, .init = lab_up, .fini = lab_down, .timeout = 120);

#define NET_TRY JOB_HELPERS "/net-try"

/* A job in the lab: extra options, then `sh -c script`; env: extra
 * NAME=VALUE entries for brig's environment, or NULL. */
static void lab_job_env(struct brig_result *r, const char *const *extra, const char *script, const char *const *env)
{
	const char *argv[48] = { "run", "--ro-bind", harness_helpers_bind() };
	size_t n = 3;
	for (; extra && *extra && n < 40; extra++)
		argv[n++] = *extra;
	argv[n++] = "--";
	argv[n++] = "/bin/sh";
	argv[n++] = "-c";
	argv[n++] = script;
	argv[n] = NULL;
	struct brig_opts o = { .netns = lab_host, .limit_s = 60, .env = env };
	brig_run(r, &o, argv);
}

static void lab_job(struct brig_result *r, const char *const *extra, const char *script)
{
	lab_job_env(r, extra, script, NULL);
}

#define VETH(...) ((const char *const[]){ "--net", "veth", __VA_ARGS__ __VA_OPT__(, ) NULL })

/* "fail ERR MS": the failure's errno name and how long it took. */
static void assert_fails_fast(const char *out, const char *what)
{
	char err[64] = "";
	long ms = -1;
	const char *f = strstr(out, "fail ");
	cr_assert(f, "%s was reachable: %s", what, out);
	cr_assert_eq(sscanf(f, "fail %63s %ld", err, &ms), 2, "unparsable: %s", out);
	cr_assert_str_neq(err, "ETIMEDOUT", "%s timed out instead of being refused at once: %s", what, out);
	cr_assert_lt(ms, 1000, "%s took %ld ms to fail", what, ms);
}

/* key=value lines a script prints for each attempt. */
static void expect_line(const char *out, const char *key, const char *want)
{
	char *v = kv_get(out, key);
	cr_expect(v && strncmp(v, want, strlen(want)) == 0, "%s: expected \"%s...\", got \"%s\"\n%s", key, want,
		  v ? v : "(nothing)", out);
	free(v);
}

Test(net, internet_answers_tcp_and_udp_over_ipv4_and_ipv6)
{
	struct brig_result r;
	lab_job(&r, VETH(),
		"echo tcp4=$(" NET_TRY " tcp 198.51.100.10 80); echo udp4=$(" NET_TRY " udp 198.51.100.10 7); "
		"echo tcp6=$(" NET_TRY " tcp 2001:db8::10 80); echo udp6=$(" NET_TRY " udp 2001:db8::10 7)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	expect_line(r.out, "tcp4", "ok hello");
	expect_line(r.out, "udp4", "ok pong");
	expect_line(r.out, "tcp6", "ok hello");
	expect_line(r.out, "udp6", "ok pong");
}

static const char *const metadata[] = { "169.254.169.254", "100.100.100.200", "168.63.129.16", "192.0.0.192",
					"fd00:ec2::254", "fd20:ce::254" };

Test(net, every_metadata_address_fails_fast)
{
	/* The lab's metadata service answers whoever reaches it: here, the
	 * lab's host itself, without brig. */
	for (size_t i = 0; i < sizeof metadata / sizeof metadata[0]; i++) {
		char cmd[512];
		snprintf(cmd, sizeof cmd, "ip netns exec %s %s/net-try tcp %s 80 2000", lab_host,
			 getenv("BRIG_HELPERS"), metadata[i]);
		char *out = sh_out(cmd);
		cr_assert(strncmp(out, "ok metadata", 11) == 0, "the lab's metadata service at %s is not up: %s",
			  metadata[i], out);
		free(out);
	}
	for (size_t i = 0; i < sizeof metadata / sizeof metadata[0]; i++) {
		char script[512];
		struct brig_result r;
		snprintf(script, sizeof script, NET_TRY " tcp %s 80 3000", metadata[i]);
		lab_job(&r, VETH("--egress-allow", "0.0.0.0/0", "--egress-allow", "::/0"), script);
		assert_fails_fast(r.out, metadata[i]);
	}
}

/* The gateway is the host; so is every other address it has, and services
 * bound to its loopback. */
Test(net, host_addresses_fail)
{
	struct brig_result r;
	lab_job(&r, VETH(),
		"gw=$(ip -4 route show default | cut -d' ' -f3); gw6=$(ip -6 route show default | cut -d' ' -f3); "
		"echo gw=$(" NET_TRY " tcp $gw 8081 3000); echo gw6=$(" NET_TRY " tcp $gw6 8081 3000); "
		"echo uplink=$(" NET_TRY " tcp 203.0.113.2 8081 3000); "
		"echo uplink6=$(" NET_TRY " tcp 2001:db8:1::2 8081 3000); "
		"echo loop=$(" NET_TRY " tcp 127.0.0.1 8080 3000)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	static const char *const keys[] = { "gw", "gw6", "uplink", "uplink6", "loop" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char *v = kv_get(r.out, keys[i]);
		cr_assert(v, "no %s line:\n%s", keys[i], r.out);
		assert_fails_fast(v, keys[i]);
		free(v);
	}
	/* ...while those services do answer on the host. */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "ip netns exec %s %s/net-try tcp 203.0.113.2 8081", lab_host, getenv("BRIG_HELPERS"));
	char *out = sh_out(cmd);
	cr_assert(strncmp(out, "ok host-service", 15) == 0, "the lab host's service is not up: %s", out);
	free(out);
}

Test(net, another_job_is_unreachable)
{
	struct brig_proc p;
	struct brig_result a, b;
	const char *argv[] = { "run", "--net", "veth", "--", "/bin/sh", "-c",
			       "echo addr=$(ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1); "
			       "exec socat TCP4-LISTEN:9000,fork SYSTEM:'echo job-a'",
			       NULL };
	struct brig_opts o = { .netns = lab_host, .limit_s = 60 };
	brig_start(&p, &o, argv);
	cr_assert(brig_wait_stdout(&p, "\n", 10), "the first job did not start");
	char *addr = kv_get(p.out.data, "addr");
	cr_assert(addr && *addr, "no address from the first job: %s", p.out.data);
	/* It does listen: from inside its own namespace it answers. */
	char script[512];
	snprintf(script, sizeof script, "echo other=$(" NET_TRY " tcp %s 9000 3000)", addr);
	lab_job(&b, VETH(), script);
	brig_kill_and_reap(&p, SIGTERM);
	brig_finish(&p, &a, 10);
	char *v = kv_get(b.out, "other");
	cr_assert(v, RESULT_FMT, RESULT_ARGS(b));
	assert_fails_fast(v, "the other job");
	free(v);
	free(addr);
}

Test(net, spoofed_source_is_dropped)
{
	struct brig_result r;
	char status[4200];
	char *dir = tmpdir_make("spoof");
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	/* CAP_NET_ADMIN inside its own namespace lets the job add any address
	 * to eth0; the host must still drop what it sends from there. */
	lab_job(&r, VETH("--cap-add", "CAP_NET_ADMIN", "--status-file", status),
		"ip addr add 10.99.99.99/32 dev eth0 && "
		"echo spoof=$(" NET_TRY " tcp 198.51.100.10 80 1500 10.99.99.99); "
		"echo real=$(" NET_TRY " tcp 198.51.100.10 80 3000)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	expect_line(r.out, "spoof", "fail ETIMEDOUT");
	expect_line(r.out, "real", "ok hello");
	char *text = file_read(status);
	char *exited = text ? json_event_line(text, "exited") : NULL;
	cr_assert(exited, "no exited event: %s", text ? text : "(no status file)");
	cr_expect(strstr(exited, "\"spoofed\":") && !strstr(exited, "\"spoofed\":0"),
		  "the spoofed packets were not counted: %s", exited);
}

Test(net, private_ranges_need_an_allow_rule)
{
	struct brig_result r;
	static const char script[] = "for a in 10.99.0.10 192.168.77.10 172.16.5.10 100.64.0.10 fc00:99::10; do "
				     "echo \"$a=$(" NET_TRY " tcp $a 80 3000)\"; done";
	lab_job(&r, VETH(), script);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	static const char *const priv[] = { "10.99.0.10", "192.168.77.10", "172.16.5.10", "100.64.0.10", "fc00:99::10" };
	for (size_t i = 0; i < sizeof priv / sizeof priv[0]; i++) {
		char *v = kv_get(r.out, priv[i]);
		cr_assert(v, "%s", r.out);
		assert_fails_fast(v, priv[i]);
		free(v);
	}
	lab_job(&r, VETH("--egress-allow", "10.99.0.0/16:80/tcp", "--egress-allow", "[fc00:99::/64]:80"), script);
	expect_line(r.out, "10.99.0.10", "ok private");
	expect_line(r.out, "fc00:99::10", "ok private");
	expect_line(r.out, "192.168.77.10", "fail");
}

Test(net, egress_rules_behave_as_written)
{
	struct brig_result r;
	static const char script[] = "echo tcp=$(" NET_TRY " tcp 198.51.100.10 80 3000); "
				     "echo udp=$(" NET_TRY " udp 198.51.100.10 7 3000); "
				     "echo tcp6=$(" NET_TRY " tcp 2001:db8::10 80 3000)";
	/* Default deny: only what a rule names. */
	lab_job(&r, VETH("--egress-default", "deny", "--egress-allow", "198.51.100.0/24:80/tcp"), script);
	expect_line(r.out, "tcp", "ok hello");
	expect_line(r.out, "udp", "fail");
	expect_line(r.out, "tcp6", "fail");
	/* Default allow with a deny: the deny wins, even over an allow. */
	lab_job(&r, VETH("--egress-deny", "198.51.100.10", "--egress-allow", "198.51.100.0/24"), script);
	expect_line(r.out, "tcp", "fail");
	expect_line(r.out, "udp", "fail");
	expect_line(r.out, "tcp6", "ok hello");
	/* A port range. */
	lab_job(&r, VETH("--egress-deny", "[2001:db8::/32]:70-90/tcp"), script);
	expect_line(r.out, "tcp", "ok hello");
	expect_line(r.out, "tcp6", "fail");
}

Test(net, dns_through_the_lab_resolver)
{
	struct brig_result r;
	lab_job(&r, VETH(), "cat /etc/resolv.conf; echo name=$(getent hosts lab.test)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect(strstr(r.out, "nameserver 198.51.100.53"), "resolv.conf does not name the lab resolver:\n%s", r.out);
	expect_line(r.out, "name", "198.51.100.10");
	/* Only the resolver, only port 53: the same address on another port
	 * is refused (it is in no allowed range). */
	lab_job(&r, VETH("--egress-default", "deny"), "echo name=$(getent hosts lab.test)");
	expect_line(r.out, "name", "198.51.100.10");
}

Test(net, net_none_has_no_route)
{
	struct brig_result r;
	lab_job(&r, NULL,
		"echo routes=$(ip route; ip -6 route | grep -v '^$'); echo links=$(ls /sys/class/net 2>/dev/null); "
		"echo try=$(" NET_TRY " tcp 198.51.100.10 80 3000)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	char *routes = kv_get(r.out, "routes");
	cr_expect(routes && (strcmp(routes, "") == 0 || !strstr(routes, "default")), "net none has routes: %s",
		  routes ? routes : "?");
	free(routes);
	expect_line(r.out, "try", "fail ENETUNREACH");
}

Test(net, the_job_cannot_change_its_network)
{
	struct brig_result r;
	lab_job(&r, VETH(),
		"ip link set eth0 down 2>/dev/null; echo link=$?; ip addr add 10.1.1.1/32 dev eth0 2>/dev/null; "
		"echo addr=$?; ip route del default 2>/dev/null; echo route=$?; "
		"nft add table inet mine 2>/dev/null; echo nft=$?; nft list ruleset 2>&1 | head -1; "
		"echo try=$(" NET_TRY " tcp 198.51.100.10 80 3000)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	static const char *const keys[] = { "link", "addr", "route", "nft" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		char *v = kv_get(r.out, keys[i]);
		cr_expect(v && strcmp(v, "0") != 0, "%s change succeeded inside the job:\n%s", keys[i], r.out);
		free(v);
	}
	expect_line(r.out, "try", "ok hello");
}

Test(net, exited_event_counts_rejections_by_class)
{
	struct brig_result r;
	char status[4200];
	char *dir = tmpdir_make("counters");
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	lab_job(&r, VETH("--status-file", status, "--egress-default", "deny"),
		NET_TRY " tcp 169.254.169.254 80 2000; " NET_TRY " tcp 10.99.0.10 80 2000; " NET_TRY
			" tcp 198.51.100.10 80 2000; gw=$(ip -4 route show default | cut -d' ' -f3); " NET_TRY
			" tcp $gw 8081 2000; true");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	char *text = file_read(status);
	char *exited = text ? json_event_line(text, "exited") : NULL;
	cr_assert(exited, "no exited event: %s", text ? text : "(none)");
	static const char *const classes[] = { "metadata", "host", "private", "policy" };
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
		/* A count of 0, not a step of "timings" (0.000 ms). */
		char key[32], last[32];
		snprintf(key, sizeof key, "\"%s\":0,", classes[i]);
		snprintf(last, sizeof last, "\"%s\":0}", classes[i]);
		cr_expect(strstr(exited, "firewall_rejected") && !strstr(exited, key) && !strstr(exited, last),
			  "class %s counted nothing: %s", classes[i], exited);
	}
}

/* What the lab host holds of jobs: links, firewall state. The kernel
 * dismantles a dead namespace (and the veth in it) asynchronously: allow
 * it a few seconds. */
static void assert_nothing_left(void)
{
	char links_cmd[512], rules_cmd[512];
	snprintf(links_cmd, sizeof links_cmd, "ip netns exec %s ip -o link show | grep -c ' brig-' || true", lab_host);
	snprintf(rules_cmd, sizeof rules_cmd,
		 "ip netns exec %s nft list table inet brig 2>/dev/null | grep -cE 'chain job|counter [0-9a-f]+-|"
		 "\"brig-[0-9a-f]|[0-9a-f]+-(spoof|host)' || true",
		 lab_host);
	long long deadline = harness_deadline_ms(5000);
	char *links = NULL, *rules = NULL;
	for (;;) {
		links = sh_out(links_cmd);
		rules = sh_out(rules_cmd);
		if ((atoi(links) == 0 && atoi(rules) == 0) || now_ms() > deadline)
			break;
		free(links);
		free(rules);
		usleep(100 * 1000);
	}
	cr_expect_eq(atoi(links), 0, "veth links are left on the host: %s", links);
	cr_expect_eq(atoi(rules), 0, "job state is left in the firewall table: %s", rules);
	free(links);
	free(rules);
}

Test(net, fifty_concurrent_jobs_leave_nothing, .timeout = 300)
{
	enum { N = 50 };
	static struct brig_proc p[N];
	static struct brig_result r[N];
	const char *argv[] = { "run", "--net", "veth", "--ro-bind", harness_helpers_bind(), "--", "/bin/sh", "-c",
			       "echo addr=$(ip -4 -o addr show eth0 | awk '{print $4}'); "
			       "echo try=$(" NET_TRY " tcp 198.51.100.10 80 10000); "
			       /* What the job's side saw, for a failure's message. */
			       "ip neigh show dev eth0 | sed 's/^/neigh=/'; ip -s link show eth0 | tr -s ' \\n' ' ' | sed 's/^/link=/'",
			       NULL };
	struct brig_opts o = { .netns = lab_host, .limit_s = 200 };
	for (int i = 0; i < N; i++)
		brig_start(&p[i], &o, argv);
	for (int i = 0; i < N; i++)
		brig_finish(&p[i], &r[i], 200);
	for (int i = 0; i < N; i++) {
		char *t = kv_get(r[i].out, "try");
		bool ok = t && strncmp(t, "ok", 2) == 0;
		free(t);
		if (ok)
			continue;
		/* The host side's view at the time of a failure, once. */
		char cmd[256];
		snprintf(cmd, sizeof cmd, "ip netns exec %s sh -c 'ip neigh; ip -s link' 2>&1", lab_host);
		char *lab = sh_out(cmd);
		cr_log_error("job %d failed; the lab's host side:\n%s", i, lab);
		free(lab);
		break;
	}
	char *addrs[N];
	for (int i = 0; i < N; i++) {
		cr_assert_eq(r[i].status, 0, "job %d" RESULT_FMT, i, RESULT_ARGS(r[i]));
		expect_line(r[i].out, "try", "ok hello");
		addrs[i] = kv_get(r[i].out, "addr");
		cr_assert(addrs[i] && *addrs[i], "job %d has no address: %s", i, r[i].out);
		for (int k = 0; k < i; k++)
			cr_assert_str_neq(addrs[i], addrs[k], "jobs %d and %d share %s", k, i, addrs[i]);
	}
	assert_nothing_left();
}

/* A veth job in the lab that runs until killed. */
static void start_idle_veth_job(struct brig_proc *p)
{
	const char *argv[] = { "run", "--net", "veth", "--", "/bin/sh", "-c", "echo ready; sleep 600", NULL };
	struct brig_opts o = { .netns = lab_host, .limit_s = 60 };
	brig_start(p, &o, argv);
	cr_assert(brig_wait_stdout(p, "ready\n", 10), "the job never started");
}

Test(net, kill9_leaves_no_firewall_state)
{
	struct brig_proc p;
	struct brig_result r;
	start_idle_veth_job(&p);
	/* brig runs under ip(8), which execs it: the pid is brig's. */
	brig_kill_and_reap(&p, SIGKILL);
	brig_finish(&p, &r, 5);
	long long deadline = harness_deadline_ms(3000);
	char cmd[512];
	snprintf(cmd, sizeof cmd, "ip netns exec %s nft list table inet brig 2>/dev/null | grep -c 'chain job' || true",
		 lab_host);
	char *n = NULL;
	while (free(n), n = sh_out(cmd), atoi(n) > 0 && now_ms() < deadline)
		usleep(50 * 1000);
	free(n);
	assert_nothing_left();
}

/* A supervisor and its janitor both killed: `brig gc` removes what they
 * left, and the next job is unaffected. */
Test(net, gc_removes_what_a_killed_job_left)
{
	struct brig_proc p;
	struct brig_result r;
	start_idle_veth_job(&p);
	char cmd[512];
	/* The janitor is the supervisor's child, in a session of its own:
	 * stopped first, so that it cannot clean up, then killed. */
	snprintf(cmd, sizeof cmd, "pgrep -P %d -x brig-janitor", (int)p.pid);
	char *jpid = sh_out(cmd);
	int janitor = atoi(jpid);
	free(jpid);
	cr_assert_gt(janitor, 0, "no janitor under brig %d", (int)p.pid);
	kill(janitor, SIGSTOP);
	brig_kill_and_reap(&p, SIGKILL);
	brig_finish(&p, &r, 5);
	snprintf(cmd, sizeof cmd, "ip netns exec %s nft list table inet brig | grep -c 'chain job' || true", lab_host);
	char *before = sh_out(cmd);
	kill(janitor, SIGKILL);
	/* Its lease lock goes only when it has died (a zombie holds none). */
	char status_path[64];
	snprintf(status_path, sizeof status_path, "/proc/%d/status", janitor);
	long long deadline = harness_deadline_ms(5000);
	for (;;) {
		char *st = file_read(status_path);
		bool gone = !st || strstr(st, "\nState:\tZ");
		free(st);
		if (gone || now_ms() > deadline)
			break;
		usleep(10 * 1000);
	}
	struct brig_result g;
	struct brig_opts go = { .netns = lab_host };
	brig_run(&g, &go, BRIG_ARGS("gc"));
	cr_assert_eq(g.status, 0, RESULT_FMT, RESULT_ARGS(g));
	cr_expect_gt(atoi(before), 0, "the killed job left nothing to collect (the test proves nothing)");
	free(before);
	assert_nothing_left();
}

Test(net, net_host_shares_the_host_network_with_a_warning)
{
	struct brig_result r;
	lab_job(&r, ((const char *const[]){ "--net", "host", NULL }), "ls /sys/class/net 2>/dev/null || ip -o link");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_expect(strstr(r.out, "up0"), "the host's uplink is not visible: %s", r.out);
	cr_expect(strstr(r.err, "net host"), "no warning on stderr: %s", r.err);
}

/* The shipped `network` profile, from the copy the Makefile makes. */
static const char *network_profile(void)
{
	static char path[4096];
	const char *dir = getenv("BRIG_PROFILES");
	if (!dir)
		harness_unavailable("BRIG_PROFILES is not set: run the suite through `make integration`");
	snprintf(path, sizeof path, "%s/network", dir);
	return path;
}

Test(net, the_network_profile_reaches_the_internet_and_nothing_else)
{
	const char *profile = network_profile();
	struct brig_result r;
	lab_job(&r, ((const char *const[]){ "--profile", profile, NULL }),
		"echo web=$(" NET_TRY " tcp 198.51.100.10 80 3000); echo meta=$(" NET_TRY
		" tcp 169.254.169.254 80 3000); echo priv=$(" NET_TRY " tcp 10.99.0.10 80 3000)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	expect_line(r.out, "web", "ok hello");
	expect_line(r.out, "meta", "fail");
	expect_line(r.out, "priv", "fail");
}

/* The result of check id in a probe document's "checks" array. */
static const char *check_result(json_object *checks, const char *id)
{
	for (size_t i = 0; checks && i < json_object_array_length(checks); i++) {
		json_object *c = json_object_array_get_idx(checks, i), *v = NULL;
		if (json_object_object_get_ex(c, "id", &v) && strcmp(json_object_get_string(v), id) == 0 &&
		    json_object_object_get_ex(c, "result", &v))
			return json_object_get_string(v);
	}
	return "(absent)";
}

/* The probe's network checks against the lab: bare in the lab's host they
 * reach the fake metadata service; in a veth job the firewall stops them. */
Test(net, probe_sees_the_metadata_service_bare_but_not_from_a_veth_job)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "ip netns exec %s %s probe --json --only network", lab_host, getenv("BRIG"));
	char *bare = sh_out(cmd);
	json_object *doc = json_tokener_parse(bare), *checks = NULL;
	cr_assert(doc && json_object_object_get_ex(doc, "checks", &checks), "not a probe document: %s", bare);
	cr_expect_str_eq(check_result(checks, "network.metadata-ipv4"), "exposed", "%s", bare);
	cr_expect_str_eq(check_result(checks, "network.metadata-ipv6"), "exposed", "%s", bare);
	json_object_put(doc);

	char bind[4200];
	snprintf(bind, sizeof bind, "%s:/opt/brig-probe", getenv("BRIG"));
	struct brig_result r;
	lab_job(&r, VETH("--ro-bind", bind), "/opt/brig-probe probe --json --only network; true");
	doc = json_tokener_parse(r.out);
	cr_assert(doc && json_object_object_get_ex(doc, "checks", &checks), RESULT_FMT, RESULT_ARGS(r));
	static const char *const blocked[] = { "network.metadata-ipv4", "network.metadata-ipv6", "network.gateway",
					       "network.private-ranges", "network.netlink-link", "network.nftables" };
	for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++)
		cr_expect_str_eq(check_result(checks, blocked[i]), "blocked", "%s in a veth job:\n%s", blocked[i], r.out);
	cr_expect_str_eq(check_result(checks, "network.default-route"), "exposed", "a veth job has a route:\n%s", r.out);
	json_object_put(doc);
}

/* The evidence of check id in a probe document's "checks" array. */
static const char *check_evidence(json_object *checks, const char *id)
{
	for (size_t i = 0; checks && i < json_object_array_length(checks); i++) {
		json_object *c = json_object_array_get_idx(checks, i), *v = NULL;
		if (json_object_object_get_ex(c, "id", &v) && strcmp(json_object_get_string(v), id) == 0 &&
		    json_object_object_get_ex(c, "evidence", &v))
			return json_object_get_string(v);
	}
	return "(absent)";
}

/* brig probe's egress rows from a job that may reach ok.test on 443 only:
 * ok.test resolves through brig's resolver and takes a connection (the
 * lab's TLS server, through the name gate); lab.test, which the lab's
 * resolver knows, is refused by brig's. Only lab names are tried. */
Test(net, probe_egress_rows_say_what_the_job_resolves_and_reaches)
{
	char bind[4200];
	snprintf(bind, sizeof bind, "%s:/opt/brig-probe", getenv("BRIG"));
	struct brig_result r;
	lab_job(&r,
		VETH("--egress-default", "deny", "--egress-allow-host", "ok.test:443/tcp", "--ro-bind", bind),
		"/opt/brig-probe probe --json --only network --egress-name ok.test --egress-name lab.test:443; true");
	json_object *doc = json_tokener_parse(r.out), *checks = NULL;
	cr_assert(doc && json_object_object_get_ex(doc, "checks", &checks), RESULT_FMT, RESULT_ARGS(r));
	const char *ok = "network.egress.ok.test:443", *lab = "network.egress.lab.test:443";
	cr_expect_str_eq(check_result(checks, ok), "exposed", "%s:\n%s", ok, r.out);
	cr_expect(strstr(check_evidence(checks, ok), "198.51.100.10 reachable"), "%s:\n%s", ok, r.out);
	cr_expect_str_eq(check_result(checks, lab), "blocked", "%s:\n%s", lab, r.out);
	cr_expect(strstr(check_evidence(checks, lab), "refused by the resolver (REFUSED)"), "%s:\n%s", lab, r.out);
	/* --egress-name replaces the default list. */
	cr_expect_str_eq(check_result(checks, "network.egress.deb.debian.org:443"), "(absent)", "%s", r.out);
	json_object_put(doc);
}

/* brig audit of the network profile in the lab: nothing of high severity
 * exposed, and no link or firewall state left behind by its job. */
Test(net, audit_of_the_network_profile_leaves_no_firewall_state)
{
	const char *profile = network_profile();
	struct brig_result r;
	struct brig_opts o = { .netns = lab_host, .limit_s = 120 };
	brig_run(&r, &o, BRIG_ARGS("audit", "--profile", profile, "--json"));
	json_object *doc = json_tokener_parse(r.out), *profiles = NULL, *checks = NULL;
	cr_assert(doc && json_object_object_get_ex(doc, "profiles", &profiles) &&
			  json_object_object_get_ex(json_object_array_get_idx(profiles, 0), "checks", &checks),
		  RESULT_FMT, RESULT_ARGS(r));
	cr_expect_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	static const char *const blocked[] = { "outside.no-firewall-rule-left", "outside.no-link-left",
					       "network.metadata-ipv4", "network.metadata-ipv6", "network.gateway" };
	for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++)
		cr_expect_str_eq(check_result(checks, blocked[i]), "blocked", "%s:\n%s", blocked[i], r.out);
	json_object_put(doc);
}

/* ---- egress by name: brig answers the job's DNS (tests/net/lab.sh's
 * resolver holds ok.test, wild.test and below, meta.test, priv.test) ---- */

#define DNS_ASK JOB_HELPERS "/dns-ask"
#define JOB_NS "$(awk '/^nameserver/{print $2; exit}' /etc/resolv.conf)"
#define EGRESS(...) VETH("--egress-default", "deny", __VA_ARGS__)

/* The first address of NAME as the job resolves it, then a connection
 * (an HTTP request naming it: port 80 of a name's address goes through
 * brig's name gate). */
#define RESOLVE_AND_TRY(key, name) \
	"a=$(getent ahostsv4 " name " | awk 'NR==1{print $1}'); echo " key "_addr=$a; echo " key "=$(" NET_TRY \
	" http ${a:-192.0.2.99} 80 3000 " name "); "

Test(net, egress_an_allowed_name_resolves_and_connects_through_brigs_resolver)
{
	struct brig_result r;
	lab_job(&r, EGRESS("--egress-allow-host", "ok.test:80/tcp"),
		"echo ns=" JOB_NS "; " RESOLVE_AND_TRY("ok", "ok.test")
		"echo udp=$(" DNS_ASK " udp " JOB_NS " ok.test); echo tcp=$(" DNS_ASK " tcp " JOB_NS " ok.test); "
		"echo six=$(" DNS_ASK " udp " JOB_NS " ok.test aaaa); echo tcp6=$(" NET_TRY " http 2001:db8::10 80 3000 ok.test)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	/* The job asks the host end of its veth, not the lab's resolver. */
	char *ns = kv_get(r.out, "ns");
	cr_expect(ns && strncmp(ns, "10.237.", 7) == 0, "the job's resolver is %s\n%s", ns ? ns : "?", r.out);
	free(ns);
	expect_line(r.out, "ok_addr", "198.51.100.10");
	expect_line(r.out, "ok", "ok hello");
	expect_line(r.out, "udp", "rcode=0 addrs=198.51.100.10");
	expect_line(r.out, "tcp", "rcode=0 addrs=198.51.100.10");
	expect_line(r.out, "six", "rcode=0 addrs=2001:db8::10");
	expect_line(r.out, "tcp6", "ok hello");
}

Test(net, egress_a_literal_address_no_name_allows_is_dropped)
{
	struct brig_result r;
	/* ok.test is allowed but not asked: its address never entered the set. */
	lab_job(&r, EGRESS("--egress-allow-host", "ok.test"),
		"echo lit=$(" NET_TRY " tcp 198.51.100.10 80 3000); " RESOLVE_AND_TRY("ok", "ok.test")
		"echo port=$(" NET_TRY " udp 198.51.100.10 7 3000)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	char *lit = kv_get(r.out, "lit");
	assert_fails_fast(lit ? lit : "", "a literal address");
	free(lit);
	expect_line(r.out, "ok", "ok hello");
	/* A rule without ports opens every port of what the name resolved to. */
	expect_line(r.out, "port", "ok pong");
	lab_job(&r, EGRESS("--egress-allow-host", "ok.test:80/tcp"),
		RESOLVE_AND_TRY("ok", "ok.test") "echo port=$(" NET_TRY " udp 198.51.100.10 7 3000)");
	expect_line(r.out, "ok", "ok hello");
	expect_line(r.out, "port", "fail");
}

/* One name, two rules with other ports (a forge over HTTPS and SSH): its
 * addresses open both. */
Test(net, egress_a_name_on_two_rules_reaches_both_ports)
{
	struct brig_result r;
	lab_job(&r, EGRESS("--egress-allow-host", "ok.test:80/tcp", "--egress-allow-host", "ok.test:7/udp"),
		RESOLVE_AND_TRY("ok", "ok.test") "echo port=$(" NET_TRY " udp $a 7 3000)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	expect_line(r.out, "ok", "ok hello");
	expect_line(r.out, "port", "ok pong");
}

Test(net, egress_a_wildcard_names_sub_names_only_and_deny_wins)
{
	struct brig_result r;
	char status[4200];
	char *dir = tmpdir_make("egress");
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	lab_job(&r,
		EGRESS("--status-file", status, "--egress-allow-host", "*.wild.test", "--egress-deny-host",
		       "bad.wild.test"),
		"for n in a.wild.test b.c.wild.test wild.test bad.wild.test bad.wild.test evil.test; do "
		"echo \"$n=$(" DNS_ASK " udp " JOB_NS " $n)\"; done");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	expect_line(r.out, "a.wild.test", "rcode=0 addrs=198.51.100.10");
	expect_line(r.out, "b.c.wild.test", "rcode=0 addrs=198.51.100.10");
	expect_line(r.out, "wild.test", "rcode=5");
	expect_line(r.out, "bad.wild.test", "rcode=5");
	expect_line(r.out, "evil.test", "rcode=5");
	/* One stderr line per distinct name, however often it is asked. */
	const char *first = strstr(r.err, "refused bad.wild.test");
	cr_expect(first && !strstr(first + 1, "refused bad.wild.test"), "not one line for bad.wild.test:\n%s", r.err);
	cr_expect(strstr(r.err, "refused evil.test (not allowed)"), "evil.test not reported:\n%s", r.err);
	char *text = file_read(status);
	cr_assert(text);
	cr_expect(strstr(text, "\"event\":\"egress-denied\"") && strstr(text, "\"name\":\"bad.wild.test\"") &&
			  strstr(text, "\"name\":\"evil.test\""),
		  "no egress-denied events: %s", text);
	char *exited = json_event_line(text, "exited");
	cr_assert(exited, "no exited event: %s", text);
	cr_expect(strstr(exited, "\"bad.wild.test\":{\"allowed\":0,\"denied\":2}") &&
			  strstr(exited, "\"a.wild.test\":{\"allowed\":1,\"denied\":0}"),
		  "per-name counters missing: %s", exited);
	free(exited);
	free(text);
}

Test(net, egress_an_allowed_name_resolving_to_metadata_or_private_is_refused)
{
	struct brig_result r;
	lab_job(&r, EGRESS("--egress-allow-host", "meta.test", "--egress-allow-host", "priv.test"),
		"echo meta=$(" DNS_ASK " udp " JOB_NS " meta.test); echo priv=$(" DNS_ASK " udp " JOB_NS
		" priv.test); echo pm=$(" NET_TRY " tcp 169.254.169.254 80 3000)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	expect_line(r.out, "meta", "rcode=5 addrs= ");
	expect_line(r.out, "priv", "rcode=5 addrs= ");
	expect_line(r.out, "pm", "fail");
	cr_expect(strstr(r.err, "refused meta.test resolving to 169.254.169.254 (metadata)") &&
			  strstr(r.err, "refused priv.test resolving to 10.0.0.5 (private)"),
		  "refusals not reported:\n%s", r.err);
	/* A CIDR rule within the private range opens it to the name; the
	 * metadata block stays absolute. */
	lab_job(&r,
		EGRESS("--egress-allow-host", "meta.test", "--egress-allow-host", "priv.test", "--egress-allow",
		       "10.0.0.0/24", "--egress-allow", "169.254.0.0/16"),
		"echo meta=$(" DNS_ASK " udp " JOB_NS " meta.test); echo priv=$(" DNS_ASK " udp " JOB_NS " priv.test)");
	expect_line(r.out, "meta", "rcode=5");
	expect_line(r.out, "priv", "rcode=0 addrs=10.0.0.5");
}

Test(net, egress_the_registries_profile_reaches_a_registry_and_nothing_else)
{
	char path[4200];
	snprintf(path, sizeof path, "%s", network_profile());
	snprintf(strrchr(path, '/'), sizeof path - (size_t)(strrchr(path, '/') - path), "/registries");
	struct brig_result r;
	lab_job(&r, ((const char *const[]){ "--profile", path, NULL }),
		RESOLVE_AND_TRY("deb", "deb.debian.org") "echo lab=$(" DNS_ASK " udp " JOB_NS " lab.test); echo lit=$(" NET_TRY
		" tcp 198.51.100.10 22 3000)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	expect_line(r.out, "deb", "ok hello");
	expect_line(r.out, "lab", "rcode=5");
	/* deb.debian.org is allowed on 80 and 443 only. */
	expect_line(r.out, "lit", "fail");
}

/* The CI profiles, with the forge an operator names in the site fragment
 * beside them: the forge resolves and connects by name; another name, a
 * literal address and another port of the forge do not. */
Test(net, egress_the_ci_profiles_reach_the_sites_forge_by_name_and_nothing_else)
{
	const char *shipped = getenv("BRIG_PROFILES");
	if (!shipped)
		harness_unavailable("BRIG_PROFILES is not set: run the suite through `make integration`");
	char *dir = tmpdir_make("ci-site"), cmd[8192], build[4200];
	snprintf(cmd, sizeof cmd,
		 "cp -R '%s/.' '%s/' && mkdir '%s/site' && echo 'egress-allow-host forge.test:80/tcp' > '%s/site/forge.inc'",
		 shipped, dir, dir, dir);
	cr_assert_eq(sh("%s", cmd), 0, "%s", cmd);
	snprintf(build, sizeof build, "BUILDKITE_BUILD_PATH=%s", tmpdir_make("bk-build"));
	const char *const env[] = { build, NULL };
	static const char *const ci[] = { "gitlab", "buildkite" };
	for (size_t i = 0; i < sizeof ci / sizeof ci[0]; i++) {
		char profile[4200];
		snprintf(profile, sizeof profile, "%s/%s", dir, ci[i]);
		struct brig_result r;
		/* The literal address first: before the name is asked, nothing
		 * let it into the job's set. */
		lab_job_env(&r, ((const char *const[]){ "--profile", profile, NULL }),
			    "echo lit=$(" NET_TRY " tcp 198.51.100.10 80 3000); " RESOLVE_AND_TRY("forge", "forge.test")
			    "echo lab=$(" DNS_ASK " udp " JOB_NS " lab.test); echo port=$(" NET_TRY " udp 198.51.100.10 7 3000)",
			    env);
		cr_assert_eq(r.status, 0, "%s" RESULT_FMT, ci[i], RESULT_ARGS(r));
		expect_line(r.out, "forge_addr", "198.51.100.10");
		expect_line(r.out, "forge", "ok hello");
		expect_line(r.out, "lab", "rcode=5");
		expect_line(r.out, "port", "fail");
		char *lit = kv_get(r.out, "lit");
		assert_fails_fast(lit ? lit : "", "a literal address");
		free(lit);
	}
}

/* The set's element outlives the record's TTL (2 s in the lab) by the
 * grace (at least a minute), then goes. */
Test(net, egress_an_address_expires_after_its_ttl_and_grace, .timeout = 320)
{
	struct brig_result r;
	struct brig_proc p;
	const char *argv[] = { "run", "--ro-bind", harness_helpers_bind(), "--net", "veth", "--egress-default", "deny",
			       "--egress-allow-host", "ok.test", "--", "/bin/sh", "-c",
			       RESOLVE_AND_TRY("first", "ok.test") "echo ready; sleep 300", NULL };
	struct brig_opts o = { .netns = lab_host, .limit_s = 310 };
	brig_start(&p, &o, argv);
	cr_assert(brig_wait_stdout(&p, "ready", 30), "the job did not start: %s %s", p.out.data, p.err.data);
	cr_expect(strstr(p.out.data, "first=ok hello"), "%s", p.out.data);
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "ip netns exec %s nft -j list sets table inet brig 2>/dev/null | grep -o '198.51.100.10' | head -1",
		 lab_host);
	char *in = sh_out(cmd);
	cr_expect(strstr(in, "198.51.100.10"), "the address is not in the job's set");
	free(in);
	long long t0 = now_ms(), gone_ms = -1;
	/* The kernel drops expired elements on its own schedule: wait on the
	 * set itself, well past TTL + grace. */
	while (now_ms() - t0 < 240 * 1000) {
		in = sh_out(cmd);
		bool present = strstr(in, "198.51.100.10") != NULL;
		free(in);
		if (!present) {
			gone_ms = now_ms() - t0;
			break;
		}
		usleep(500 * 1000);
	}
	brig_kill_and_reap(&p, SIGTERM);
	brig_finish(&p, &r, 10);
	cr_expect_geq(gone_ms, (long long)(60 - 5) * 1000, "the element went after %lld ms, before the grace", gone_ms);
	cr_expect_neq(gone_ms, -1, "the element never expired");
}

Test(net, egress_a_flood_of_queries_neither_grows_nor_stalls_the_supervisor, .timeout = 240)
{
	struct brig_result r;
	struct brig_proc p;
	const char *argv[] = { "run", "--ro-bind", harness_helpers_bind(), "--net", "veth", "--egress-default", "deny",
			       "--egress-allow-host", "ok.test", "--", "/bin/sh", "-c",
			       "echo before=$(" DNS_ASK " udp " JOB_NS " ok.test); echo ready; read go; "
			       "echo flood=$(" DNS_ASK " flood " JOB_NS " 100000); "
			       "echo after=$(" DNS_ASK " udp " JOB_NS " ok.test); echo done",
			       NULL };
	struct brig_opts o = { .netns = lab_host, .limit_s = 200, .stdin_data = "go\n" };
	brig_start(&p, &o, argv);
	cr_assert(brig_wait_stdout(&p, "ready", 30), "the job did not start: %s %s", p.out.data, p.err.data);
	char path[64], cmd[128];
	snprintf(path, sizeof path, "/proc/%d/status", (int)p.pid);
	snprintf(cmd, sizeof cmd, "awk '/^VmRSS/{print $2}' %s", path);
	char *s = sh_out(cmd);
	long before_kib = atol(s), peak_kib = before_kib;
	free(s);
	while (!strstr(p.out.data ? p.out.data : "", "done") && brig_wait_stdout(&p, "done", 0.5) == false) {
		s = sh_out(cmd);
		long v = atol(s);
		free(s);
		if (v > peak_kib)
			peak_kib = v;
		if (v == 0)
			break;
	}
	brig_finish(&p, &r, 60);
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	long sent = -1, answered = -1, ms = -1;
	char *flood = kv_get(r.out, "flood");
	cr_assert(flood && sscanf(flood, "sent=%ld answered=%ld ms=%ld", &sent, &answered, &ms) == 3, "%s", r.out);
	free(flood);
	cr_expect_eq(sent, 100000);
	/* 256 in flight at most: nearly all are answered. */
	cr_expect_gt(answered, 99000, "%ld of %ld answered", answered, sent);
	expect_line(r.out, "after", "rcode=0 addrs=198.51.100.10");
	cr_expect_lt(peak_kib - before_kib, 8 * 1024, "the supervisor grew from %ld to %ld KiB", before_kib, peak_kib);
	/* Reported within the rate: far fewer lines than refusals. */
	cr_expect_lt(line_count(r.err), 300, "%zu stderr lines", line_count(r.err));
}

/* ---- the name gate: TCP 443 and 80 to a name's address go through the
 * supervisor, which checks the TLS server name or the HTTP Host (the lab's
 * :443 is TLS echoing what it is sent; its :80 says "hello") ---- */

/* One line through TLS with server name SNI (socat's options: "snihost=N"
 * or "no-sni=1"), or the error that ended it. */
#define TLS_TRY(key, addr, opts) \
	"echo " key "=$(echo ping | timeout 10 socat -t3 - \"OPENSSL:" addr ":443,verify=0," opts "\" 2>&1 | tail -1); "

Test(net, egress_the_gate_passes_an_allowed_server_name_with_bytes_intact_both_ways)
{
	struct brig_result r;
	/* 3 MB each way, over IPv4 and IPv6, compared byte for byte. */
	lab_job(&r, EGRESS("--egress-allow-host", "ok.test"),
		"a=$(getent ahostsv4 ok.test | awk 'NR==1{print $1}'); getent ahostsv6 ok.test >/dev/null; "
		"head -c 3000000 /dev/urandom > /tmp/sent; "
		"for t in \"$a\" '[2001:db8::10]'; do "
		"timeout 30 socat -t5 - \"OPENSSL:$t:443,verify=0,snihost=ok.test\" </tmp/sent >/tmp/got; "
		"if cmp -s /tmp/sent /tmp/got; then echo \"same $t=yes\"; else echo \"same $t=no $(wc -c </tmp/got)\"; fi; "
		"done");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	expect_line(r.out, "same 198.51.100.10", "yes");
	expect_line(r.out, "same [2001:db8::10]", "yes");
	cr_expect(!strstr(r.err, "refused"), "a refusal:\n%s", r.err);
}

Test(net, egress_the_gate_refuses_a_name_that_did_not_resolve_there_no_name_and_garbage)
{
	struct brig_result r;
	char status[4200];
	char *dir = tmpdir_make("gate");
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	lab_job(&r,
		EGRESS("--status-file", status, "--egress-allow-host", "ok.test", "--egress-allow-host", "*.wild.test"),
		"a=$(getent ahostsv4 ok.test | awk 'NR==1{print $1}'); "
		TLS_TRY("ok", "$a", "snihost=ok.test")
		/* Same address, a name never allowed. */
		TLS_TRY("evil", "$a", "snihost=evil.test")
		/* Allowed, but the job never asked for it here. */
		TLS_TRY("wild", "$a", "snihost=a.wild.test")
		"getent ahostsv4 a.wild.test >/dev/null; " TLS_TRY("wild_asked", "$a", "snihost=a.wild.test")
		TLS_TRY("nosni", "$a", "no-sni=1")
		"echo garbage=$(" NET_TRY " http $a 443 3000 ok.test); "
		"echo http_ok=$(" NET_TRY " http $a 80 3000 ok.test); "
		"echo http_evil=$(" NET_TRY " http $a 80 3000 evil.test); "
		"echo http_none=$(" NET_TRY " http $a 80 3000 '')");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	expect_line(r.out, "ok", "ping");
	expect_line(r.out, "wild_asked", "ping");
	expect_line(r.out, "http_ok", "ok hello");
	static const char *const refused[] = { "evil", "wild", "nosni" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		char *v = kv_get(r.out, refused[i]);
		cr_expect(v && strstr(v, "reset by peer"), "%s was not reset: %s\n%s", refused[i], v ? v : "?", r.out);
		free(v);
	}
	expect_line(r.out, "garbage", "fail ECONNRESET");
	expect_line(r.out, "http_evil", "fail ECONNRESET");
	expect_line(r.out, "http_none", "fail ECONNRESET");
	cr_expect(strstr(r.err, "refused a tls connection to 198.51.100.10 port 443 naming evil.test (not allowed)") &&
			  strstr(r.err, "naming a.wild.test (not an address of this name)") &&
			  strstr(r.err, "naming (none) (no server name)"),
		  "refusals not reported:\n%s", r.err);
	char *text = file_read(status);
	cr_assert(text);
	cr_expect(strstr(text, "\"name\":\"evil.test\",\"address\":\"198.51.100.10\",\"port\":443,\"proto\":\"tls\""),
		  "no event for evil.test: %s", text);
	cr_expect(strstr(text, "\"port\":443,\"proto\":\"tls\",\"reason\":\"not tls\""), "no event for garbage: %s", text);
	cr_expect(strstr(text, "\"name\":\"evil.test\",\"address\":\"198.51.100.10\",\"port\":80,\"proto\":\"http\""),
		  "no event for the Host evil.test: %s", text);
	free(text);
}

Test(net, egress_the_gate_carries_many_parallel_connections_and_leaves_nothing, .timeout = 300)
{
	struct brig_result r;
	/* 60 HTTP and 20 TLS connections at once, each one checked. */
	lab_job(&r, EGRESS("--egress-allow-host", "ok.test"),
		"a=$(getent ahostsv4 ok.test | awk 'NR==1{print $1}'); cd /tmp; "
		"for i in $(seq 60); do " NET_TRY " http $a 80 20000 ok.test > h$i & done; "
		"for i in $(seq 20); do (echo tls$i | timeout 30 socat -t5 - \"OPENSSL:$a:443,verify=0,snihost=ok.test\" > t$i 2>&1) & done; "
		"wait; echo http=$(cat h* | grep -c '^ok hello'); echo tls=$(cat t* | grep -c '^tls'); cat h* t* | grep -v '^ok\\|^tls' | head -5");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	expect_line(r.out, "http", "60");
	expect_line(r.out, "tls", "20");
	assert_nothing_left();
}

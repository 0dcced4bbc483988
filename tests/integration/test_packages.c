/* A package install as a CI script does it as root in a container:
 * `apt-get update && apt-get install -y PKG` under the shipped `network`
 * profile, over an overlay of the host's root, from a package repository
 * the test builds (dpkg-deb, dpkg-scanpackages) and serves over HTTP from
 * the network lab's "internet" namespace (tests/net/lab.sh): the job's
 * requests go through its veth and brig's firewall, and no packet leaves
 * the lab. A bare install would change the host, so the reference is what
 * dpkg itself says of the package (dpkg-deb --contents, run bare), and
 * the host's package database and /usr are compared before and after. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char lab[32];
static char lab_host[40];

static const char *lab_script(void)
{
	const char *s = getenv("BRIG_NET_LAB");
	return s && *s && strcmp(s, "0") != 0 ? s : "tests/net/lab.sh";
}

/* Runs a shell command; its output goes to the test's log. */
static int sh(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void packages_up(void)
{
	harness_setup();
	harness_need_root("the network lab, net veth and an overlay of the host's root need root");
	const char *flag = getenv("BRIG_NET_LAB");
	if (flag && strcmp(flag, "0") == 0)
		harness_not_on_this_host("the network lab is not part of this run (BRIG_NET_LAB=0)");
	static const char *const tools[] = { "ip", "socat", "dnsmasq", "nft", "ss", "python3",
					     "dpkg-deb", "dpkg-scanpackages", "apt-get", "gzip" };
	char cmd[4096];
	for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
		snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tools[i]);
		if (sh(cmd) != 0)
			harness_unavailable("the package test needs %s (make deps installs it)", tools[i]);
	}
	if (access(lab_script(), X_OK) != 0)
		harness_unavailable("the network lab script %s is missing", lab_script());
	snprintf(lab, sizeof lab, "bp%x", (unsigned)getpid());
	snprintf(lab_host, sizeof lab_host, "%s-h", lab);
	snprintf(cmd, sizeof cmd, "%s up %s %d", lab_script(), lab, (int)getpid());
	if (sh(cmd) != 0)
		cr_assert_fail("the network lab did not come up");
}

static void packages_down(void)
{
	if (lab[0]) {
		char cmd[256];
		snprintf(cmd, sizeof cmd, "%s down %s", lab_script(), lab);
		sh(cmd); /* also ends the repository's server: its pid is in the lab's state */
	}
	harness_teardown();
}

TestSuite(packages, .init = packages_up, .fini = packages_down, .timeout = 240);

/* The package: a program, a file owned by daemon:staff with mode 0640, a
 * set-group-ID directory of group staff (as Debian's /var/local), and a
 * postinst that adds a system user and gives it a directory, as packages
 * of services do. Builds it in dir/pkg, indexes it in dir/repo. */
static void build_repository(const char *dir)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd,
		 "set -e; cd '%s'; umask 022; p=pkg; mkdir -p $p/DEBIAN $p/usr/bin $p/usr/share/brig-hello/shared repo;"
		 "printf 'Package: brig-hello\\nVersion: 1.0\\nArchitecture: all\\n"
		 "Maintainer: brig tests <tests@example.invalid>\\nDescription: brig test package\\n a package\\n'"
		 " > $p/DEBIAN/control;"
		 "printf '#!/bin/sh\\necho hello-from-the-package\\n' > $p/usr/bin/brig-hello;"
		 "printf '#!/bin/sh\\nset -e\\ngetent passwd brig-hello >/dev/null ||"
		 " useradd --system --user-group --no-create-home --home-dir /var/lib/brig-hello brig-hello\\n"
		 "install -d -o brig-hello -g brig-hello -m 0750 /var/lib/brig-hello\\n' > $p/DEBIAN/postinst;"
		 "chmod 0755 $p/usr/bin/brig-hello $p/DEBIAN/postinst; echo data > $p/usr/share/brig-hello/data;"
		 "chown -R 0:0 $p; chown daemon:staff $p/usr/share/brig-hello/data; chmod 0640 $p/usr/share/brig-hello/data;"
		 "chown root:staff $p/usr/share/brig-hello/shared; chmod 2775 $p/usr/share/brig-hello/shared;"
		 "dpkg-deb -Zgzip --build $p repo/brig-hello_1.0_all.deb >/dev/null;"
		 "cd repo; dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null; gzip -k Packages",
		 dir);
	cr_assert_eq(sh(cmd), 0, "building the package repository failed");
}

/* Serves dir/repo at 198.51.100.10:8000 in the lab's internet namespace;
 * the lab's `down` ends the server (its pid goes to the lab's state). */
static void serve_repository(const char *dir)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd,
		 "ip netns exec %s-c python3 -m http.server 8000 --bind 198.51.100.10 --directory '%s/repo'"
		 " >/dev/null 2>&1 & echo $! > /run/brig-lab/%s/apt-repo.pid",
		 lab, dir, lab);
	cr_assert_eq(sh(cmd), 0, "starting the repository's server failed");
	snprintf(cmd, sizeof cmd, "ip netns exec %s-c ss -Hltn | grep -qF ' 198.51.100.10:8000 '", lab);
	long long end = harness_deadline_ms(20000);
	while (sh(cmd) != 0) {
		cr_assert_lt(now_ms(), end, "the repository's server did not start listening");
		usleep(50 * 1000);
	}
}

/* What the host's package state is: the dpkg database's status file and
 * the newest change under /usr, the database and /etc/apt since stamp. */
static char *host_package_state(const char *stamp)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd,
		 "sha256sum /var/lib/dpkg/status; ls /var/lib/dpkg/info | grep -c '^brig-hello' ;"
		 "test -e /usr/bin/brig-hello && echo '/usr/bin/brig-hello exists';"
		 "find /usr /var/lib/dpkg /etc/apt /etc/passwd /etc/group -newer '%s' -print 2>/dev/null | head -5",
		 stamp);
	return command_output(cmd, NULL);
}

Test(packages, apt_get_install_from_a_local_repository_in_an_overlay_of_the_host)
{
	char *dir = tmpdir_make("aptrepo");
	build_repository(dir);
	serve_repository(dir);

	/* What dpkg says the package holds, bare: "MODE OWNER/GROUP /PATH". */
	char cmd[8192];
	snprintf(cmd, sizeof cmd,
		 "dpkg-deb --contents '%s/repo/brig-hello_1.0_all.deb' | "
		 "awk '{ n = $6; sub(/^\\./, \"\", n); sub(/\\/$/, \"\", n); if (n != \"\") print \"own \" $1, $2, n }' | "
		 "sort",
		 dir);
	char *expected = command_output(cmd, NULL);
	cr_assert(strstr(expected, "own -rw-r----- daemon/staff /usr/share/brig-hello/data\n"), "%s", expected);
	cr_assert(strstr(expected, "own drwxrwsr-x root/staff /usr/share/brig-hello/shared\n"), "%s", expected);

	char stamp[4200];
	snprintf(stamp, sizeof stamp, "%s/stamp", dir);
	file_write(dir, "stamp", "", 0644);
	char *before = host_package_state(stamp);

	char *ws = tmpdir_make("aptws");
	char status[4200];
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	char profile[512];
	snprintf(profile, sizeof profile, "%s/network", getenv("BRIG_PROFILES") ?: "profiles");
	static const char script[] =
		"set -e; echo 'deb [trusted=yes] http://198.51.100.10:8000 ./' > /etc/apt/sources.list;"
		"rm -f /etc/apt/sources.list.d/*; apt-get -q update; apt-get -q install -y brig-hello;"
		"echo said=$(brig-hello); echo status=$(dpkg-query -W -f '${Status}' brig-hello);"
		"dpkg -L brig-hello | while read f; do [ \"$f\" = /. ] || stat -c 'own %A %U/%G %n' \"$f\"; done | sort;"
		"echo svc=$(stat -c %U:%G:%a /var/lib/brig-hello)";
	struct brig_result r;
	struct brig_opts o = { .netns = lab_host, .limit_s = 180 };
	brig_run(&r, &o,
		 BRIG_ARGS("run", "--profile", profile, "--quiet", "--rootfs", "host", "--rootfs-mode", "overlay",
			   "--workspace", ws, "--status-file", status, "--", "/bin/sh", "-c", script));
	if (r.status == 125 && strstr(r.err, "idmapped mount"))
		harness_not_on_this_host("the host's /usr cannot be idmapped: %s", r.err);
	cr_assert_eq(r.status, 0, "the install failed" RESULT_FMT, RESULT_ARGS(r));
	char *v = kv_get(r.out, "said");
	cr_expect_str_eq(v ?: "?", "hello-from-the-package", RESULT_FMT, RESULT_ARGS(r));
	free(v);
	v = kv_get(r.out, "status");
	cr_expect_str_eq(v ?: "?", "install ok installed", RESULT_FMT, RESULT_ARGS(r));
	free(v);
	v = kv_get(r.out, "svc");
	cr_expect_str_eq(v ?: "?", "brig-hello:brig-hello:750", "the postinst's user and directory" RESULT_FMT,
			 RESULT_ARGS(r));
	free(v);

	/* Every path of the package, with the mode and owner dpkg says. */
	size_t n = 0;
	for (char *save = NULL, *l = strtok_r(expected, "\n", &save); l; l = strtok_r(NULL, "\n", &save), n++) {
		char line[1024];
		snprintf(line, sizeof line, "%s\n", l);
		cr_expect(strstr(r.out, line), "inside, not as dpkg says: %s" RESULT_FMT, l, RESULT_ARGS(r));
	}
	size_t inside = 0;
	for (const char *l = r.out; (l = strstr(l, "own ")); l += 4)
		inside += l == r.out || l[-1] == '\n';
	cr_expect_eq(inside, n, "%zu paths inside, dpkg-deb lists %zu" RESULT_FMT, inside, n, RESULT_ARGS(r));
	cr_expect_gt(n, 5, "the package lists too few paths");

	char *text = file_read(status);
	char *exited = text ? json_event_line(text, "exited") : NULL;
	cr_assert(exited, "no exited event" RESULT_FMT, RESULT_ARGS(r));
	cr_expect_str_eq(json_value(exited, "denials") ?: "?", "0", "%s", exited);

	char *after = host_package_state(stamp);
	cr_expect_str_eq(after, before, "the host's package state changed:\nbefore:\n%s\nafter:\n%s", before, after);
	cr_expect(strstr(after, "\n0\n"), "the host's dpkg database knows the package:\n%s", after);
}

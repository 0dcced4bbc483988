/* The shipped profiles: each one is valid and runs a real job, and the
 * command line overrides what a profile says. BRIG_PROFILES names a copy
 * of profiles/ that brig's user can read (the Makefile makes it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

BRIG_SUITE(profiles);

/* `network`, `registries`, `buildkite` and `gitlab` are here for `profile check` only:
 * they change the host's firewall and forwarding, so their jobs run in the network
 * lab (test_net.c). */
static const char *const shipped[] = { "default",   "strict",    "permissive",         "network",        "registries",
				       "buildkite", "gitlab",    "buildkite-rootless", "gitlab-rootless" };
static const char *const runnable[] = { "default", "strict", "permissive", "buildkite-rootless", "gitlab-rootless" };

static const char *profile_path(const char *name)
{
	static char path[4096];
	const char *dir = getenv("BRIG_PROFILES");
	if (!dir)
		harness_unavailable("BRIG_PROFILES is not set: run the suite through `make integration`");
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

Test(profiles, every_shipped_profile_passes_check)
{
	for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
		struct brig_result r;
		BRIG(&r, "profile", "check", profile_path(shipped[i]));
		cr_expect_eq(r.status, 0, "%s" RESULT_FMT, shipped[i], RESULT_ARGS(r));
	}
}

/* strict requires its cgroup limits: where the host cannot give them, it
 * must refuse to start rather than run unlimited. */
static bool refuses_here(const char *name)
{
	return strcmp(name, "strict") == 0 &&
	       (harness_unprivileged() || !harness_cgroup_has("memory") || !harness_cgroup_has("pids") ||
		!harness_cgroup_has("cpu"));
}

Test(profiles, every_shipped_profile_runs_a_job)
{
	/* The buildkite profile binds the build path the agent names. */
	char build[4200];
	snprintf(build, sizeof build, "BUILDKITE_BUILD_PATH=%s", tmpdir_make("bk-build"));
	const char *const env[] = { build, NULL };
	struct brig_opts o = { .env = env };
	for (size_t i = 0; i < sizeof runnable / sizeof runnable[0]; i++) {
		const char *const *shipped = runnable;
		struct brig_result r;
		brig_run(&r, &o, BRIG_ARGS("run", "--profile", profile_path(shipped[i]), "--", "/bin/sh", "-c",
					   "echo ran=$(id -u)"));
		if (refuses_here(shipped[i])) {
			cr_expect_eq(r.status, 125, "%s" RESULT_FMT, shipped[i], RESULT_ARGS(r));
			cr_expect_not_null(strstr(r.err, "controller"), "%s" RESULT_FMT, shipped[i], RESULT_ARGS(r));
			continue;
		}
		cr_expect_eq(r.status, 0, "%s" RESULT_FMT, shipped[i], RESULT_ARGS(r));
		cr_expect_str_eq(kv_get(r.out, "ran") ?: "?", "0", "%s" RESULT_FMT, shipped[i], RESULT_ARGS(r));
	}
}

#define SITE_FORGE "/etc/brig/site/forge.inc"

/* The CI profiles need the forge's name from the operator's site
 * fragment, and root for their veth: without either, one line says what
 * to set, and nothing of the job runs. */
Test(profiles, a_ci_profile_without_its_forge_or_root_says_what_to_set)
{
	if (access(SITE_FORGE, F_OK) == 0)
		harness_not_on_this_host("this host has a site forge (" SITE_FORGE ")");
	char build[4200];
	snprintf(build, sizeof build, "BUILDKITE_BUILD_PATH=%s", tmpdir_make("bk-build"));
	const char *const env[] = { build, NULL };
	struct brig_opts o = { .env = env };
	static const char *const ci[] = { "buildkite", "gitlab" };
	for (size_t i = 0; i < sizeof ci / sizeof ci[0]; i++) {
		struct brig_result r;
		brig_run(&r, &o, BRIG_ARGS("run", "--profile", profile_path(ci[i]), "--", "/bin/sh", "-c", "echo ran"));
		cr_expect_eq(r.status, 125, "%s" RESULT_FMT, ci[i], RESULT_ARGS(r));
		cr_expect_null(strstr(r.out, "ran"), "%s" RESULT_FMT, ci[i], RESULT_ARGS(r));
		cr_expect_eq(line_count(r.err), 1, "%s: not one line" RESULT_FMT, ci[i], RESULT_ARGS(r));
		const char *want = harness_unprivileged() ? "net veth needs root" :
							    "not configured on this host: write " SITE_FORGE;
		cr_expect_not_null(strstr(r.err, want), "%s: expected \"%s\"" RESULT_FMT, ci[i], want, RESULT_ARGS(r));
		cr_expect_not_null(strstr(r.err, harness_unprivileged() ? "gitlab-rootless" : "egress-allow-host"),
				   "%s" RESULT_FMT, ci[i], RESULT_ARGS(r));
	}
}

Test(profiles, the_command_line_overrides_the_profile)
{
	/* A profile that includes the shipped default and names the host;
	 * the flag wins, seen from inside. */
	char *dir = tmpdir_make("override");
	char text[4300];
	snprintf(text, sizeof text, "hostname from-profile\ntmpfs /var/tmp\n");
	char *profile = file_write(dir, "p", text, 0644);
	struct brig_result r;
	BRIG(&r, "run", "--profile", profile, "--", "/bin/sh", "-c", "echo host=$(hostname)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	char *from_profile = kv_get(r.out, "host");
	cr_assert_str_eq(from_profile, "from-profile");
	BRIG(&r, "run", "--profile", profile, "--hostname", "flagged", "--", "/bin/sh", "-c",
	     "echo host=$(hostname)");
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_str_eq(kv_get(r.out, "host"), "flagged");
	cr_assert_str_neq(from_profile, "flagged");
}

Test(profiles, a_broken_profile_exits_125_naming_file_and_line)
{
	char *dir = tmpdir_make("badprofile");
	char *path = file_write(dir, "bad", "tmpfs /var/tmp\nmemroy 4G\n", 0644);
	struct brig_result r;
	BRIG(&r, "run", "--profile", path, "--", "/bin/true");
	cr_assert_eq(r.status, 125, RESULT_FMT, RESULT_ARGS(r));
	cr_assert_eq(line_count(r.err), 1, RESULT_FMT, RESULT_ARGS(r));
	char want[4200];
	snprintf(want, sizeof want, "%s:2: ", path);
	cr_assert_not_null(strstr(r.err, want), RESULT_FMT, RESULT_ARGS(r));
	cr_assert_not_null(strstr(r.err, "memory"), "no suggestion" RESULT_FMT, RESULT_ARGS(r));
}

Test(profiles, profile_check_checks_syscall_policies)
{
	char *dir = tmpdir_make("badpolicy");
	char *policy = file_write(dir, "bad.policy", "include default\nnot_a_call errno EPERM\n", 0644);
	struct brig_result r;
	BRIG(&r, "profile", "check", policy);
	cr_assert_eq(r.status, 1, RESULT_FMT, RESULT_ARGS(r));
	char want[4200];
	snprintf(want, sizeof want, "%s:2: not_a_call: unknown system call", policy);
	cr_assert_not_null(strstr(r.err, want), RESULT_FMT, RESULT_ARGS(r));
	/* A profile naming that policy fails its check as well. */
	char text[4300];
	snprintf(text, sizeof text, "seccomp %s\n", policy);
	char *profile = file_write(dir, "uses-it", text, 0644);
	BRIG(&r, "profile", "check", profile);
	cr_assert_eq(r.status, 1, RESULT_FMT, RESULT_ARGS(r));
	BRIG(&r, "profile", "check", profile_path("seccomp/default.policy"));
	cr_assert_eq(r.status, 0, RESULT_FMT, RESULT_ARGS(r));
}

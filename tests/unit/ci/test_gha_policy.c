/* The image map and what untrusted container settings may ask. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "brig/ci/gha_images.h"
#include "brig/ci/gha_policy.h"
#include "brig/lib/log.h"

static char *rootfs;
static struct brig_err e;

static void teardown(void)
{
	free(rootfs);
	rootfs = NULL;
}
TestSuite(gha_policy, .fini = teardown);

static const char *lookup(const char *map, const char *image)
{
	free(rootfs);
	rootfs = NULL;
	e = (struct brig_err)BRIG_ERR_INIT;
	cr_assert_eq(gha_images_lookup(map, image, &rootfs, &e), 0, "%s", e.msg);
	return rootfs;
}

Test(gha_policy, the_first_matching_line_wins_with_globs)
{
	const char *map = "# the site's images\n"
			  "\n"
			  "debian:bookworm   /srv/brig/bookworm/  # built by rootfs/mkrootfs\n"
			  "debian:*\thost\n"
			  "ghcr.io/acme/*:v1 /srv/brig/acme\n";
	cr_expect_str_eq(lookup(map, "debian:bookworm"), "/srv/brig/bookworm");
	cr_expect_str_eq(lookup(map, "debian:trixie"), "host");
	cr_expect_str_eq(lookup(map, "ghcr.io/acme/tools:v1"), "/srv/brig/acme");
	cr_expect_null(lookup(map, "ubuntu:24.04"));
	cr_expect_null(lookup(map, "debian"));
	cr_expect_null(lookup("", "debian:bookworm"));
}

Test(gha_policy, a_bad_map_line_is_named)
{
	cr_expect_eq(gha_images_lookup("a host\nb\n", "x", &rootfs, &e), -EINVAL);
	cr_expect_str_eq(e.msg, "2: expected IMAGE ROOTFS");
	cr_expect_eq(e.code, -EINVAL);
	cr_expect_eq(gha_images_lookup("a relative/dir\n", "a", &rootfs, &e), -EINVAL);
	cr_expect(strstr(e.msg, "1: relative/dir"), "%s", e.msg);
	cr_expect_eq(gha_images_lookup("a /x extra\n", "a", &rootfs, &e), -EINVAL);
	cr_expect_null(rootfs);
}

Test(gha_policy, path_like_references_are_not_images)
{
	const char *bad[] = { "", "/", "/srv/brig/bookworm", "./x", "../x", "a/../../b", "~root", "-v", "a b", "a//b",
			      "a\nb", "debian:bookworm;rm", "$(id)" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_expect_not_null(gha_image_problem(bad[i]), "accepted '%s'", bad[i]);
	const char *good[] = { "debian:bookworm", "node:20-bookworm-slim", "ghcr.io/acme/tools:v1.2",
			       "registry.example.com:5000/a/b@sha256:0123abcd", "alpine" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		cr_expect_null(gha_image_problem(good[i]), "refused '%s'", good[i]);
}

Test(gha_policy, widening_options_are_refused_the_rest_ignored)
{
	const char *refused[] = { "--privileged", "--network", "--network=host", "--net=host", "--pid", "--pid=host",
				  "-v", "-v/:/host", "--volume=/:/x", "--mount", "--cap-add", "--cap-add=ALL",
				  "--device", "--device=/dev/kvm", "--user", "--user=0", "-u", "-u0",
				  "--security-opt", "--userns=host", "--ipc=host", "--group-add" };
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		cr_expect_not_null(gha_option_refusal(refused[i]), "not refused: %s", refused[i]);
	const char *ignored[] = { "--cpus", "--memory=4g", "-m", "--hostname", "--name", "--label", "--init",
				  "--network-aliasx", "--netx", "--entrypoint", "-e", "--env", "--workdir" };
	for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++)
		cr_expect_null(gha_option_refusal(ignored[i]), "refused: %s", ignored[i]);
}

static struct gha_container container(const char *opts)
{
	return (struct gha_container){ .create_options = (char *)opts };
}

/* The check's verdict and its one line, which the hook's top level prints. */
static int check(const struct gha_container *c, const char *want)
{
	struct brig_err e = BRIG_ERR_INIT;
	int r = gha_check_container(c, "t", &e);
	if (want)
		cr_expect(strstr(e.msg, want), "'%s' lacks '%s'", e.msg, want);
	else
		cr_expect_str_eq(e.msg, "");
	return r;
}

Test(gha_policy, create_options_as_a_whole)
{
	brig_log_quiet = true;
	struct gha_container c = container("--cpus 1 --memory 2g");
	cr_expect_eq(check(&c, NULL), 0);
	c = container("--cpus 1 --privileged");
	cr_expect_eq(check(&c, "gha: t: option --privileged refused: it would give the job privileges"), -EPERM);
	c = container("--label 'x y' --network  host");
	cr_expect_eq(check(&c, "option --network refused"), -EPERM);
	c = container("--label 'unbalanced");
	cr_expect_eq(check(&c, "unbalanced quotes"), -EPERM);
	struct gha_mount host = { .source = "/etc", .target = "/x" }, named = { .source = "cache", .target = "/c" },
			 anon = { .target = "/d" };
	c = (struct gha_container){ .user = &anon, .n_user = 1 };
	cr_expect_eq(check(&c, NULL), 0);
	c.user = &host;
	cr_expect_eq(check(&c, "gha: t: volume /etc:/x refused"), -EPERM);
	c.user = &named;
	cr_expect_eq(check(&c, "volume cache:/c refused"), -EPERM);
	struct gha_mount sock = { .source = "/var/run/docker.sock", .target = "/var/run/docker.sock" },
			 sock2 = { .source = "/run/docker.sock", .target = "/x/docker.sock" }, work = { .source = "/r/_work", .target = "/__w" };
	cr_expect(gha_is_docker_socket(&sock));
	cr_expect(gha_is_docker_socket(&sock2));
	cr_expect_not(gha_is_docker_socket(&work));
	brig_log_quiet = false;
}

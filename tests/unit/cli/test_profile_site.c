/* include site/NAME: the operator's fragments, found beside the profile or
 * in the system's site directory, refused when someone else could have
 * written them, and named with what to write when missing. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/cli/profile.h"
#include "brig/config/config.h"
#include "helpers/unit.h"

UNIT_FILES_SUITE(profile_site);

static void make_dir(const char *rel)
{
	cr_assert_eq(mkdir(path_of(rel), 0700), 0);
}

static const char *put_file(const char *rel, const char *text, mode_t mode)
{
	const char *p = path_of(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
	return p;
}

/* A name no host has in its site directory. */
#define ABSENT "brig-unit-absent-fragment"

Test(profile_site, a_site_fragment_beside_the_profile_is_read)
{
	make_dir("site");
	put_file("site/forge.inc", "egress-allow-host forge.example.com:443/tcp\n", 0644);
	const char *p = put_file("p", "net veth\negress-default deny\ninclude site/forge\n", 0644);
	cr_assert_eq(profile_load(p, &cfg), 0, "%s", stderr_text());
	cr_assert_eq(cfg.net.n_hosts, 1);
	cr_assert_str_eq(cfg.net.hosts[0].name, "forge.example.com");
	cr_assert_eq(cfg.net.hosts[0].port_lo, 443);
}

Test(profile_site, a_missing_site_fragment_says_what_to_write)
{
	const char *p = put_file("p", "include site/" ABSENT "\n", 0644);
	cr_assert_eq(profile_load(p, &cfg), -ENOENT);
	char want[1024];
	snprintf(want, sizeof want,
		 "brig: %s:1: include site/" ABSENT ": not configured on this host: write " PROFILE_SITE_DIR "/" ABSENT
		 ".inc with the directives this site adds (see profiles/README.md, Site fragments)\n",
		 p);
	cr_assert_str_eq(stderr_text(), want);
}

Test(profile_site, the_forge_hint_names_the_directive_and_brig_gitlab_config)
{
	const char *hint = profile_site_hint("forge");
	cr_assert(strstr(hint, "egress-allow-host") && strstr(hint, "brig gitlab config"), "%s", hint);
}

/* Without root, the site fragment is not what stops a veth profile. */
Test(profile_site, without_root_a_missing_fragment_of_a_veth_profile_names_root)
{
	const char *p = put_file("p", "net veth\ninclude site/" ABSENT "\n", 0644);
	int r = profile_load(p, &cfg);
	const char *err = stderr_text();
	if (geteuid() == 0) {
		cr_assert_eq(r, -ENOENT);
		cr_assert(strstr(err, "not configured on this host"), "%s", err);
	} else {
		cr_assert_eq(r, -EPERM);
		cr_assert(strstr(err, "net veth needs root") && strstr(err, "gitlab-rootless"), "%s", err);
	}
}

Test(profile_site, a_check_warns_of_a_missing_fragment_but_passes)
{
	const char *p = put_file("p", "include site/" ABSENT "\nhostname box\n", 0644);
	struct brig_reporter rep = { .keep_going = true };
	struct profile_opts o = { .report = &rep, .check = true };
	cr_assert_eq(profile_load_with(p, &cfg, &o), 0);
	cr_assert_eq(rep.problems, 0);
	cr_assert_str_eq(cfg.hostname, "box");
	cr_assert(strstr(stderr_text(), "not configured on this host"));
}

Test(profile_site, a_fragment_others_may_write_is_refused)
{
	make_dir("site");
	const char *inc = put_file("site/forge.inc", "hostname evil\n", 0664);
	const char *p = put_file("p", "include site/forge\n", 0644);
	cr_assert_eq(profile_load(p, &cfg), -EPERM);
	cr_assert_null(cfg.hostname);
	char want[1024];
	snprintf(want, sizeof want,
		 "brig: %s:1: include site/forge: %s: writable by group or others: a site fragment is the "
		 "operator's, only they may change it\n",
		 p, inc);
	cr_assert_str_eq(stderr_text(), want);
}

Test(profile_site, names_are_one_plain_component)
{
	static const char *const bad[] = { "site/", "site/../inc/x", "site/a/b", "site/.hidden", "sites/x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct brig_config c;
		config_init(&c);
		char text[128];
		snprintf(text, sizeof text, "include %s\n", bad[i]);
		char rel[16];
		snprintf(rel, sizeof rel, "p%zu", i);
		const char *p = put_file(rel, text, 0644);
		cr_expect_eq(profile_load(p, &c), -EINVAL, "include %s was accepted", bad[i]);
		config_free(&c);
	}
}

/* profile_find_site and profile_site_file_problem */

Test(profile_site, find_takes_the_first_directory_holding_the_fragment)
{
	make_dir("a");
	make_dir("b");
	make_dir("c");
	put_file("b/forge.inc", "\n", 0644);
	put_file("c/forge.inc", "\n", 0644);
	char a[600], b[600], c[600], want[700];
	snprintf(a, sizeof a, "%s/a", dir);
	snprintf(b, sizeof b, "%s/b", dir);
	snprintf(c, sizeof c, "%s/c", dir);
	const char *dirs[] = { NULL, "", a, b, c };
	char *found = profile_find_site(dirs, 5, "forge");
	snprintf(want, sizeof want, "%s/forge.inc", b);
	cr_assert_str_eq(found ? found : "(null)", want);
	free(found);
	errno = 0;
	cr_assert_null(profile_find_site(dirs, 5, "other"));
	cr_assert_eq(errno, ENOENT);
}

Test(profile_site, only_root_or_the_caller_may_own_it_and_only_they_write_it)
{
	struct stat st = { .st_mode = S_IFREG | 0644, .st_uid = 0 };
	cr_assert_null(profile_site_file_problem(&st, 1000));
	st.st_uid = 1000;
	cr_assert_null(profile_site_file_problem(&st, 1000));
	cr_assert_not_null(profile_site_file_problem(&st, 1001));
	st.st_uid = 0;
	st.st_mode = S_IFREG | 0646;
	cr_assert_not_null(profile_site_file_problem(&st, 0));
	st.st_mode = S_IFREG | 0664;
	cr_assert_not_null(profile_site_file_problem(&st, 0));
	st.st_mode = S_IFREG | 0600;
	cr_assert_null(profile_site_file_problem(&st, 0));
}

/* The operator's forge may be a host the shipped lines name already. */
Test(profile_site, a_site_rule_the_profile_gives_already_is_no_mistake)
{
	make_dir("inc");
	make_dir("site");
	put_file("inc/reg.inc", "egress-allow-host github.com:443/tcp\n", 0644);
	put_file("site/forge.inc", "egress-allow-host github.com:443/tcp\n", 0644);
	const char *p = put_file("p", "net veth\negress-default deny\ninclude reg\ninclude site/forge\n", 0644);
	cr_assert_eq(profile_load(p, &cfg), 0, "%s", stderr_text());
	cr_assert_eq(config_check(&cfg, NULL), 0, "%s", stderr_text());
}

/* Within the site fragment, as within any profile, a repeat is a mistake. */
Test(profile_site, a_rule_repeated_within_the_site_fragment_is_a_mistake)
{
	make_dir("site");
	put_file("site/forge.inc", "egress-allow-host a.example.com\negress-allow-host a.example.com\n", 0644);
	const char *p = put_file("p", "net veth\ninclude site/forge\n", 0644);
	cr_assert_eq(profile_load(p, &cfg), 0, "%s", stderr_text());
	cr_assert_eq(config_check(&cfg, NULL), -EINVAL);
	cr_assert(strstr(stderr_text(), "the same rule is already given"), "%s", stderr_text());
}

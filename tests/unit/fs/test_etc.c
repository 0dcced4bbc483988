#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/config/config.h"
#include "brig/fs/etc.h"
#include "helpers/unit.h"

#define ROOT_PASSWD "root:x:0:0:root:/root:/bin/sh\n"
#define NOBODY_PASSWD "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"

static struct brig_config cfg;

static void setup(void)
{
	config_init(&cfg);
}

static void teardown(void)
{
	config_free(&cfg);
}

TestSuite(etc, .init = setup, .fini = teardown);

static void set_user(uint32_t uid, uint32_t gid)
{
	cfg.user = uid;
	cfg.group = gid;
	cfg.user_set = true;
}

/* etc_home */

Test(etc, home_of_root_is_slash_root)
{
	cr_assert_str_eq(etc_home(&cfg), "/root");
}

Test(etc, home_of_another_user_is_home_job)
{
	set_user(1000, 1000);
	cr_assert_str_eq(etc_home(&cfg), "/home/job");
}

Test(etc, home_of_root_with_another_group_is_slash_root)
{
	set_user(0, 100);
	cr_assert_str_eq(etc_home(&cfg), "/root");
}

/* etc_format_passwd / etc_format_group */

Test(etc, passwd_for_root)
{
	char buf[512];
	const char *want = ROOT_PASSWD NOBODY_PASSWD;
	cr_assert_eq(etc_format_passwd(buf, sizeof buf, &cfg), (int)strlen(want));
	cr_assert_str_eq(buf, want);
}

Test(etc, passwd_for_a_user_adds_the_job_account)
{
	char buf[512];
	set_user(1000, 100);
	const char *want = ROOT_PASSWD "job:x:1000:100:job:/home/job:/bin/sh\n" NOBODY_PASSWD;
	cr_assert_eq(etc_format_passwd(buf, sizeof buf, &cfg), (int)strlen(want));
	cr_assert_str_eq(buf, want);
}

Test(etc, passwd_for_root_with_another_group_has_no_job_account)
{
	char buf[512];
	set_user(0, 100);
	cr_assert_gt(etc_format_passwd(buf, sizeof buf, &cfg), 0);
	cr_assert_str_eq(buf, ROOT_PASSWD NOBODY_PASSWD);
}

Test(etc, group_for_root)
{
	char buf[512];
	const char *want = "root:x:0:\nnogroup:x:65534:\n";
	cr_assert_eq(etc_format_group(buf, sizeof buf, &cfg), (int)strlen(want));
	cr_assert_str_eq(buf, want);
}

Test(etc, group_for_a_user_adds_the_job_group)
{
	char buf[512];
	set_user(1000, 100);
	const char *want = "root:x:0:\njob:x:100:\nnogroup:x:65534:\n";
	cr_assert_eq(etc_format_group(buf, sizeof buf, &cfg), (int)strlen(want));
	cr_assert_str_eq(buf, want);
}

Test(etc, group_for_a_user_in_group_root_has_no_job_group)
{
	char buf[512];
	set_user(1000, 0);
	cr_assert_gt(etc_format_group(buf, sizeof buf, &cfg), 0);
	cr_assert_str_eq(buf, "root:x:0:\nnogroup:x:65534:\n");
}

Test(etc, passwd_in_a_buffer_of_exactly_its_length_plus_nul_fits)
{
	char buf[512];
	size_t need = strlen(ROOT_PASSWD NOBODY_PASSWD) + 1;
	cr_assert_eq(etc_format_passwd(buf, need, &cfg), (int)need - 1);
	cr_assert_str_eq(buf, ROOT_PASSWD NOBODY_PASSWD);
}

Test(etc, passwd_one_byte_short_is_enospc)
{
	char buf[512];
	size_t len = strlen(ROOT_PASSWD NOBODY_PASSWD);
	cr_assert_eq(etc_format_passwd(buf, len, &cfg), -ENOSPC);
}

Test(etc, group_one_byte_short_is_enospc)
{
	char buf[512];
	set_user(1000, 100);
	size_t len = strlen("root:x:0:\njob:x:100:\nnogroup:x:65534:\n");
	cr_assert_eq(etc_format_group(buf, len, &cfg), -ENOSPC);
}

/* A too small buffer must be reported, and nothing may be written past
 * len: the rest of the array stands for whatever follows it in memory. */
static void assert_stays_within(int (*format)(char *, size_t, const struct brig_config *), size_t len)
{
	char buf[512];
	memset(buf, '#', sizeof buf);
	cr_assert_eq(format(buf, len, &cfg), -ENOSPC, "len %zu", len);
	for (size_t i = len; i < sizeof buf; i++)
		cr_assert_eq(buf[i], '#', "len %zu: byte %zu written", len, i);
}

Test(etc, passwd_in_a_tiny_buffer_is_enospc_and_stays_within_it)
{
	assert_stays_within(etc_format_passwd, 8);
}

Test(etc, passwd_for_a_user_in_a_short_buffer_is_enospc_and_stays_within_it)
{
	set_user(1000, 100);
	assert_stays_within(etc_format_passwd, strlen(ROOT_PASSWD) + 4);
}

Test(etc, group_in_a_tiny_buffer_is_enospc_and_stays_within_it)
{
	set_user(1000, 100);
	assert_stays_within(etc_format_group, 4);
}

/* etc_host_entries */

Test(etc, host_entries_hold_no_secrets)
{
	static const char *const secret[] = { "shadow", "gshadow", "passwd", "group", "sudoers",
					      "ssh", "machine-id", "security", "krb5", "docker", NULL };
	for (const char *const *e = etc_host_entries; *e; e++)
		for (const char *const *s = secret; *s; s++)
			cr_assert_null(strstr(*e, *s), "%s is shown to jobs", *e);
}

Test(etc, host_entries_are_relative_and_stay_in_etc)
{
	for (const char *const *e = etc_host_entries; *e; e++) {
		cr_assert_neq((*e)[0], '/', "%s", *e);
		cr_assert_null(strstr(*e, ".."), "%s", *e);
		cr_assert_neq((*e)[0], '\0');
	}
}

/* etc_generate */

static char dir[256];
static int dirfd_ = -1;

static void gen_setup(void)
{
	config_init(&cfg);
	unit_tmpdir(dir, sizeof dir);
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(dirfd_, 0);
}

static void gen_teardown(void)
{
	config_free(&cfg);
	close(dirfd_);
	unit_rmtree(dir);
	rmdir(dir);
}

TestSuite(etc_generate, .init = gen_setup, .fini = gen_teardown);

static char *slurp(const char *name)
{
	static char text[4096];
	int fd = openat(dirfd_, name, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0, "%s: %s", name, strerror(errno));
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	cr_assert_geq(n, 0);
	text[n] = '\0';
	return text;
}

Test(etc_generate, writes_passwd)
{
	set_user(1000, 100);
	cr_assert_eq(etc_generate(dirfd_, &cfg, "box"), 0);
	cr_assert_str_eq(slurp("passwd"), ROOT_PASSWD "job:x:1000:100:job:/home/job:/bin/sh\n" NOBODY_PASSWD);
}

Test(etc_generate, writes_group)
{
	set_user(1000, 100);
	cr_assert_eq(etc_generate(dirfd_, &cfg, "box"), 0);
	cr_assert_str_eq(slurp("group"), "root:x:0:\njob:x:100:\nnogroup:x:65534:\n");
}

Test(etc_generate, writes_hostname)
{
	cr_assert_eq(etc_generate(dirfd_, &cfg, "build-7"), 0);
	cr_assert_str_eq(slurp("hostname"), "build-7\n");
}

Test(etc_generate, hosts_resolves_localhost_and_the_hostname)
{
	cr_assert_eq(etc_generate(dirfd_, &cfg, "build-7"), 0);
	cr_assert_str_eq(slurp("hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tbuild-7\n"
					 "::1\tlocalhost ip6-localhost ip6-loopback\n");
}

Test(etc_generate, resolv_conf_names_no_server)
{
	cr_assert_eq(etc_generate(dirfd_, &cfg, "box"), 0);
	char *text = slurp("resolv.conf");
	cr_assert_null(strstr(text, "nameserver"), "%s", text);
}

Test(etc_generate, nsswitch_uses_files)
{
	cr_assert_eq(etc_generate(dirfd_, &cfg, "box"), 0);
	char *text = slurp("nsswitch.conf");
	cr_assert_not_null(strstr(text, "passwd: files\n"), "%s", text);
	cr_assert_not_null(strstr(text, "group: files\n"), "%s", text);
	cr_assert_not_null(strstr(text, "hosts: files"), "%s", text);
}

Test(etc_generate, files_are_readable_by_every_user_of_the_job)
{
	mode_t old = umask(022);
	cr_assert_eq(etc_generate(dirfd_, &cfg, "box"), 0);
	umask(old);
	struct stat st;
	cr_assert_eq(fstatat(dirfd_, "passwd", &st, 0), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);
	cr_assert_eq(fstatat(dirfd_, "group", &st, 0), 0);
	cr_assert_eq(st.st_mode & 0777, 0644);
}

Test(etc_generate, replaces_longer_existing_files)
{
	int fd = openat(dirfd_, "hostname", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	const char *old = "a-much-longer-previous-host-name\n";
	cr_assert_eq(write(fd, old, strlen(old)), (ssize_t)strlen(old));
	close(fd);
	cr_assert_eq(etc_generate(dirfd_, &cfg, "box"), 0);
	cr_assert_str_eq(slurp("hostname"), "box\n");
}

Test(etc_generate, does_not_follow_a_planted_symlink)
{
	int fd = openat(dirfd_, "target", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(symlinkat("target", dirfd_, "passwd"), 0);
	cr_assert_eq(etc_generate(dirfd_, &cfg, "box"), -ELOOP);
	cr_assert_str_eq(slurp("target"), "");
}

Test(etc_generate, fails_on_a_closed_directory_fd)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(etc_generate(fd, &cfg, "box"), -EBADF);
}

/* etc_add_system_accounts */

Test(etc, only_system_accounts_of_the_tree_are_added)
{
	char dir[512];
	unit_tmpdir(dir, sizeof dir);
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cr_assert_geq(d, 0);
	int out = openat(d, "passwd", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cr_assert_geq(out, 0);
	cr_assert_eq(write(out, ROOT_PASSWD, strlen(ROOT_PASSWD)), (ssize_t)strlen(ROOT_PASSWD));
	close(out);
	FILE *src = tmpfile();
	cr_assert_not_null(src);
	fputs("root:x:0:0:root:/root:/bin/bash\n"
	      "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	      "_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n"
	      "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
	      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	      "broken:x:notanumber:1::/:/bin/sh\n"
	      "unterminated:x:7:7::/:/bin/sh",
	      src);
	fflush(src);
	rewind(src);
	cr_assert_eq(etc_add_system_accounts(d, "passwd", fileno(src)), 0);
	fclose(src);
	char buf[1024] = "";
	int in = openat(d, "passwd", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(in, 0);
	ssize_t n = read(in, buf, sizeof buf - 1);
	cr_assert_geq(n, 0);
	close(in);
	unlinkat(d, "passwd", 0);
	close(d);
	rmdir(dir);
	cr_assert_str_eq(buf, ROOT_PASSWD "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
				      "_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n");
}

/* Every hidden credential file lies inside a package entry shown (else
 * hiding it would be pointless or create it), and no package entry is a
 * host secret. */
Test(etc, package_entries_and_their_hidden_credentials)
{
	for (const char *const *s = etc_package_secrets; *s; s++) {
		bool inside = false;
		for (const char *const *e = etc_package_entries; *e && !inside; e++) {
			size_t n = strlen(*e);
			inside = strncmp(*s, *e, n) == 0 && (*s)[n] == '/';
		}
		cr_expect(inside, "%s is under no package entry", *s);
	}
	static const char *const never[] = { "shadow", "gshadow", "sudoers", "ssh", "machine-id", "passwd", NULL };
	for (const char *const *e = etc_package_entries; *e; e++)
		for (const char *const *n = never; *n; n++)
			cr_expect_str_neq(*e, *n);
}

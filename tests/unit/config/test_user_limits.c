#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "brig/config/config.h"
#include "brig/config/user_limits.h"

static size_t index_of(const char *name)
{
	for (size_t i = 0; i < user_limit_count; i++)
		if (strcmp(user_limit_defs[i].name, name) == 0)
			return i;
	cr_assert_fail("no %s", name);
	return 0;
}

Test(user_limits, parse_takes_a_known_name_and_a_count)
{
	struct user_limit l;
	cr_assert_eq(user_limit_parse("inotify_instances=256", &l), 0);
	cr_assert_eq(l.which, index_of("inotify_instances"));
	cr_assert_eq(l.value, 256);
	cr_assert_eq(user_limit_parse("time_namespaces=0", &l), 0);
	cr_assert_eq(l.value, 0);
}

Test(user_limits, parse_refuses_the_rest)
{
	struct user_limit l;
	const char *bad[] = { "", "inotify_instances", "inotify_instances=", "=5", "max_inotify_instances=5",
			      "inotify_instances=-1", "inotify_instances=+1", "inotify_instances=1x",
			      "inotify_instances=2147483648", "inotify=5", NULL };
	for (const char **b = bad; *b; b++)
		cr_expect_eq(user_limit_parse(*b, &l), -EINVAL, "%s", *b);
}

Test(user_limits, value_is_the_last_given_else_the_default)
{
	struct brig_config c;
	config_init(&c);
	size_t ino = index_of("inotify_instances"), user = index_of("user_namespaces");
	cr_assert_eq(user_limit_value(&c, ino), 64);
	cr_assert_eq(user_limit_value(&c, user), 0);
	c.allow_userns = true;
	cr_assert_eq(user_limit_value(&c, user), 256);
	cr_assert_eq(user_limit_value(&c, ino), 64);
	struct user_limit set[] = { { (unsigned)ino, 5 }, { (unsigned)user, 7 }, { (unsigned)ino, 9 } };
	c.user_limits = set;
	c.n_user_limits = 3;
	cr_assert_eq(user_limit_value(&c, ino), 9);
	cr_assert_eq(user_limit_value(&c, user), 7);
	c.user_limits = NULL;
	c.n_user_limits = 0;
	config_free(&c);
}

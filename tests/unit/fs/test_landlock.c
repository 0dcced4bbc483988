#include <criterion/criterion.h>
#include <errno.h>
#include <linux/landlock.h>
#include <string.h>

#include "brig/fs/landlock.h"

#define TRUNCATE (1ULL << 14)
#define IOCTL_DEV (1ULL << 15)
#define READ (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

static bool parse(const char *line, char *path, bool *ro)
{
	return landlock_parse_mountinfo(line, path, 4096, ro) == 0;
}

Test(landlock, mountinfo_read_write_mount)
{
	char path[4096];
	bool ro = true;
	cr_assert(parse("36 35 0:31 / /tmp rw,nosuid,nodev shared:1 - tmpfs tmpfs rw,mode=1777\n", path, &ro));
	cr_assert_str_eq(path, "/tmp");
	cr_assert_not(ro);
}

Test(landlock, mountinfo_read_only_by_the_mount_or_its_filesystem)
{
	char path[4096];
	bool ro = false;
	cr_assert(parse("37 35 8:1 /usr /usr ro,nosuid,relatime - ext4 /dev/sda1 rw\n", path, &ro));
	cr_assert_str_eq(path, "/usr");
	cr_assert(ro);
	ro = false;
	cr_assert(parse("38 35 0:5 / /sys rw,nosuid - sysfs sysfs ro,seclabel\n", path, &ro));
	cr_assert(ro, "a read-only superblock is read-only too");
	/* "ro" only as a whole option, never inside another */
	cr_assert(parse("39 35 0:6 / /x rw,errors=remount-ro - ext4 /dev/sdb rw,errors=remount-ro\n", path, &ro));
	cr_assert_not(ro);
}

Test(landlock, mountinfo_unescapes_the_mount_point)
{
	char path[4096];
	bool ro;
	cr_assert(parse("40 35 0:7 / /a\\040b\\134c\\011d rw - tmpfs none rw\n", path, &ro));
	cr_assert_str_eq(path, "/a b\\c\td");
}

Test(landlock, mountinfo_rejects_what_is_not_a_line)
{
	char path[4096];
	bool ro;
	cr_assert_not(parse("", path, &ro));
	cr_assert_not(parse("36 35 0:31 / /tmp rw\n", path, &ro), "no separator");
	cr_assert_not(parse("36 35 0:31 / tmp rw - tmpfs t rw\n", path, &ro), "not absolute");
	char small[4];
	cr_assert_eq(landlock_parse_mountinfo("36 35 0:31 / /tmpdir rw - tmpfs t rw\n", small, sizeof small, &ro),
		     -EINVAL);
}

Test(landlock, handled_rights_grow_with_the_abi)
{
	cr_assert_eq(landlock_handled(2), (LANDLOCK_ACCESS_FS_REFER << 1) - 1);
	cr_assert_eq(landlock_handled(3), landlock_handled(2) | TRUNCATE);
	cr_assert_eq(landlock_handled(4), landlock_handled(3));
	cr_assert_eq(landlock_handled(5), landlock_handled(3) | IOCTL_DEV);
	cr_assert_eq(landlock_handled(7), landlock_handled(5));
}

/* Read-only: read, list, execute, and no device ioctl; writable: all the
 * ABI knows; a file's rule holds file rights only. */
Test(landlock, rights_follow_the_mount)
{
	cr_assert_eq(landlock_rights(7, true, true), READ);
	cr_assert_eq(landlock_rights(7, false, true), landlock_handled(7));
	cr_assert_eq(landlock_rights(7, true, false), LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE);
	cr_assert_eq(landlock_rights(7, false, false),
		     LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
			     TRUNCATE | IOCTL_DEV);
	cr_assert_eq(landlock_rights(2, false, false),
		     LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE);
}

Test(landlock, abi_one_is_not_used)
{
	cr_assert_eq(LANDLOCK_MIN_ABI, 2);
	int abi = landlock_abi();
	cr_assert(abi >= LANDLOCK_MIN_ABI || abi < 0);
	cr_assert_not_null(landlock_absent_reason(-EPROTO));
	cr_assert(strstr(landlock_absent_reason(-EPROTO), "ABI 1"));
}

/* Why not prctl(PR_SET_MM_ARG_START): it needs CAP_SYS_RESOURCE in the
 * host's user namespace, which a job's PID 1 never has. Writing the
 * argument block in place does not: /proc/PID/cmdline reads the process's
 * memory between arg_start and arg_end, and when the block's last byte is
 * not a NUL it shows the text up to the first NUL only (the setproctitle
 * convention), so what was there before is never shown, whatever its
 * length. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "brig/run/proctitle.h"
#include "brig/lib/util.h"

/* Fields 48 to 51 of /proc/self/stat: arg_start, arg_end, env_start,
 * env_end (proc(5)); counted after the ")" that ends the command name,
 * which may itself hold spaces and parentheses. */
static int read_bounds(unsigned long v[4])
{
	char buf[2048];
	_cleanup_close_ int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (n <= 0)
		return fd < 0 ? -errno : -EIO;
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	p++;
	for (int field = 3, k = 0; field <= 51; field++) {
		char *end;
		while (*p == ' ')
			p++;
		if (field == 3) {
			p += strcspn(p, " ");
			continue;
		}
		unsigned long x = strtoul(p, &end, 10);
		if (end == p)
			return -EIO;
		p = end;
		if (field >= 48)
			v[k++] = x;
	}
	return 0;
}

int proctitle_set(const char *title)
{
	unsigned long v[4];
	int r = read_bounds(v);
	if (r < 0)
		return r;
	char *arg = (char *)v[0], *env = (char *)v[2];
	size_t arg_len = v[1] > v[0] ? v[1] - v[0] : 0, env_len = v[3] > v[2] ? v[3] - v[2] : 0;
	size_t t = strlen(title);
	if (arg_len < 2)
		return -ENOSPC;
	if (t > arg_len - 2)
		t = arg_len - 2;
	/* Non-NUL to the end: the kernel then stops at the title's NUL. */
	memset(arg, ' ', arg_len);
	memcpy(arg, title, t);
	arg[t] = '\0';
	if (env_len)
		memset(env, 0, env_len);
	return 0;
}

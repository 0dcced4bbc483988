/* Finding the checkout a build-tree brig belongs to, from /proc/self/exe:
 * nothing compiled in, so a copied or installed binary never looks at the
 * place it was built. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/lib/checkout.h"

static bool exists(const char *dir, const char *rel, mode_t type)
{
	char path[PATH_MAX];
	struct stat st;
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, rel) >= sizeof path)
		return false;
	return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

const char *checkout_profiles_dir(void)
{
	static char dir[PATH_MAX];
	static int state; /* 0: not looked yet, 1: found, -1: none */
	if (state)
		return state > 0 ? dir : NULL;
	state = -1;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	/* exe is CHECKOUT/BUILD/brig: two components up. */
	for (int up = 0; up < 2; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash || slash == exe)
			return NULL;
		*slash = '\0';
	}
	if (!exists(exe, "src/main.c", S_IFREG) || !exists(exe, "Makefile", S_IFREG) ||
	    !exists(exe, "profiles/default", S_IFREG))
		return NULL;
	if ((size_t)snprintf(dir, sizeof dir, "%s/profiles", exe) >= sizeof dir)
		return NULL;
	state = 1;
	return dir;
}

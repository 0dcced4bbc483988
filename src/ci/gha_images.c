/* The image map (see brig/ci/gha_images.h). */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/ci/gha_images.h"
#include "brig/cli/profile.h"
#include "brig/lib/err.h"
#include "brig/lib/sys.h"
#include "brig/lib/util.h"

#define IMAGE_MAX 255

const char *gha_images_path(void)
{
	const char *v = getenv(GHA_IMAGES_ENV);
	return v && *v ? v : GHA_IMAGES_FILE;
}

const char *gha_image_problem(const char *image)
{
	size_t len = strlen(image);
	if (len == 0)
		return "an empty image name";
	if (len > IMAGE_MAX)
		return "longer than any image reference";
	if (image[0] == '/' || image[0] == '.' || image[0] == '~' || strstr(image, "..") || strstr(image, "//"))
		return "a path, not an image name";
	if (image[0] == '-' || strspn(image, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@") != len)
		return "not an image reference";
	return NULL;
}

int gha_images_lookup(const char *text, const char *image, char **rootfs, struct brig_err *e)
{
	*rootfs = NULL;
	unsigned lineno = 0;
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		lineno++;
		char buf[4096];
		if (len >= sizeof buf)
			return err_set(e, -EINVAL, "%u: line too long", lineno);
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = nl ? nl + 1 : NULL;
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		char *save = NULL, *pat = strtok_r(buf, " \t\r", &save), *root = strtok_r(NULL, " \t\r", &save);
		if (!pat)
			continue;
		if (!root || strtok_r(NULL, " \t\r", &save))
			return err_set(e, -EINVAL, "%u: expected IMAGE ROOTFS", lineno);
		_cleanup_free_ char *norm = NULL;
		if (strcmp(root, GHA_ROOTFS_HOST) != 0 && path_normalise(root, &norm) < 0)
			return err_set(e, -EINVAL, "%u: %.256s: expected an absolute path or host", lineno, root);
		if (fnmatch(pat, image, 0) != 0)
			continue;
		*rootfs = norm ? TAKE_PTR(norm) : strdup(GHA_ROOTFS_HOST);
		return *rootfs ? 0 : -ENOMEM;
	}
	return 0;
}

int gha_image_resolve(const char *image, char **rootfs, struct brig_err *e)
{
	const char *map = gha_images_path(), *why = gha_image_problem(image);
	*rootfs = NULL;
	if (why)
		return err_set(e, -EINVAL, "gha: image '%.256s' refused: %s; images are names in %s", image, why, map);
	struct stat st;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = profile_read_file(map, &st, &text, &len);
	if (r < 0)
		return err_set(e, r, "gha: image '%s': cannot read the image map %s: %s", image, map, profile_read_error(r));
	/* The map decides what jobs run on: only its administrator writes it. */
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022))
		return err_set(e, -EPERM,
			       "gha: image '%s': the image map %s must belong to root (or to uid %u) and be writable by no one else",
			       image, map, (unsigned)geteuid());
	if (strlen(text) != len)
		return err_set(e, -EINVAL, "gha: the image map %s contains a NUL byte", map);
	struct brig_err line = BRIG_ERR_INIT;
	if ((r = gha_images_lookup(text, image, rootfs, &line)) < 0)
		return err_set(e, r, "gha: %s:%s", map, err_message(&line));
	if (!*rootfs)
		return err_set(e, -ENOENT,
			       "gha: image '%s' is not in the image map %s: brig pulls no images; an administrator maps names to trees there",
			       image, map);
	return 0;
}

bool gha_rootfs_is_alpine(const char *rootfs)
{
	static const char *const files[] = { "etc/os-release", "usr/lib/os-release" };
	_cleanup_close_ int root = open(strcmp(rootfs, GHA_ROOTFS_HOST) == 0 ? "/" : rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return false;
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		int fd = sys_openat2(root, files[i], &how);
		if (fd < 0)
			continue;
		FILE *f = fdopen(fd, "r");
		if (!f) {
			close(fd);
			continue;
		}
		char line[256];
		bool alpine = false;
		while (fgets(line, sizeof line, f))
			if (strcmp(line, "ID=alpine\n") == 0 || strcmp(line, "ID=\"alpine\"\n") == 0 || strcmp(line, "ID=alpine") == 0)
				alpine = true;
		fclose(f);
		return alpine;
	}
	return false;
}

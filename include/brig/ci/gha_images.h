/* The administrator's map from image names to root file systems: brig
 * has no registry client, so a workflow's `image` is only a name that
 * this map turns into a tree built beforehand (rootfs/mkrootfs) or the
 * host's own /usr (`host`). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/lib/err.h"

#define GHA_IMAGES_FILE "/etc/brig/gha-images"
#define GHA_IMAGES_ENV "BRIG_GHA_IMAGES"
#define GHA_ROOTFS_HOST "host"

/* The map's path: $BRIG_GHA_IMAGES, else GHA_IMAGES_FILE. */
const char *gha_images_path(void);

/* NULL when image may be looked up, else why not: a path, an empty
 * name, characters no image reference has. */
const char *gha_image_problem(const char *image);

/* Finds image in the map text (lines `IMAGE ROOTFS`, `#` comments, globs
 * in IMAGE, the first match wins). *rootfs: a malloc'ed absolute path or
 * "host"; NULL when no line matches. -EINVAL with "LINE: why" in e for
 * a line that is not `IMAGE ROOTFS`. Pure: no host access. */
int gha_images_lookup(const char *text, const char *image, char **rootfs, struct brig_err *e);

/* Reads the map (a regular file owned by root or by this user, writable
 * by no one else) and looks image up. -errno (-ENOENT: not in the map)
 * with e naming the image and the map. */
int gha_image_resolve(const char *image, char **rootfs, struct brig_err *e);

/* Whether the tree (or the host for "host") is Alpine: ID=alpine in its
 * os-release, read inside the tree. */
bool gha_rootfs_is_alpine(const char *rootfs);

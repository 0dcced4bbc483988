/* Removing a tree a job wrote: by descriptor, never following a link,
 * never leaving the mount it starts on, at any depth with a bounded number
 * of descriptors (a job can nest directories far beyond PATH_MAX). */
#pragma once
#include <stddef.h>

/* Called once per entry that stays: its path relative to the tree's top
 * (shortened to its tail past a few hundred bytes) and why. */
typedef void (*rmtree_report_fn)(const char *rel, int err, void *ctx);

/* Removes `name` under `dir` (AT_FDCWD for a path) and everything in it.
 * A directory the caller may not read or write is made so first: the
 * caller owns the tree. An entry on another mount (a leftover bind mount)
 * is not entered and stays. Returns the number of entries that stay (0:
 * all gone, also when name did not exist), or -errno when the walk itself
 * could not go on (the tree moved under it, memory). */
int rmtree_at(int dir, const char *name, rmtree_report_fn report, void *ctx);

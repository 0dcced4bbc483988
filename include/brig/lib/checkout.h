/* A brig run from its build directory uses the profiles of the checkout it
 * was built from, so `make && build/brig run --profile default` works
 * before `make install`. */
#pragma once

/* The checkout's profiles directory when this binary lives in a build
 * directory of a brig checkout (BUILD/brig, with ../profiles, ../src/main.c
 * and ../Makefile next to BUILD), else NULL. An installed brig never finds
 * one. Computed once. */
const char *checkout_profiles_dir(void);

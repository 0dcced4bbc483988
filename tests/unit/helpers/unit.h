/* Helpers every unit test file may use: one copy of each. */
#pragma once
#include <stddef.h>

/* What the code under test wrote to stderr since the last call; the test
 * suite must have called cr_redirect_stderr(). A static buffer. */
char *stderr_text(void);

/* A fresh, empty directory under $TMPDIR (or /tmp) into dir; asserts. */
void unit_tmpdir(char *dir, size_t len);

struct brig_config;
/* config_finish as a command's top level runs it: on failure its one
 * line is printed (err_log), so tests read it with stderr_text(). */
int unit_config_finish(struct brig_config *c);

/* Skips the test when openat2(2) answers ENOSYS: a kernel before 5.6, or
 * a sandbox's system call policy (brig's default one among them, since a
 * filter cannot read openat2's mode). Code that resolves paths beneath a
 * directory with it has nothing to test there. */
void unit_need_openat2(void);

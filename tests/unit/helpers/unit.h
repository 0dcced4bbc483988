/* Helpers every unit test file may use: one copy of each. */
#pragma once
#include <stddef.h>

struct brig_config;

/* What the code under test wrote to stderr since the last call; the test
 * suite must have called cr_redirect_stderr(). A static buffer. */
char *stderr_text(void);

/* A fresh, empty directory under $TMPDIR (or /tmp) into dir; asserts. */
void unit_tmpdir(char *dir, size_t len);
/* Removes dir and everything below it, never following a link: the
 * teardown of unit_tmpdir. */
void unit_rmtree(const char *dir);
/* The fixture of suites that read profiles or files: stderr redirected,
 * c initialised, dir a fresh directory; the teardown frees c and removes
 * dir. */
void unit_files_setup(struct brig_config *c, char *dir, size_t len);
void unit_files_teardown(struct brig_config *c, const char *dir);
/* A suite with that fixture: defines the file's `cfg` and `dir`, its
 * setup and teardown, and path_of(REL), "DIR/REL" by unit_path. */
#define UNIT_FILES_SUITE(name)                                                                  \
	static struct brig_config cfg;                                                          \
	static char dir[256];                                                                   \
	static void name##_setup(void) { unit_files_setup(&cfg, dir, sizeof dir); }             \
	static void name##_teardown(void) { unit_files_teardown(&cfg, dir); }                   \
	__attribute__((unused)) static const char *path_of(const char *rel) { return unit_path(dir, rel); } \
	TestSuite(name, .init = name##_setup, .fini = name##_teardown)
/* "DIR/REL" in one of UNIT_PATHS static buffers used in turn: valid until
 * that many later calls, never to be freed. */
#define UNIT_PATHS 32
const char *unit_path(const char *dir, const char *rel);

/* An argv for cli_parse_run: argv[0] is the sub-command, as main passes it. */
#define UNIT_ARGV(...) ((char *[]){ "run", __VA_ARGS__, NULL })
/* cli_parse_run(argc of the NULL-terminated argv, argv, c). */
int unit_parse_run(struct brig_config *c, char **argv);

/* config_finish as a command's top level runs it: on failure its one
 * line is printed (err_log), so tests read it with stderr_text(). */
int unit_config_finish(struct brig_config *c);

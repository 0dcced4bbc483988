/* Profiles: the option table of `brig run`, one directive per line. */
#pragma once
#include <stdio.h>
#include <sys/stat.h>

#include "brig/config/config.h"

/* Profile search path when a NAME (no '/') is given. */
#define PROFILE_SYSTEM_DIR "/etc/brig/profiles"
/* Where `include site/NAME` looks after the site/ directory beside the
 * top-level profile: the operator's own settings (the forge's name), which
 * no variable can move, since a pipeline may set variables. */
#define PROFILE_SITE_DIR "/etc/brig/site"
#define PROFILE_SITE_PREFIX "site/"

#define PROFILE_MAX_LINE 4096       /* bytes, without the newline */
#define PROFILE_MAX_FILE 1048576    /* bytes: far above anything a person reviews */
#define PROFILE_MAX_DEPTH 8         /* nested includes */
#define PROFILE_MAX_PROBLEMS 50     /* reported per check before giving up */

struct profile_opts {
	/* --workspace from the command line: ${WORKSPACE} expands to it even
	 * where the profile sets its own, since the command line wins. */
	const char *workspace;
	/* NULL: log_error, and reading stops at the first problem. */
	struct brig_reporter *report;
	/* `brig profile check`: messages name the file rather than --profile,
	 * and ${WORKSPACE} or ${HOME} that only a job would know expand to
	 * placeholders instead of failing. */
	bool check;
};

/* Applies the profile NAME or PATH to c. Problems are reported as
 * "FILE:LINE: message"; returns -errno (the first problem's). */
int profile_load_with(const char *name, struct brig_config *c, const struct profile_opts *o);
/* profile_load_with(name, c, NULL-equivalent defaults). */
int profile_load(const char *name, struct brig_config *c);
/* Where NAME resolves to, malloc'ed into *path; -errno (-ENOENT: no such
 * profile, -EISDIR, -EINVAL: not a regular file). */
int profile_find(const char *name, char **path);

/* The first DIR/NAME.inc of dirs[0..n) that is a regular file (malloc'ed;
 * NULL or empty entries skipped), else NULL with errno ENOENT. */
char *profile_find_site(const char *const *dirs, size_t n, const char *name);
/* NULL when a site fragment with this stat may be read by a brig run by
 * uid caller: a regular file owned by root or the caller that nobody else
 * may write; else why not. */
const char *profile_site_file_problem(const struct stat *st, uid_t caller);
/* What to write in site/NAME.inc, for the message when it is missing. */
const char *profile_site_hint(const char *name);

/* Reads a regular file of at most PROFILE_MAX_FILE bytes whole, into a
 * malloc'ed NUL-terminated *out; never blocks on a FIFO. -EISDIR, -EINVAL
 * (not a regular file), -EFBIG, -EAGAIN (changed while read) or -errno. */
int profile_read_file(const char *path, struct stat *st, char **out, size_t *len);
/* What profile_read_file's error means, for a message. */
const char *profile_read_error(int r);

/* NULL when s[0..n) may appear in a profile (UTF-8 text without control
 * characters), else why not, with the offending byte's offset in *at. */
const char *profile_text_problem(const char *s, size_t n, size_t *at);

/* Writes the resolved policy of c in profile syntax, each setting preceded
 * by a comment saying where it came from. Returns -errno with e naming the
 * option when a value cannot be written as a profile line. */
int profile_show(const struct brig_config *c, FILE *f, struct brig_err *e);

/* `brig profile check FILE|NAME...` and `brig profile show [NAME] [OPTION...]`;
 * argv[0] is the sub-command's name. Return the exit status. */
int profile_cmd_check(int argc, char **argv);
int profile_cmd_show(int argc, char **argv);

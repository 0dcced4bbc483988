/* The GitHub runner's container-hook request: one line of JSON on stdin
 * (docs/github.md). Parsed with json-c into plain structs, every field's
 * type checked; nothing here touches the host. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/lib/err.h"

#define GHA_INPUT_MAX (16u << 20) /* bytes of stdin: far above any real request */
#define GHA_JSON_DEPTH 16         /* the request nests 4 deep */
#define GHA_LIST_MAX 4096         /* entries of any one list or map */

enum gha_command { GHA_PREPARE_JOB, GHA_CLEANUP_JOB, GHA_RUN_SCRIPT_STEP, GHA_RUN_CONTAINER_STEP };

struct gha_kv {
	char *key, *value;
};

struct gha_mount {
	char *source; /* NULL: an anonymous volume */
	char *target;
	bool read_only;
};

/* A HookContainer: the job container, a service, or a container step. */
struct gha_container {
	char *image, *dockerfile, *entry_point, *working_dir, *create_options;
	char **entry_point_args;
	size_t n_entry_point_args;
	struct gha_kv *env;
	size_t n_env;
	char **ports;
	size_t n_ports;
	struct gha_mount *system, *user;
	size_t n_system, n_user;
};

struct gha_script {
	char *entry_point, *working_dir;
	char **entry_point_args;
	size_t n_entry_point_args;
	struct gha_kv *env;
	size_t n_env;
	char **prepend_path; /* newest first; the legacy ':'-joined string split */
	size_t n_prepend_path;
};

struct gha_request {
	enum gha_command command;
	char *response_file; /* NULL when the runner sent null */
	char *job;           /* state.brig.job; NULL when state is null */
	bool has_state;      /* state was an object (possibly not brig's) */
	/* prepare_job */
	struct gha_container *container; /* NULL: no job container */
	struct gha_container *services;
	size_t n_services;
	/* run_script_step */
	struct gha_script script;
	/* run_container_step */
	struct gha_container step;
};

/* Parses the last non-empty line of text[0..len). Returns 0, or -EINVAL
 * (-ENOMEM) with why (one line, no secrets) in e. */
int gha_input_parse(const char *text, size_t len, struct gha_request *req, struct brig_err *e);
void gha_request_free(struct gha_request *req);
const char *gha_command_name(enum gha_command c);

/* Splits s as a POSIX shell would split words (blanks, single and double
 * quotes, backslashes), without any expansion: the reference hooks re-join
 * entryPointArgs with spaces and split them that way. -EINVAL for an
 * unterminated quote; the result is NULL-terminated, *n words. */
int gha_split_words(const char *s, char ***out, size_t *n);
void gha_words_free(char **v);

/* The hook's answer: JSON appended to the response file the runner
 * created before the call, opened inside the work directory only. */
#pragma once
#include <stdbool.h>

#include "brig/lib/err.h"

/* Opens response_file (which must lie below work, with no link on the
 * way from work, and exist as a regular file) for appending. -errno with
 * e naming the file. */
int gha_response_open(const char *work, const char *response_file, struct brig_err *e);
/* prepare_job's response: state {"brig":{"job":id}}, context.container.id,
 * no services, isAlpine. Closes fd. */
int gha_response_prepare(int fd, const char *id, bool alpine, struct brig_err *e);

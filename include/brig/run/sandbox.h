/* The supervisor: ordered set-up, wait, teardown, final status. */
#pragma once
#include "brig/config/config.h"

/* Runs one job; returns brig's exit status (the job's, or 124/125/126/127). */
int sandbox_run(const struct brig_config *c);

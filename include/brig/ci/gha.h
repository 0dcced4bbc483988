/* `brig gha-hook`: the GitHub Actions runner's container hooks
 * (ACTIONS_RUNNER_CONTAINER_HOOKS), see docs/github.md. */
#pragma once

/* The status of brig's own failures (one `brig:` line says which). */
#define GHA_EXIT_BRIG 125

/* argv[0] is "gha-hook"; the request comes on stdin. Returns the exit
 * status the runner expects: 0, the step's own, or GHA_EXIT_BRIG. */
int gha_main(int argc, char **argv);

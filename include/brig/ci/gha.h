/* `brig gha-hook`: the GitHub Actions runner's container hooks
 * (ACTIONS_RUNNER_CONTAINER_HOOKS), see docs/github.md. */
#pragma once

/* argv[0] is "gha-hook"; the request comes on stdin. Returns the exit
 * status the runner expects: 0, the step's own, or EXIT_BRIG (lib/exit.h)
 * after one `brig:` line. */
int gha_main(int argc, char **argv);

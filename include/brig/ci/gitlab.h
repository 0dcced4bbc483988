/* `brig gitlab config|prepare|run|cleanup`: the GitLab Runner
 * custom-executor driver. */
#pragma once

#define GITLAB_STATE_DIR "/var/lib/brig/gitlab"
/* Where a job's directories appear inside its sandbox. */
#define GITLAB_BUILDS_DIR "/builds"
#define GITLAB_CACHE_DIR "/cache"

/* argv[0] is "gitlab". Returns the exit status the runner expects. */
int gitlab_main(int argc, char **argv);

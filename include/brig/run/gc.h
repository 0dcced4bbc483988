/* `brig gc`: removes what jobs whose supervisor (and janitor) died left
 * behind: address leases, firewall chains, empty job cgroups, the
 * per-job directories of --overlay-dir. */
#pragma once

int gc_main(int argc, char **argv);

/* Where a job keeps state outside /run and its cgroup (today: its
 * --overlay-dir directory), recorded in GC_STATE_DIR/ID while the job
 * lives, under a shared lock the supervisor and its janitor hold: gc takes
 * what no process locks. Returns the record's descriptor (for the
 * janitor to keep), or -errno (no record: gc will not know the path). */
#define GC_STATE_DIR "/run/brig/jobs"
int gc_record(const char *id, const char *path);
/* The job's own end: its record goes. */
void gc_record_drop(const char *id, int fd);

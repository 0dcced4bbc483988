/* The hint when the kernel refuses a job what the sandbox decides (an id
 * past the job's maps, a capability it does not keep): not a seccomp
 * refusal, so "denials" stays 0, but counted in the exited event's
 * "refused", and said once on stderr when the job fails. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

BRIG_SUITE(refused);

#define HINT "the kernel refused it calls that the sandbox decides"

struct run {
	struct brig_result r;
	char *exited;
};

static void run_job(struct run *x, const char *caps, const char *script)
{
	char *dir = tmpdir_make("refused");
	char status[4200];
	snprintf(status, sizeof status, "%s/status.jsonl", dir);
	BRIG(&x->r, "run", "--caps", caps, "--status-file", status, "--", "/bin/sh", "-c", script);
	char *text = file_read(status);
	x->exited = text ? json_event_line(text, "exited") : NULL;
	cr_assert(x->exited, "no exited event" RESULT_FMT, RESULT_ARGS(x->r));
}

/* "refused":{"id_mapping":N,...}: the count after the key. */
static long count_of(const char *exited, const char *kind)
{
	char key[64];
	snprintf(key, sizeof key, "\"%s\":", kind);
	const char *p = strstr(exited, "\"refused\":");
	p = p ? strstr(p, key) : NULL;
	return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

Test(refused, id_past_the_map_on_a_failed_job)
{
	struct run x;
	run_job(&x, "container-root", "touch /tmp/f; chown 100000 /tmp/f; exit 3");
	cr_assert_eq(x.r.status, 3, RESULT_FMT, RESULT_ARGS(x.r));
	cr_expect_eq(count_of(x.exited, "id_mapping"), 1, "%s", x.exited);
	cr_expect(strstr(x.exited, "\"id\":100000"), "%s", x.exited);
	cr_expect(strstr(x.exited, "\"denials\":0"), "%s", x.exited);
	cr_expect(strstr(x.r.err, HINT), "no hint" RESULT_FMT, RESULT_ARGS(x.r));
	cr_expect(strstr(x.r.err, "to 100000 by chown"), RESULT_FMT, RESULT_ARGS(x.r));
	/* Once, however many. */
	run_job(&x, "container-root", "touch /tmp/f; for i in 1 2 3; do chown 100000 /tmp/f; done; exit 1");
	cr_expect_eq(count_of(x.exited, "id_mapping"), 3, "%s", x.exited);
	const char *first = strstr(x.r.err, HINT);
	cr_expect(first && !strstr(first + 1, HINT), "said more than once" RESULT_FMT, RESULT_ARGS(x.r));
}

/* A job that succeeds anyway gets the count, and no word on stderr. */
Test(refused, counted_but_quiet_when_the_job_succeeds)
{
	struct run x;
	run_job(&x, "container-root", "touch /tmp/f; chown 100000 /tmp/f 2>/dev/null; true");
	cr_assert_eq(x.r.status, 0, RESULT_FMT, RESULT_ARGS(x.r));
	cr_expect_eq(count_of(x.exited, "id_mapping"), 1, "%s", x.exited);
	cr_expect_null(strstr(x.r.err, HINT), RESULT_FMT, RESULT_ARGS(x.r));
}

/* Ids of the job's own range, and -1 ("unchanged"), are no refusal. */
Test(refused, nothing_counted_for_ids_of_the_range)
{
	struct run x;
	const char *script = harness_unprivileged() ? "touch /tmp/f; chown 0:0 /tmp/f; chgrp 0 /tmp/f; exit 1"
						    : "touch /tmp/f; chown 1000:1000 /tmp/f; chgrp 0 /tmp/f; exit 1";
	run_job(&x, "container-root", script);
	cr_expect_eq(count_of(x.exited, "id_mapping"), 0, "%s", x.exited);
	cr_expect_eq(count_of(x.exited, "capability"), 0, "%s", x.exited);
	cr_expect_null(strstr(x.r.err, HINT), RESULT_FMT, RESULT_ARGS(x.r));
}

/* Without CAP_CHOWN, giving a file away fails for want of the capability;
 * a device node always does (CAP_MKNOD is the host's). */
Test(refused, capability)
{
	struct run x;
	run_job(&x, "none", "touch /tmp/f; chown 0:0 /tmp/f && echo own=ok; mknod /tmp/n c 1 3; exit 1");
	cr_expect_str_eq(kv_get(x.r.out, "own") ?: "?", "ok", RESULT_FMT, RESULT_ARGS(x.r));
	cr_expect_eq(count_of(x.exited, "capability"), 1, "%s", x.exited);
	cr_expect(strstr(x.exited, "\"syscall\":\"mknod"), "%s", x.exited);
	if (harness_unprivileged())
		return;
	run_job(&x, "none", "touch /tmp/f; chown 5 /tmp/f; exit 1");
	cr_expect_eq(count_of(x.exited, "capability"), 1, "%s", x.exited);
	cr_expect_eq(count_of(x.exited, "id_mapping"), 0, "%s", x.exited);
	cr_expect(strstr(x.r.err, HINT), RESULT_FMT, RESULT_ARGS(x.r));
}

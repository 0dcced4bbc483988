/* libFuzzer target for the profile reader.
 *
 * Each input is written as a profile beside a fixed set of fragments
 * (a cycle, a self-include, a chain deeper than the limit, a directory in
 * place of a fragment) and read twice: as `brig profile check` reads it,
 * and as `brig run` does. When the run read succeeds, the resolved policy
 * is shown, the output read back, and shown again: the second rendering
 * must hold the same directives, so the fuzzer also hunts for values that
 * `show` cannot write faithfully. Any crash, leak, sanitizer report or
 * abort() here is a bug. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/config/config.h"
#include "brig/lib/log.h"
#include "brig/cli/profile.h"

static char dir[64];
static char profile[128], shown[128];

static void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void cleanup(void)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char p[256];
	/* Memory-backed when possible: every input is written and read back. */
	snprintf(dir, sizeof dir, "%s/brig-fuzz-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	snprintf(p, sizeof p, "%s/inc", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/inc/dir.inc", dir);
	mkdir(p, 0700);
	put("inc/base.inc", "tmpfs /var/tmp\nenv-pass CI\n");
	put("inc/a.inc", "include b\nenv A=1\n");
	put("inc/b.inc", "env B=1\ninclude a\n");
	put("inc/self.inc", "include self\n");
	for (int i = 0; i < 10; i++) {
		char rel[32], text[32];
		snprintf(rel, sizeof rel, "inc/d%d.inc", i);
		snprintf(text, sizeof text, "include d%d\n", i + 1);
		put(rel, text);
	}
	snprintf(profile, sizeof profile, "%s/p", dir);
	snprintf(shown, sizeof shown, "%s/shown", dir);
	setenv("HOME", "/home/fuzz", 1);
	setenv("BRIG_PROFILE_PATH", dir, 1);
	/* The reader's messages are the point of a check, not of a fuzz run. */
	brig_log_quiet = true;
	return 0;
}

static void discard(void *ctx, const char *line)
{
	(void)ctx, (void)line;
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	close(fd);
}

/* The show output with its comment lines dropped. */
static char *render(const struct brig_config *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		abort();
	int r = profile_show(c, f, NULL);
	fclose(f);
	if (r < 0)
		abort(); /* a value read from a profile can always be written back */
	char *o = text;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (*p != '#' && n) {
			memmove(o, p, n);
			o += n;
			*o++ = '\n';
		}
		p += n + (p[n] == '\n');
	}
	*o = '\0';
	return text;
}

static void round_trip(const struct brig_config *c)
{
	char *first = render(c);
	char *full = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&full, &len);
	if (!f || profile_show(c, f, NULL) < 0)
		abort();
	fclose(f);
	write_file(shown, (const uint8_t *)full, len);
	free(full);

	struct brig_config again;
	struct brig_reporter rep = { .fn = discard };
	struct profile_opts o = { .report = &rep };
	config_init(&again);
	memcpy(again.job_id, c->job_id, sizeof again.job_id);
	if (profile_load_with(shown, &again, &o) < 0 || config_check(&again, &rep) < 0)
		abort(); /* show wrote something that does not read back */
	char *second = render(&again);
	if (strcmp(first, second) != 0)
		abort(); /* ... or that reads back to another policy */
	config_free(&again);
	free(first);
	free(second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	write_file(profile, data, size);

	struct brig_config c;
	struct brig_reporter all = { .fn = discard, .keep_going = true };
	struct profile_opts check = { .report = &all, .check = true };
	config_init(&c);
	strcpy(c.job_id, "0123456789ab");
	profile_load_with(profile, &c, &check);
	config_check(&c, &all);
	config_free(&c);

	struct brig_reporter first = { .fn = discard };
	struct profile_opts run = { .report = &first, .workspace = "/builds/job" };
	config_init(&c);
	strcpy(c.job_id, "0123456789ab");
	if (profile_load_with(profile, &c, &run) == 0 && config_check(&c, &first) == 0)
		round_trip(&c);
	config_free(&c);
	return 0;
}

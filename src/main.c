/* brig: sub-command dispatch only. */
#include <stdio.h>
#include <string.h>

#include "brig/cli.h"
#include "brig/config.h"
#include "brig/log.h"
#include "brig/sandbox.h"
#include "brig/util.h"

#define EXIT_BRIG 125

static int cmd_run(int argc, char **argv)
{
	struct brig_config c;
	config_init(&c);
	int r = cli_parse_run(argc, argv, &c);
	int code = r == 1 ? 0 : EXIT_BRIG;
	if (r == 0 && config_finish(&c) >= 0)
		code = sandbox_run(&c);
	config_free(&c);
	return code;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: brig COMMAND [OPTION...]\n"
		   "Run untrusted CI jobs in a sandbox built from kernel primitives.\n\n"
		   "Commands:\n"
		   "  run [OPTION...] [--] COMMAND [ARG...]   run COMMAND as one sandboxed job\n\n"
		   "  -h, --help      show this help\n"
		   "  -V, --version   show the version\n\n"
		   "See `brig run --help` and brig(1).\n");
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "run", cmd_run },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_BRIG;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("brig %s\n", BRIG_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	log_error("unknown command '%s' (see brig --help)", cmd);
	return EXIT_BRIG;
}

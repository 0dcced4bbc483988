/* brig: sub-command dispatch only. */
#include <stdio.h>
#include <string.h>

#include "brig/cli/cli.h"
#include "brig/config/config.h"
#include "brig/run/gc.h"
#include "brig/ci/gha.h"
#include "brig/ci/gitlab.h"
#include "brig/lib/exit.h"
#include "brig/lib/log.h"
#include "brig/lib/timings.h"
#include "brig/probe/probe.h"
#include "brig/cli/profile.h"
#include "brig/run/sandbox.h"
#include "brig/lib/util.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static int cmd_run(int argc, char **argv)
{
	struct brig_config c;
	config_init(&c);
	int r = config_new_job_id(&c);
	if (r < 0) {
		log_error("cannot make a job id: %s", strerror(-r));
		return EXIT_BRIG;
	}
	r = cli_parse_run(argc, argv, &c);
	int code = r == 1 ? 0 : EXIT_BRIG;
	struct brig_err e = BRIG_ERR_INIT;
	if (r == 0 && config_finish(&c, &e) < 0)
		err_log(&e);
	else if (r == 0)
		code = sandbox_run(&c);
	config_free(&c);
	return code;
}

static const struct command profile_commands[] = {
	{ "check", profile_cmd_check },
	{ "show", profile_cmd_show },
};

static int dispatch(const struct command *cmds, size_t n, const char *what, int argc, char **argv, int bad)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			return cmds[i].fn(argc, argv);
	log_error("unknown %s '%s' (see brig --help)", what, argv[0]);
	return bad;
}

/* `brig profile ...` fails with 1, like a check that found problems. */
static int cmd_profile(int argc, char **argv)
{
	if (argc < 2) {
		log_error("profile: check or show? (see brig --help)");
		return 1;
	}
	return dispatch(profile_commands, ARRAY_SIZE(profile_commands), "profile command", argc - 1, argv + 1, 1);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: brig COMMAND [OPTION...]\n"
		   "Run untrusted CI jobs in a sandbox built from kernel primitives.\n\n"
		   "Commands:\n"
		   "  run [OPTION...] [--] COMMAND [ARG...]   run COMMAND as one sandboxed job\n"
		   "  profile check FILE|NAME...              validate profiles (FILE:LINE: message)\n"
		   "  profile show [NAME|PATH] [OPTION...]    print the resolved policy as a profile\n"
		   "  probe [--json] [--only CAT] [--network] try escapes from here, report what is blocked\n"
		   "  audit [--profile P]... [--json]         run the probe in a job per profile, compare\n"
		   "  gitlab config|prepare|run|cleanup       the GitLab Runner custom-executor driver\n"
		   "  gha-hook < REQUEST                      the GitHub Actions runner's container hooks\n"
		   "  gc                                      remove what killed jobs left behind\n\n"
		   "  -h, --help      show this help\n"
		   "  -V, --version   show the version\n\n"
		   "See `brig run --help` and brig(1).\n");
}

static const struct command commands[] = {
	{ "run", cmd_run },
	{ "profile", cmd_profile },
	{ "gitlab", gitlab_main },
	{ "gha-hook", gha_main },
	{ "gc", gc_main },
	{ "probe", probe_cmd },
	{ "audit", audit_cmd },
};

int main(int argc, char **argv)
{
	timings_at_main();
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
	return dispatch(commands, ARRAY_SIZE(commands), "command", argc - 1, argv + 1, EXIT_BRIG);
}

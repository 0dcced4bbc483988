/* `caps container-root`: the set itself (never the administrator's
 * capabilities), for root inside only, merged with --cap-add; and the
 * directive as the command line and profiles give it. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <sys/capability.h>

#include "brig/cli/cli.h"
#include "brig/config/config.h"
#include "brig/run/caps.h"
#include "helpers/unit.h"

static struct brig_config cfg;

static void setup(void)
{
	cr_redirect_stderr();
	config_init(&cfg);
}

static void teardown(void)
{
	config_free(&cfg);
}

TestSuite(caps, .init = setup, .fini = teardown);

static bool has(const int *list, size_t n, int cap)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == cap)
			return true;
	return false;
}


Test(caps, container_root_never_holds_the_administrators_capabilities)
{
	static const int never[] = { CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SETFCAP, CAP_SYS_MODULE,
				     CAP_SYS_RAWIO, CAP_MAC_ADMIN, CAP_BPF, CAP_MKNOD, CAP_NET_RAW };
	size_t n = 0;
	for (const int *v = caps_container_root; *v >= 0; v++)
		n++;
	cr_assert_eq(n, 10);
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
		cr_assert_not(has(caps_container_root, n, never[i]), "capability %d in container-root", never[i]);
	static const int expected[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL,
					CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT };
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		cr_assert(has(caps_container_root, n, expected[i]), "capability %d missing", expected[i]);
}

Test(caps, none_by_default)
{
	int list[64];
	cr_assert_eq(caps_effective_list(&cfg, list, 64), 0);
}

Test(caps, root_inside_gets_the_set_once_with_cap_add)
{
	cr_assert_eq(unit_parse_run(&cfg, (char *[]){ "run", "--caps", "container-root", "--cap-add", "CAP_CHOWN", "--cap-add",
				      "NET_RAW", "--", "true", NULL }),
		     0);
	int list[64];
	size_t n = caps_effective_list(&cfg, list, 64);
	cr_assert_eq(n, 11, "10 of the set and NET_RAW, CHOWN once");
	cr_assert(has(list, n, CAP_NET_RAW));
	cr_assert(has(list, n, CAP_SETUID));
}

Test(caps, another_user_inside_gets_only_cap_add)
{
	cr_assert_eq(unit_parse_run(&cfg, (char *[]){ "run", "--caps", "container-root", "--user", "1000", "--cap-add",
				      "CAP_NET_BIND_SERVICE", "--", "true", NULL }),
		     0);
	int list[64];
	size_t n = caps_effective_list(&cfg, list, 64);
	cr_assert_eq(n, 1);
	cr_assert_eq(list[0], CAP_NET_BIND_SERVICE);
}

Test(caps, the_command_line_turns_it_off)
{
	cr_assert_eq(unit_parse_run(&cfg, (char *[]){ "run", "--caps", "container-root", "--caps", "none", "--", "true", NULL }), 0);
	cr_assert_eq(cfg.caps_set, CAPS_NONE);
}

Test(caps, unknown_set_refused)
{
	cr_assert_neq(unit_parse_run(&cfg, (char *[]){ "run", "--caps", "all", "--", "true", NULL }), 0);
	fflush(stderr);
	char text[512] = "";
	size_t n = fread(text, 1, sizeof text - 1, cr_get_redirected_stderr());
	text[n] = '\0';
	cr_assert_str_eq(text, "brig: --caps all: expected none or container-root\n");
}

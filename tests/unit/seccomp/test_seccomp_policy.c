/* The policy language: every error with its exact FILE:LINE message,
 * values, how later rules replace earlier ones, the decision for one
 * call, loading by name with the allow-* fragments, and the shipped
 * policies. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "brig/config/config.h"
#include "brig/seccomp/seccomp.h"
#include "helpers/unit.h"

static struct seccomp_policy pol;
static struct brig_err e;
static struct brig_config cfg;
static char dir[256];

static void setup(void)
{
	cr_redirect_stderr();
	config_init(&cfg);
	pol = (struct seccomp_policy){ 0 };
	e = (struct brig_err)BRIG_ERR_INIT;
	unit_tmpdir(dir, sizeof dir);
	/* Only what a test puts here is found by name (then the built-in
	 * copies), whatever the machine has installed elsewhere first. */
	setenv("BRIG_PROFILE_PATH", dir, 1);
}

static void teardown(void)
{
	seccomp_policy_free(&pol);
	config_free(&cfg);
	unit_rmtree(dir);
}

TestSuite(seccomp_policy, .init = setup, .fini = teardown);

static const char *path_of(const char *rel)
{
	return unit_path(dir, rel);
}

static const char *put_dir(const char *rel)
{
	const char *p = path_of(rel);
	cr_assert_eq(mkdir(p, 0700), 0, "%s: %s", p, strerror(errno));
	return p;
}

static const char *put_file(const char *rel, const char *text)
{
	const char *p = path_of(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0, "%s: %s", p, strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return p;
}

static int parse(const char *text)
{
	return seccomp_policy_parse(&pol, "t.policy", text, 0, &e);
}

/* What the command's top level prints: the callee itself prints nothing. */
static const char *printed(void)
{
	err_log(&e);
	return stderr_text();
}

/* The text is refused with exactly this one line on stderr. */
static void assert_error(const char *text, const char *line)
{
	cr_assert_eq(parse(text), -EINVAL, "accepted: %s", text);
	cr_assert_eq(e.code, -EINVAL);
	cr_assert_str_eq(printed(), line, "for: %s", text);
}

static const struct sc_rule *decide(int nr, uint64_t a0, uint64_t a1)
{
	const uint64_t args[6] = { a0, a1 };
	return seccomp_policy_decide(&pol, nr, args);
}

/* "allow", "kill", "log", "errno EPERM"... or "none" for no rule. */
static const char *verdict(int nr, uint64_t a0, uint64_t a1)
{
	static char buf[64];
	const struct sc_rule *r = decide(nr, a0, a1);
	static const char *const names[] = { [SC_ALLOW] = "allow", [SC_ERRNO] = "errno", [SC_KILL] = "kill",
					     [SC_LOG] = "log" };
	if (!r)
		return "none";
	if (r->action != SC_ERRNO)
		return names[r->action];
	snprintf(buf, sizeof buf, "errno %s", strerrorname_np(r->err) ?: "?");
	return buf;
}

/* ---- errors: one class each ------------------------------------------- */

Test(seccomp_policy, unknown_system_call)
{
	assert_error("frobnicate allow\n", "brig: t.policy:1: frobnicate: unknown system call\n");
}

Test(seccomp_policy, unknown_group)
{
	assert_error("@nope errno EPERM\n", "brig: t.policy:1: @nope: unknown group\n");
}

Test(seccomp_policy, unknown_action)
{
	assert_error("mount deny\n", "brig: t.policy:1: mount: unknown action 'deny' (allow, errno NAME, kill or log)\n");
}

Test(seccomp_policy, missing_action)
{
	assert_error("mount\n", "brig: t.policy:1: mount: missing action (allow, errno NAME, kill or log)\n");
}

Test(seccomp_policy, errno_without_name)
{
	assert_error("mount errno\n", "brig: t.policy:1: mount: errno needs an error name such as EPERM\n");
}

/* A condition where the name should be is not taken for one. */
Test(seccomp_policy, errno_followed_by_condition)
{
	assert_error("ioctl errno arg1 == TIOCSTI\n",
		     "brig: t.policy:1: ioctl: errno needs an error name such as EPERM\n");
}

Test(seccomp_policy, bad_errno_name)
{
	assert_error("mount errno EPRM\n", "brig: t.policy:1: mount: errno needs an error name such as EPERM\n");
}

Test(seccomp_policy, numeric_errno_is_not_a_name)
{
	assert_error("mount errno 1\n", "brig: t.policy:1: mount: errno needs an error name such as EPERM\n");
}

Test(seccomp_policy, quiet_only_on_errno_rules)
{
	assert_error("mount allow quiet\n", "brig: t.policy:1: mount: only errno rules can be quiet\n");
}

Test(seccomp_policy, quiet_on_kill_refused)
{
	assert_error("mount kill quiet\n", "brig: t.policy:1: mount: only errno rules can be quiet\n");
}

Test(seccomp_policy, unless_dir_only_on_mode_calls)
{
	assert_error("open errno EPERM unless-dir arg1 & O_CREAT\n",
		     "brig: t.policy:1: open: unless-dir is for chmod, fchmod, fchmodat and fchmodat2\n");
}

Test(seccomp_policy, unless_dir_only_on_errno_rules)
{
	assert_error("chmod allow unless-dir arg1 & S_ISGID\n",
		     "brig: t.policy:1: chmod: only errno rules that are not quiet can be unless-dir\n");
}

Test(seccomp_policy, unless_dir_not_quiet)
{
	assert_error("chmod errno EPERM quiet unless-dir arg1 & S_ISGID\n",
		     "brig: t.policy:1: chmod: only errno rules that are not quiet can be unless-dir\n");
}

Test(seccomp_policy, unless_dir_rule)
{
	cr_assert_eq(parse("chmod errno EPERM arg1 & S_ISUID\nchmod errno EPERM unless-dir arg1 & S_ISGID\n"), 0);
	const struct sc_rule *r = decide(SYS_chmod, 0, 02775);
	cr_assert(r && r->action == SC_ERRNO && r->unless_dir, "set-group-ID goes to the directory check");
	r = decide(SYS_chmod, 0, 06775);
	cr_assert(r && r->action == SC_ERRNO && !r->unless_dir, "set-user-ID is refused outright");
	cr_assert_null(decide(SYS_chmod, 0, 0775));
}

#define CONDITION_SYNTAX "expected a condition like 'arg1 == TIOCSTI' (arg0..arg5, ==, !=, >= or &)\n"

Test(seccomp_policy, condition_missing_value)
{
	assert_error("ioctl errno EPERM arg1 ==\n", "brig: t.policy:1: " CONDITION_SYNTAX);
}

Test(seccomp_policy, condition_extra_word)
{
	assert_error("ioctl errno EPERM arg1 == TIOCSTI now\n", "brig: t.policy:1: " CONDITION_SYNTAX);
}

Test(seccomp_policy, condition_not_an_argument)
{
	assert_error("ioctl errno EPERM request == TIOCSTI\n", "brig: t.policy:1: " CONDITION_SYNTAX);
	assert_error("ioctl errno EPERM arg == TIOCSTI\n", "brig: t.policy:1: " CONDITION_SYNTAX);
	assert_error("ioctl errno EPERM arg12 == TIOCSTI\n", "brig: t.policy:1: " CONDITION_SYNTAX);
}

/* System calls have six arguments, arg0..arg5. */
Test(seccomp_policy, arg6)
{
	assert_error("ioctl errno EPERM arg6 == TIOCSTI\n", "brig: t.policy:1: " CONDITION_SYNTAX);
}

Test(seccomp_policy, bad_operator)
{
	assert_error("ioctl errno EPERM arg1 < 5\n", "brig: t.policy:1: <: unknown operator (==, !=, >= or &)\n");
	assert_error("ioctl errno EPERM arg1 = 5\n", "brig: t.policy:1: =: unknown operator (==, !=, >= or &)\n");
}

Test(seccomp_policy, bad_value)
{
	assert_error("ioctl errno EPERM arg1 == TIOCSTX\n",
		     "brig: t.policy:1: TIOCSTX: not a number or a known constant\n");
	assert_error("ioctl errno EPERM arg1 == 12abc\n", "brig: t.policy:1: 12abc: not a number or a known constant\n");
	assert_error("ioctl errno EPERM arg1 == -1\n", "brig: t.policy:1: -1: not a number or a known constant\n");
	assert_error("ioctl errno EPERM arg1 == TIOCSTI|nope\n",
		     "brig: t.policy:1: TIOCSTI|nope: not a number or a known constant\n");
	/* Wider than 64 bits. */
	assert_error("ioctl errno EPERM arg1 == 0x10000000000000000\n",
		     "brig: t.policy:1: 0x10000000000000000: not a number or a known constant\n");
}

/* An empty alternative is a typo, not the value 0.
 * Empty pieces (`|` alone, `TIOCSTI|`, `A||B`) are errors, not zero. */
Test(seccomp_policy, empty_value_alternative)
{
	assert_error("ioctl errno EPERM arg1 == TIOCSTI|\n",
		     "brig: t.policy:1: TIOCSTI|: not a number or a known constant\n");
	assert_error("ioctl errno EPERM arg1 == |\n", "brig: t.policy:1: |: not a number or a known constant\n");
}

Test(seccomp_policy, include_without_name)
{
	assert_error("include\n", "brig: t.policy:1: include: expected one NAME\n");
	assert_error("include a b\n", "brig: t.policy:1: include: expected one NAME\n");
}

Test(seccomp_policy, include_not_found)
{
	assert_error("include no-such-policy\n", "brig: t.policy:1: include no-such-policy: No such file or directory\n");
}

Test(seccomp_policy, include_loop)
{
	put_dir("seccomp");
	const char *loop = put_file("seccomp/loop.policy", "# includes itself\ninclude loop\n");
	char want[1024];
	snprintf(want, sizeof want, "brig: %s:2: include loop: nested deeper than 8\n", loop);
	assert_error("include loop\n", want);
}

/* An error inside an included file names that file and its line. */
Test(seccomp_policy, error_in_included_file)
{
	put_dir("seccomp");
	const char *frag = put_file("seccomp/frag.policy", "getpid allow\n\nfrobnicate allow\n");
	char want[1024];
	snprintf(want, sizeof want, "brig: %s:3: frobnicate: unknown system call\n", frag);
	assert_error("getppid allow\ninclude frag\n", want);
}

Test(seccomp_policy, too_many_words)
{
	assert_error("ioctl errno EPERM arg1 == 1 a b c d e f g h i j k\n", "brig: t.policy:1: too many words\n");
}

/* Comments and blank lines count: the line is the editor's line. */
Test(seccomp_policy, line_numbers_count_every_line)
{
	assert_error("# a comment\n\ngetpid allow # trailing comment\n\t\nfrobnicate allow\n",
		     "brig: t.policy:5: frobnicate: unknown system call\n");
}

Test(seccomp_policy, last_line_without_newline)
{
	assert_error("getpid allow\nfrobnicate allow", "brig: t.policy:2: frobnicate: unknown system call\n");
}

/* ---- what a valid text becomes ---------------------------------------- */

Test(seccomp_policy, empty_and_comment_only_texts)
{
	cr_assert_eq(parse(""), 0);
	cr_assert_eq(parse("# nothing\n\n   \n"), 0);
	cr_assert_eq(pol.n, 0);
	cr_assert_str_eq(stderr_text(), "");
}

Test(seccomp_policy, actions)
{
	cr_assert_eq(parse("getpid allow\ngetppid kill\nuname\tlog\n  mount   errno EACCES\n"), 0);
	cr_assert_str_eq(verdict(SYS_getpid, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_getppid, 0, 0), "kill");
	cr_assert_str_eq(verdict(SYS_uname, 0, 0), "log", "tabs separate words too");
	cr_assert_str_eq(verdict(SYS_mount, 0, 0), "errno EACCES");
	cr_assert_str_eq(verdict(SYS_umount2, 0, 0), "none", "a call the text does not name");
	cr_assert_str_eq(stderr_text(), "");
}

Test(seccomp_policy, quiet_errno_rule)
{
	cr_assert_eq(parse("clone3 errno ENOSYS quiet\nmount errno EPERM\n"), 0);
	const struct sc_rule *r = decide(SYS_clone3, 0, 0);
	cr_assert_not_null(r);
	cr_assert(r->quiet);
	cr_assert_eq(r->err, ENOSYS);
	cr_assert_not(decide(SYS_mount, 0, 0)->quiet);
}

Test(seccomp_policy, quiet_with_condition)
{
	cr_assert_eq(parse("personality errno EINVAL quiet arg0 == 8\n"), 0);
	const struct sc_rule *r = decide(SYS_personality, 8, 0);
	cr_assert_not_null(r);
	cr_assert(r->quiet);
	cr_assert_eq(r->cond[0].op, SC_OP_EQ);
	cr_assert_eq(r->cond[0].value, 8);
}

Test(seccomp_policy, condition_fields)
{
	cr_assert_eq(parse("ioctl errno EPERM arg1 == TIOCSTI\n"), 0);
	cr_assert_eq(pol.n, 1);
	cr_assert_eq(pol.v[0].nr, SYS_ioctl);
	cr_assert_eq(pol.v[0].cond[0].arg, 1);
	cr_assert_eq(pol.v[0].cond[0].op, SC_OP_EQ);
	cr_assert_eq(pol.v[0].cond[0].value, TIOCSTI);
}

Test(seccomp_policy, values_numbers_and_constants)
{
	cr_assert_eq(parse("personality allow arg0 == 0x0400000\n"
			   "socket errno EPERM arg0 == 38\n"
			   "chmod errno EPERM arg1 & 04000|S_ISGID\n"
			   "clone errno EPERM arg0 & CLONE_NEWUSER|CLONE_NEWNET|0x10\n"
			   "ioctl errno EPERM arg1 != TIOCLINUX\n"),
		     0);
	cr_assert_eq(pol.n, 5);
	cr_assert_eq(pol.v[0].cond[0].value, 0x400000, "hex");
	cr_assert_eq(pol.v[1].cond[0].value, 38, "decimal");
	cr_assert_eq(pol.v[2].cond[0].value, 06000, "octal and a constant");
	cr_assert_eq(pol.v[2].cond[0].op, SC_OP_ANY_BITS);
	cr_assert_eq(pol.v[3].cond[0].value, CLONE_NEWUSER | CLONE_NEWNET | 0x10, "constants and a number");
	cr_assert_eq(pol.v[4].cond[0].op, SC_OP_NE);
	cr_assert_eq(pol.v[4].cond[0].value, TIOCLINUX);
}

Test(seccomp_policy, every_constant_the_default_policy_uses)
{
	cr_assert_eq(parse("personality allow arg0 == PER_LINUX\n"
			   "personality allow arg0 == PER_QUERY\n"
			   "socket errno EAFNOSUPPORT arg0 == AF_ALG\n"
			   "socket errno EAFNOSUPPORT arg0 == AF_ATMSVC\n"
			   "openat errno EPERM arg3 & S_ISUID\n"),
		     0);
	cr_assert_eq(pol.v[0].cond[0].value, PER_LINUX);
	cr_assert_eq(pol.v[1].cond[0].value, 0xffffffffu);
	cr_assert_eq(pol.v[2].cond[0].value, AF_ALG);
	cr_assert_eq(pol.v[3].cond[0].value, AF_ATMSVC);
	cr_assert_eq(pol.v[4].cond[0].value, S_ISUID);
}

Test(seccomp_policy, group_expands_to_its_calls)
{
	cr_assert_eq(parse("@keyring errno EPERM\n"), 0);
	cr_assert_eq(pol.n, 3);
	cr_assert_str_eq(verdict(SYS_keyctl, 0, 0), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_add_key, 0, 0), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_request_key, 0, 0), "errno EPERM");
}

Test(seccomp_policy, group_names)
{
	cr_assert_not_null(strstr(seccomp_group("@mount") ?: "", "pivot_root"));
	cr_assert_not_null(strstr(seccomp_group("@debug") ?: "", "ptrace"));
	cr_assert_null(seccomp_group("@nope"));
	cr_assert_null(seccomp_group("mount"), "a group name starts with @");
}

/* ---- later rules and earlier ones ------------------------------------- */

Test(seccomp_policy, later_unconditional_rule_replaces_all_earlier)
{
	cr_assert_eq(parse("ioctl allow\n"
			   "ioctl errno EPERM arg1 == TIOCSTI\n"
			   "ioctl errno EACCES\n"),
		     0);
	cr_assert_eq(pol.n, 1, "the conditional rule went too");
	cr_assert_str_eq(verdict(SYS_ioctl, 0, TIOCSTI), "errno EACCES");
	cr_assert_str_eq(verdict(SYS_ioctl, 0, FIONREAD), "errno EACCES");
}

Test(seccomp_policy, later_rule_replaces_a_group_member_only)
{
	cr_assert_eq(parse("@keyring errno EPERM\nkeyctl allow\n"), 0);
	cr_assert_str_eq(verdict(SYS_keyctl, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_add_key, 0, 0), "errno EPERM");
}

Test(seccomp_policy, conditional_rules_are_kept)
{
	cr_assert_eq(parse("ioctl allow\n"
			   "ioctl errno EPERM arg1 == TIOCSTI\n"
			   "ioctl errno EPERM arg1 == TIOCLINUX\n"),
		     0);
	cr_assert_eq(pol.n, 3);
	cr_assert_str_eq(verdict(SYS_ioctl, 0, TIOCSTI), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_ioctl, 0, TIOCLINUX), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_ioctl, 0, FIONREAD), "allow");
}

/* ---- the decision ----------------------------------------------------- */

/* The conditional rule decides first even when it comes before the
 * unconditional one in the file. */
Test(seccomp_policy, conditional_before_unconditional)
{
	cr_assert_eq(parse("personality allow arg0 == PER_LINUX\npersonality errno EPERM\n"), 0);
	/* ...but a later unconditional rule replaced it: only EPERM is left. */
	cr_assert_str_eq(verdict(SYS_personality, PER_LINUX, 0), "errno EPERM");
	seccomp_policy_free(&pol);

	cr_assert_eq(parse("personality errno EPERM\npersonality allow arg0 == PER_LINUX\n"), 0);
	cr_assert_str_eq(verdict(SYS_personality, PER_LINUX, 0), "allow");
	cr_assert_str_eq(verdict(SYS_personality, READ_IMPLIES_EXEC, 0), "errno EPERM");
}

Test(seccomp_policy, first_matching_condition_in_file_order)
{
	cr_assert_eq(parse("socket errno EAFNOSUPPORT arg0 == AF_ALG\n"
			   "socket errno EACCES arg0 != AF_INET\n"),
		     0);
	cr_assert_str_eq(verdict(SYS_socket, AF_ALG, 0), "errno EAFNOSUPPORT");
	cr_assert_str_eq(verdict(SYS_socket, AF_UNIX, 0), "errno EACCES");
	cr_assert_str_eq(verdict(SYS_socket, AF_INET, 0), "none", "no condition holds, no fallback");
}

/* The kernel reads ioctl's request and personality's persona as 32 bits:
 * bits above them must neither hide a match nor make one. */
Test(seccomp_policy, comparisons_ignore_the_high_half)
{
	cr_assert_eq(parse("ioctl allow\n"
			   "ioctl errno EPERM arg1 == TIOCSTI\n"
			   "personality errno EPERM\n"
			   "personality allow arg0 == PER_LINUX\n"
			   "socket allow\n"
			   "socket errno EACCES arg0 != AF_INET\n"),
		     0);
	cr_assert_str_eq(verdict(SYS_ioctl, 0, TIOCSTI | (1ULL << 32)), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_ioctl, 0, TIOCSTI | 0xffffffff00000000ULL), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_personality, 1ULL << 32, 0), "allow", "reads as PER_LINUX");
	cr_assert_str_eq(verdict(SYS_socket, AF_INET | (1ULL << 40), 0), "allow", "reads as AF_INET");
}

Test(seccomp_policy, any_bits_condition)
{
	cr_assert_eq(parse("clone allow\nclone errno EPERM arg0 & CLONE_NEWNS|CLONE_NEWUSER\n"), 0);
	cr_assert_str_eq(verdict(SYS_clone, CLONE_NEWUSER | CLONE_NEWNET, 0), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_clone, CLONE_NEWNS, 0), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_clone, SIGCHLD, 0), "allow");
	cr_assert_str_eq(verdict(SYS_clone, CLONE_NEWNET | SIGCHLD, 0), "allow");
}

Test(seccomp_policy, other_argument_positions)
{
	cr_assert_eq(parse("openat allow\nopenat errno EPERM arg3 & S_ISUID\n"), 0);
	const uint64_t suid[6] = { (uint64_t)AT_FDCWD, 0, O_CREAT, 04755 };
	const uint64_t plain[6] = { (uint64_t)AT_FDCWD, 0, O_CREAT, 0755 };
	cr_assert_eq(seccomp_policy_decide(&pol, SYS_openat, suid)->action, SC_ERRNO);
	cr_assert_eq(seccomp_policy_decide(&pol, SYS_openat, plain)->action, SC_ALLOW);
}

/* ---- loading by name -------------------------------------------------- */

Test(seccomp_policy, load_none)
{
	cfg.seccomp = strdup("none");
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), 0);
	cr_assert(pol.none);
	cr_assert_eq(pol.n, 0);
	/* Compiled to nothing: no filter is loaded. */
	int fd = 0;
	cr_assert_eq(seccomp_compile(&pol, &fd), 0);
	cr_assert_eq(fd, -1);
}

/* No policy set and nothing in the profile path: the built-in default
 * (or a copy installed under /etc/brig or the data directory). */
Test(seccomp_policy, load_default_builtin)
{
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), 0);
	cr_assert_not(pol.none);
	cr_assert_str_eq(verdict(SYS_mount, 0, 0), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_ptrace, 0, 0), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_io_uring_setup, 0, 0), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_unshare, 0, 0), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0), "errno EPERM");
	cr_assert_str_eq(verdict(SYS_clone, SIGCHLD, 0), "allow");
	cr_assert_str_eq(verdict(SYS_clone3, 0, 0), "errno ENOSYS");
	cr_assert_str_eq(verdict(SYS_getpid, 0, 0), "allow");
	cr_assert_str_eq(stderr_text(), "");
}

Test(seccomp_policy, load_allow_ptrace)
{
	cfg.allow_ptrace = true;
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), 0);
	cr_assert_str_eq(verdict(SYS_ptrace, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_process_vm_readv, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_kcmp, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_perf_event_open, 0, 0), "errno EPERM", "the rest of @debug stays");
	cr_assert_str_eq(verdict(SYS_unshare, 0, 0), "errno EPERM");
}

Test(seccomp_policy, load_allow_userns)
{
	cfg.allow_userns = true;
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), 0);
	cr_assert_str_eq(verdict(SYS_unshare, CLONE_NEWUSER, 0), "allow");
	cr_assert_str_eq(verdict(SYS_setns, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0), "allow");
	cr_assert_str_eq(verdict(SYS_mount, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_ptrace, 0, 0), "errno EPERM");
}

Test(seccomp_policy, load_allow_io_uring)
{
	cfg.allow_io_uring = true;
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), 0);
	cr_assert_str_eq(verdict(SYS_io_uring_setup, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_io_uring_enter, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_io_uring_register, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_mount, 0, 0), "errno EPERM");
}

Test(seccomp_policy, load_all_allow_flags_on_strict)
{
	cfg.seccomp = strdup("strict");
	cfg.allow_ptrace = cfg.allow_userns = cfg.allow_io_uring = true;
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), 0);
	cr_assert_str_eq(verdict(SYS_ptrace, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_unshare, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_io_uring_setup, 0, 0), "allow");
	cr_assert_str_eq(verdict(SYS_socket, AF_PACKET, 0), "errno EAFNOSUPPORT");
	cr_assert_str_eq(verdict(SYS_sched_setscheduler, 0, 0), "errno EPERM");
}

/* A file in the profile path wins over the built-in copy. */
Test(seccomp_policy, load_name_from_profile_path)
{
	put_dir("seccomp");
	put_file("seccomp/default.policy", "getpid allow\nmount errno EACCES\n");
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), 0);
	cr_assert_eq(pol.n, 2);
	cr_assert_str_eq(verdict(SYS_mount, 0, 0), "errno EACCES");
}

Test(seccomp_policy, load_path)
{
	const char *path = put_file("mine.policy", "include default\nmount errno EACCES\n");
	cfg.seccomp = strdup(path);
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), 0);
	cr_assert_str_eq(verdict(SYS_mount, 0, 0), "errno EACCES");
	cr_assert_str_eq(verdict(SYS_umount2, 0, 0), "errno EPERM", "from the included default");
}

Test(seccomp_policy, load_unknown_name)
{
	cfg.seccomp = strdup("no-such-policy");
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), -ENOENT);
	cr_assert_str_eq(printed(), "brig: seccomp no-such-policy: No such file or directory\n");
}

/* A failed load leaves nothing behind to free or to use. */
Test(seccomp_policy, load_error_leaves_empty_policy)
{
	const char *path = put_file("bad.policy", "getpid allow\nmount nope\n");
	cfg.seccomp = strdup(path);
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), -EINVAL);
	cr_assert_eq(pol.n, 0);
	cr_assert_null(pol.v);
	char want[1024];
	snprintf(want, sizeof want, "brig: %s:2: mount: unknown action 'nope' (allow, errno NAME, kill or log)\n",
		 path);
	cr_assert_str_eq(printed(), want);
}

Test(seccomp_policy, load_directory_refused)
{
	const char *path = put_dir("adir");
	cfg.seccomp = strdup(path);
	cr_assert_eq(seccomp_policy_load(&cfg, &pol, &e), -EISDIR);
	cr_assert_eq(pol.n, 0);
	char want[1024];
	snprintf(want, sizeof want, "brig: seccomp %s: Is a directory\n", path);
	cr_assert_str_eq(printed(), want);
}

/* ---- the shipped policies --------------------------------------------- */

#define SHIPPED "profiles/seccomp"

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	cr_assert_not_null(f, "%s: %s", path, strerror(errno));
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	return strdup(text);
}

/* Each file parses and compiles on its own, includes from the checkout,
 * and the copy built into brig is the file as it is now. */
Test(seccomp_policy, every_shipped_policy_parses_and_compiles)
{
	setenv("BRIG_PROFILE_PATH", "profiles", 1);
	DIR *d = opendir(SHIPPED);
	cr_assert_not_null(d, "run from the top of the source tree");
	struct dirent *ent;
	size_t seen = 0;
	while ((ent = readdir(d))) {
		size_t len = strlen(ent->d_name);
		if (len < 8 || strcmp(ent->d_name + len - 7, ".policy") != 0)
			continue;
		char path[512], name[256];
		snprintf(path, sizeof path, SHIPPED "/%s", ent->d_name);
		snprintf(name, sizeof name, "%.*s", (int)(len - 7), ent->d_name);
		char *text = read_all(path);
		struct seccomp_policy p = { 0 };
		cr_assert_eq(seccomp_policy_parse(&p, path, text, 0, &e), 0, "%s: %s", path, e.msg);
		cr_assert_gt(p.n, 0, "%s has no rules", path);
		int fd = -1;
		struct seccomp_program prog;
		cr_assert_eq(seccomp_compile(&p, &fd), 0, "%s does not compile", path);
		cr_assert_geq(fd, 0);
		cr_assert_eq(seccomp_program_read(fd, &prog), 0, "%s: the compiled programs do not read back", path);
		close(fd);
		cr_assert_gt(prog.known.len, 0);
		cr_assert_gt(prog.refusals.len, 0);
		seccomp_program_free(&prog);
		seccomp_policy_free(&p);
		const char *builtin = seccomp_builtin_policy(name);
		cr_assert_not_null(builtin, "%s is not built in", name);
		cr_assert_str_eq(builtin, text, "the built-in %s is stale", name);
		free(text);
		seen++;
	}
	closedir(d);
	static const char *const expected[] = { "default", "strict", "allow-userns", "allow-ptrace", "allow-io-uring" };
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		cr_assert_not_null(seccomp_builtin_policy(expected[i]), "%s is missing", expected[i]);
	cr_assert_geq(seen, 5);
	cr_assert_null(seccomp_builtin_policy("no-such-policy"));
}

/* The probe's verdict rules, fed what the kernel answered in real sandboxes
 * (recorded on the development host, kernel 6.18): the bare host as root,
 * bubblewrap as root and as uid 65534 (two nested user namespaces),
 * unshare without a map, and brig's default and permissive profiles. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "brig/probe/verdict.h"

static struct probe_report rep(void)
{
	struct probe_report r = { .id = "t", .category = "t" };
	return r;
}

/* ---- identity ---- */

Test(verdict, host_root_bare_host)
{
	struct probe_report r = rep();
	struct probe_id_facts f = { .kind = "uid", .self = 0, .access = 0, .root_here = 0, .overflow = 65534,
				    .self_mapped = true, .parent = 0, .initial = 1 };
	probe_rule_host_id(&r, &f);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
}

/* bubblewrap run by uid 65534: uid_map says "65534 0 1", a 0 that is the
 * outer namespace's, itself uid 65534 on the host. No alarm. */
Test(verdict, host_root_nested_namespaces_are_not_host_root)
{
	struct probe_report r = rep();
	struct probe_id_facts f = { .kind = "uid", .self = 65534, .access = -EACCES, .root_here = 65534,
				    .overflow = 65534, .self_mapped = true, .parent = 0, .initial = 0 };
	probe_rule_host_id(&r, &f);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	cr_expect(strstr(r.evidence, "not mapped here"), "%s", r.evidence);
	/* Without the kernel's answer (no procfs sysctl) the map alone cannot
	 * tell: not applicable, never exposed. */
	f.access = 1;
	f.root_here = -1;
	probe_rule_host_id(&r, &f);
	cr_expect_eq(r.result, PROBE_NA, "%s", r.evidence);
}

/* unshare -U without a map: the process shows as 65534 but keeps host uid 0. */
Test(verdict, host_root_unmapped_process_keeps_host_root)
{
	struct probe_report r = rep();
	struct probe_id_facts f = { .kind = "uid", .self = 65534, .access = 0, .root_here = 65534, .overflow = 65534,
				    .self_mapped = false, .parent = -1, .initial = 0 };
	probe_rule_host_id(&r, &f);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
}

/* brig: root inside, an unprivileged range outside; /proc/sys read-only
 * (the kernel refuses permission before it looks at the mount). */
Test(verdict, host_root_brig_job)
{
	struct probe_report r = rep();
	struct probe_id_facts f = { .kind = "uid", .self = 0, .access = -EACCES, .root_here = 65534, .overflow = 65534,
				    .self_mapped = true, .parent = 100000, .initial = 0 };
	probe_rule_host_id(&r, &f);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	/* Host root on a read-only /proc/sys: still host root. */
	f.access = -EROFS;
	probe_rule_host_id(&r, &f);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
}

Test(verdict, host_gid0_by_how_the_host_gid_shows_here)
{
	struct probe_report r = rep();
	/* bubblewrap as root: gid 0 maps to gid 0. */
	struct probe_id_facts f = { .kind = "gid", .self = 0, .access = 1, .root_here = 0, .overflow = 65534,
				    .self_mapped = true, .parent = 0, .initial = 0 };
	probe_rule_host_id(&r, &f);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	/* bubblewrap as 65534: host gid 0 has no name here. */
	f = (struct probe_id_facts){ .kind = "gid", .self = 65534, .access = 1, .root_here = 65534, .overflow = 65534,
				     .self_mapped = true, .parent = 0, .initial = 0 };
	probe_rule_host_id(&r, &f);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	/* Host gid 0 mapped as gid 5 and held as a supplementary group. */
	f = (struct probe_id_facts){ .kind = "gid", .self = 1000, .access = 1, .root_here = 5, .overflow = 65534,
				     .self_mapped = true, .member = true, .parent = 1000, .initial = 0 };
	probe_rule_host_id(&r, &f);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
}

/* ---- privileges ---- */

Test(verdict, capabilities_of_a_nested_namespace_are_namespace_only)
{
	struct probe_report r = rep();
	probe_rule_caps(&r, "CapEff", 0, 0x1ffffffffffULL, 0);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	cr_expect_eq(r.scope, PROBE_SCOPE_NAMESPACE);
	cr_expect(strstr(r.evidence, "namespace only"), "%s", r.evidence);
	probe_rule_caps(&r, "CapEff", 0, 0x1ffffffffffULL, 1);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	cr_expect_eq(r.scope, PROBE_SCOPE_HOST);
	probe_rule_caps(&r, "CapEff", 0, 0, 1);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_caps(&r, "CapEff", -ENOENT, 0, 1);
	cr_expect_eq(r.result, PROBE_NA, "%s", r.evidence);
}

Test(verdict, setid_programs_work_only_when_their_owner_is_mapped)
{
	/* root-owned, host root mapped, no nosuid, no no_new_privs. */
	cr_expect(probe_rule_setid_works(S_ISUID | 0755, 0, 65534, 1000, false, false));
	/* bubblewrap as 65534: host root shows as the overflow uid. */
	cr_expect_not(probe_rule_setid_works(S_ISUID | 0755, 65534, 65534, 65534, false, false));
	cr_expect_not(probe_rule_setid_works(S_ISUID | 0755, 0, 65534, 1000, true, false));
	cr_expect_not(probe_rule_setid_works(S_ISUID | 0755, 0, 65534, 1000, false, true));
	cr_expect_not(probe_rule_setid_works(S_ISUID | 0755, 1000, 65534, 1000, false, false));
	cr_expect_not(probe_rule_setid_works(0755, 0, 65534, 1000, false, false));
}

Test(verdict, landlock_layers)
{
	struct probe_report r = rep();
	probe_rule_landlock(&r, 7, 0);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	probe_rule_landlock(&r, 7, 2);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	cr_expect(strstr(r.evidence, "2 layers"), "%s", r.evidence);
	probe_rule_landlock(&r, -ENOSYS, 0);
	cr_expect_eq(r.result, PROBE_NA, "%s", r.evidence);
	probe_rule_landlock(&r, 7, -EPERM);
	cr_expect_eq(r.result, PROBE_NA, "%s", r.evidence);
}

/* ---- system calls ---- */

Test(verdict, a_real_call_decides_by_the_kernel_answer)
{
	struct probe_report r = rep();
	probe_syscall_verdict(&r, "x", -1, EPERM);
	cr_expect_eq(r.result, PROBE_BLOCKED);
	cr_expect_str_eq(r.evidence, "x: EPERM");
	probe_syscall_verdict(&r, "x", -1, ENOSYS);
	cr_expect_eq(r.result, PROBE_BLOCKED);
	probe_syscall_verdict(&r, "x", -1, EACCES);
	cr_expect_eq(r.result, PROBE_BLOCKED);
	probe_syscall_verdict(&r, "x", -1, EINVAL);
	cr_expect_eq(r.result, PROBE_EXPOSED);
	cr_expect_str_eq(r.evidence, "x passed the permission checks (EINVAL)");
	probe_syscall_verdict(&r, "x", 3, 0);
	cr_expect_eq(r.result, PROBE_EXPOSED);
	cr_expect_eq(r.depth, PROBE_DEPTH_KERNEL);
}

/* Recorded in brig permissive (user.max_user_namespaces 0 in the job):
 * ENOSPC, and `unshare -U` there fails the same way. */
Test(verdict, a_new_user_namespace_only_when_the_kernel_made_one)
{
	struct probe_report r = rep();
	probe_rule_unshare_userns(&r, 0, 0);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	probe_rule_unshare_userns(&r, -1, ENOSPC);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	cr_expect(strstr(r.evidence, "limit on user namespaces"), "%s", r.evidence);
	probe_rule_unshare_userns(&r, -1, EUSERS);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_unshare_userns(&r, -1, EPERM);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_unshare_userns(&r, -1, EINVAL);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
}

/* TIOCSTI with a NULL character: EFAULT comes only after the permission
 * checks. bubblewrap --new-session and brig permissive got EPERM. */
Test(verdict, tiocsti_by_the_fault_after_the_permission_checks)
{
	struct probe_report r = rep();
	probe_rule_tiocsti(&r, "the inherited terminal", EFAULT);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	probe_rule_tiocsti(&r, "a terminal it does not control", EPERM);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_tiocsti(&r, "the inherited terminal", EIO); /* legacy_tiocsti 0 */
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_tiocsti(&r, "the inherited terminal", ENOTTY);
	cr_expect_eq(r.result, PROBE_NA, "%s", r.evidence);
}

Test(verdict, open_by_handle_host_or_namespace)
{
	struct probe_report r = rep();
	probe_rule_open_by_handle(&r, 0, true);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	cr_expect_eq(r.scope, PROBE_SCOPE_HOST);
	probe_rule_open_by_handle(&r, 0, false);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	cr_expect_eq(r.scope, PROBE_SCOPE_NAMESPACE);
	probe_rule_open_by_handle(&r, -EPERM, false);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_open_by_handle(&r, -ESTALE, false);
	cr_expect_eq(r.result, PROBE_NA, "%s", r.evidence);
}

/* ---- files and secrets ---- */

Test(verdict, a_readable_file_is_exposed_whatever_it_holds)
{
	struct probe_report r = rep();
	probe_rule_readable(&r, "/etc/shadow", 0, false);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	probe_rule_readable(&r, "/etc/shadow", 0, true);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_readable(&r, "/etc/shadow", -EACCES, false);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	cr_expect_str_eq(r.evidence, "/etc/shadow: EACCES");
}

Test(verdict, proc_keys_leaks_only_other_users_keys)
{
	struct probe_report r = rep();
	probe_rule_proc_keys(&r, 0, false, 0, 0);
	cr_expect_eq(r.result, PROBE_BLOCKED, "an empty /proc/keys is no leak: %s", r.evidence);
	probe_rule_proc_keys(&r, 0, false, 6, 0);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_proc_keys(&r, 0, false, 6, 2);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	probe_rule_proc_keys(&r, 0, true, 0, 0);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_proc_keys(&r, -ENOENT, false, 0, 0);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
}

/* ---- resources ---- */

Test(verdict, an_rlimit_counts_only_below_the_kernel_default)
{
	/* threads-max 192725 here: the boot default RLIMIT_NPROC is 96362. */
	cr_expect_not(probe_rule_rlimit_counts(RLIMIT_NPROC, 96362, 192725));
	cr_expect(probe_rule_rlimit_counts(RLIMIT_NPROC, 4096, 192725));
	cr_expect_not(probe_rule_rlimit_counts(RLIMIT_NPROC, (unsigned long long)RLIM_INFINITY, 192725));
	cr_expect(probe_rule_rlimit_counts(RLIMIT_NPROC, 96362, -1), "unknown default: a finite limit counts");
	cr_expect_not(probe_rule_rlimit_counts(RLIMIT_AS, (unsigned long long)RLIM_INFINITY, 192725));
	cr_expect(probe_rule_rlimit_counts(RLIMIT_AS, 8ULL << 30, 192725));
}

Test(verdict, inotify_charged_to_another_user)
{
	struct probe_report r = rep();
	/* brig as root: the job's namespace was made by host root, unmapped here. */
	probe_rule_inotify(&r, 0, 65534, 0, 65534, 0, 128);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	cr_expect(strstr(r.evidence, "at most 128"), "%s", r.evidence);
	/* bubblewrap as 65534: every level is uid 65534's own. */
	probe_rule_inotify(&r, 0, 65534, 65534, 65534, 0, 128);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	/* Owner mapped under another id. */
	probe_rule_inotify(&r, 0, 1000, 0, 65534, 0, 128);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	probe_rule_inotify(&r, 0, 0, 0, 65534, 1, 128);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_inotify(&r, -EPERM, 65534, 0, 65534, 0, 128);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_inotify(&r, 0, -ENOTTY, 0, 65534, 0, 128);
	cr_expect_eq(r.result, PROBE_NA, "%s", r.evidence);
}

/* ---- processes ---- */

#define W(s) s, sizeof s - 1

Test(verdict, command_lines_tell_only_what_the_job_was_not_given)
{
	char first[64];
	/* brig's PID 1 with the caller's whole command line. */
	size_t n = probe_rule_extra_words(W("brig\0run\0--profile\0default\0--\0/opt/brig-probe\0probe\0--json\0"),
					  W("/opt/brig-probe\0probe\0--json\0"), true, first, sizeof first);
	cr_expect_eq(n, 4);
	cr_expect_str_eq(first, "run");
	/* A PID 1 that shows only the job's own command. */
	n = probe_rule_extra_words(W("brig-init\0/opt/brig-probe\0probe\0--json\0"), W("/opt/brig-probe\0probe\0--json\0"),
				   true, first, sizeof first);
	cr_expect_eq(n, 0);
	cr_expect_str_eq(first, "");
	/* Environments: a variable the job was not given. */
	n = probe_rule_extra_words(W("A=1\0CI_JOB_TOKEN=x\0"), W("A=1\0"), false, first, sizeof first);
	cr_expect_eq(n, 1);
	cr_expect_str_eq(first, "CI_JOB_TOKEN=x");
	n = probe_rule_extra_words(W("A=1\0"), W("A=1\0B=2\0"), false, first, sizeof first);
	cr_expect_eq(n, 0);
}

/* ---- netlink ---- */

Test(verdict, uevents_reach_only_namespaces_of_the_initial_user_namespace)
{
	struct probe_report r = rep();
	probe_rule_uevent(&r, 0, 1); /* firejail without a profile, the bare host */
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	probe_rule_uevent(&r, 0, 0); /* brig, bubblewrap as root */
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_uevent(&r, 0, -EPERM); /* bubblewrap as 65534 */
	cr_expect_eq(r.result, PROBE_NA, "%s", r.evidence);
	probe_rule_uevent(&r, -EPERM, 0); /* the filter */
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
}

Test(verdict, audit_netlink)
{
	struct probe_report r = rep();
	probe_rule_audit(&r, -ECONNREFUSED, -EPERM);
	cr_expect_eq(r.result, PROBE_BLOCKED, "%s", r.evidence);
	probe_rule_audit(&r, 0, 0);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
	probe_rule_audit(&r, -EPERM, 0);
	cr_expect_eq(r.result, PROBE_EXPOSED, "%s", r.evidence);
}

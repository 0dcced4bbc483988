/* The probe's checks: one table (src/probe/checks.c) of {id, category,
 * severity, function}, and the functions, one file per category. A new
 * check is a function in the file of its category, a row in the table, a
 * verdict rule in verdict.c with a unit test of recorded kernel answers, and
 * a row in tests/integration/test_probe.c naming where it is exposed and
 * where blocked. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "brig/probe/probe.h"

/* A check fills result, evidence, and depth or scope where they apply. */
typedef void (*probe_fn)(struct probe_report *r);

struct probe_check {
	const char *id;
	const char *category;
	enum probe_severity severity;
	probe_fn fn;
	/* Only with --network: it sends TCP SYNs to other hosts, or asks the
	 * network stack for changes. */
	bool opt_in;
};

extern const struct probe_check probe_checks[];
extern const size_t probe_checks_count;
/* The categories, in report order. */
extern const char *const probe_categories[];
extern const size_t probe_categories_count;

/* ---- helpers the checks share (src/probe/probe_common.c) ---- */

/* A first packet lost (an ARP or neighbour request, a SYN, a DNS query) is
 * sent again after the kernel's initial retransmission timeout of 1 s: the
 * deadline leaves room for that one resend, so that a reachable address on
 * a busy or just-configured link is not read as blocked. A filter that
 * drops costs this long per check. */
#define PROBE_CONNECT_TIMEOUT_MS 2000

/* An address and TCP port to try. */
struct probe_target {
	char addr[46]; /* INET6_ADDRSTRLEN */
	unsigned port;
};
/* Non-blocking TCP connections to every target at once, one deadline
 * (room for one lost SYN's resend): err[i] 0 when target i accepted, else
 * its errno (ETIMEDOUT: no answer). With first_ends, the first accepted
 * connection ends the wait (the others stay ETIMEDOUT). Nothing is sent;
 * each connection is closed at once. (src/probe/probe_network.c) */
void probe_connect_each(const struct probe_target *t, size_t n, int *err, bool first_ends);

/* The usual verdict on a real call with harmless arguments: the filter or
 * the kernel's permission check answered (EPERM, EACCES, ENOSYS), or the
 * kernel went on past it (any other answer, or success). */
void probe_syscall_verdict(struct probe_report *r, const char *what, long ret, int err);

/* Opens path with flags (O_CLOEXEC added) and closes it at once: 0 when it
 * opened, else -errno. Never reads or writes. */
int probe_try_open(const char *path, int flags);

/* Runs fn in a child that exits at once: its return value and errno, or
 * the signal that killed it. The result is the child's wait status, or
 * -errno when no child could be made. */
int probe_in_child(long (*fn)(void), long *ret, int *err);
/* probe_in_child, then the verdict: killed by SIGSYS is blocked, any other
 * signal not applicable, otherwise probe_syscall_verdict. */
void probe_child_verdict(struct probe_report *r, const char *what, long (*fn)(void));

/* The kernel gives the initial namespaces fixed inode numbers
 * (include/linux/proc_ns.h); this is the initial user namespace's. */
#define PROBE_USER_INIT_INO 0xEFFFFFFDUL
/* The initial network namespace's, on kernels that fix it (6.18). */
#define PROBE_NET_INIT_INO 0xEFFFFFF9UL

/* 1 when this process is in the initial user namespace (the kernel gives
 * that one a fixed inode), 0 when in another, -errno when it cannot tell. */
int probe_initial_userns(void);
/* The first number of a file (a sysctl), or -1. */
long probe_read_long(const char *path);
/* A hex field of /proc/self/status ("CapEff"). */
int probe_status_hex(const char *name, unsigned long long *v);

/* ---- the checks ---- */

void probe_identity_host_root(struct probe_report *r);
void probe_identity_host_gid0(struct probe_report *r);
void probe_identity_userns(struct probe_report *r);

void probe_privileges_cap_effective(struct probe_report *r);
void probe_privileges_cap_permitted(struct probe_report *r);
void probe_privileges_cap_inheritable(struct probe_report *r);
void probe_privileges_cap_bounding(struct probe_report *r);
void probe_privileges_cap_ambient(struct probe_report *r);
void probe_privileges_no_new_privs(struct probe_report *r);
void probe_privileges_securebits(struct probe_report *r);
void probe_privileges_setuid(struct probe_report *r);
void probe_privileges_landlock(struct probe_report *r);

void probe_syscalls_seccomp(struct probe_report *r);
void probe_syscalls_mount(struct probe_report *r);
void probe_syscalls_fsopen(struct probe_report *r);
void probe_syscalls_unshare(struct probe_report *r);
void probe_syscalls_setns(struct probe_report *r);
void probe_syscalls_keyctl(struct probe_report *r);
void probe_syscalls_bpf(struct probe_report *r);
void probe_syscalls_perf(struct probe_report *r);
void probe_syscalls_userfaultfd(struct probe_report *r);
void probe_syscalls_dev_userfaultfd(struct probe_report *r);
void probe_syscalls_ptrace(struct probe_report *r);
void probe_syscalls_open_by_handle(struct probe_report *r);
void probe_syscalls_kexec(struct probe_report *r);
void probe_syscalls_module(struct probe_report *r);
void probe_syscalls_io_uring(struct probe_report *r);
void probe_syscalls_int80(struct probe_report *r);
void probe_syscalls_x32(struct probe_report *r);
void probe_syscalls_tiocsti(struct probe_report *r);
void probe_syscalls_tioclinux(struct probe_report *r);
void probe_syscalls_clock(struct probe_report *r);
void probe_syscalls_personality(struct probe_report *r);

void probe_filesystem_proc1_root(struct probe_report *r);
void probe_filesystem_host_root(struct probe_report *r);
void probe_filesystem_host_devices(struct probe_report *r);
void probe_filesystem_cwd(struct probe_report *r);
void probe_filesystem_fds(struct probe_report *r);
void probe_filesystem_proc_sys(struct probe_report *r);
void probe_filesystem_core_pattern(struct probe_report *r);
void probe_filesystem_sysrq(struct probe_report *r);
void probe_filesystem_sys(struct probe_report *r);
void probe_filesystem_kcore(struct probe_report *r);
void probe_filesystem_proc_keys(struct probe_report *r);
void probe_filesystem_dev_mem(struct probe_report *r);
void probe_filesystem_block(struct probe_report *r);
void probe_filesystem_kvm(struct probe_report *r);
void probe_filesystem_release_agent(struct probe_report *r);
void probe_filesystem_usr(struct probe_report *r);
void probe_filesystem_root(struct probe_report *r);

void probe_secrets_engines(struct probe_report *r);
void probe_secrets_kube(struct probe_report *r);
void probe_secrets_ssh_agent(struct probe_report *r);
void probe_secrets_credential_files(struct probe_report *r);
void probe_secrets_shadow(struct probe_report *r);
void probe_secrets_environment(struct probe_report *r);

void probe_network_interfaces(struct probe_report *r);
void probe_network_routes(struct probe_report *r);
void probe_network_metadata4(struct probe_report *r);
void probe_network_metadata6(struct probe_report *r);
void probe_network_gateway(struct probe_report *r);
void probe_network_private(struct probe_report *r);
void probe_network_raw(struct probe_report *r);
void probe_network_packet(struct probe_report *r);
void probe_network_nl_link(struct probe_report *r);
void probe_network_nl_route(struct probe_report *r);
void probe_network_nftables(struct probe_report *r);
void probe_network_nl_uevent(struct probe_report *r);
void probe_network_nl_audit(struct probe_report *r);

void probe_resources_memory(struct probe_report *r);
void probe_resources_pids(struct probe_report *r);
void probe_resources_cpu(struct probe_report *r);
void probe_resources_inotify(struct probe_report *r);

void probe_processes_visible(struct probe_report *r);
void probe_processes_signal(struct probe_report *r);
void probe_processes_reaper(struct probe_report *r);
void probe_processes_cmdline(struct probe_report *r);
void probe_processes_environ(struct probe_report *r);

/* probe: the system calls that escapes and kernel exploits start from.
 *
 * Each call is made raw, with arguments the kernel rejects before it acts
 * (an fd of -1, invalid flags, contradictory mount flags), so
 * a call let through changes nothing: EPERM, EACCES or ENOSYS mean the
 * filter or a missing capability stopped it, anything else means the
 * kernel went on to parse the arguments. Calls that would change the
 * caller even so (unshare, setns, personality) are made in a child that
 * exits at once. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/probe/probe.h"
#include "brig/lib/util.h"

#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif

static void check_seccomp(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	_cleanup_(fclosep) FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	int mode = -1, filters = -1;
	while (f && fgets(line, sizeof line, f)) {
		sscanf(line, "Seccomp: %d", &mode);
		sscanf(line, "Seccomp_filters: %d", &filters);
	}
	if (mode < 0)
		probe_set(r, PROBE_NA, "no Seccomp line in /proc/self/status");
	else if (mode == 0)
		probe_set(r, PROBE_EXPOSED, "seccomp disabled: every system call reaches the kernel");
	else
		probe_set(r, PROBE_BLOCKED, "seccomp mode %d (%d filters)", mode, filters);
}

#define RAW(fn, what, ...)                                                  \
	static void fn(const struct probe_ctx *ctx, struct probe_report *r) \
	{                                                                   \
		(void)ctx;                                                  \
		errno = 0;                                                  \
		long ret = syscall(__VA_ARGS__);                            \
		probe_syscall_verdict(r, what, ret, errno);                 \
	}

/* Two propagation types at once: the kernel checks the capability, then
 * refuses the pair (EINVAL) before it changes anything. */
RAW(check_mount, "mount(/, MS_SHARED|MS_PRIVATE)", SYS_mount, NULL, "/", NULL, (unsigned long)(MS_SHARED | MS_PRIVATE),
    NULL)
/* fsopen checks the capability before its flags; a file system type that
 * exists keeps the kernel from asking modprobe for one. */
RAW(check_fsopen, "fsopen(tmpfs, invalid flags)", SYS_fsopen, "tmpfs", 0xffffUL)
RAW(check_keyctl, "keyctl(invalid operation)", SYS_keyctl, 0x7fffL, 0L, 0L, 0L, 0L)
RAW(check_bpf, "bpf(invalid command)", SYS_bpf, 0x7fffL, NULL, 0L)
RAW(check_perf, "perf_event_open(NULL attr)", SYS_perf_event_open, NULL, 0L, -1L, -1L, ~0UL)
RAW(check_uffd, "userfaultfd(invalid flags)", SYS_userfaultfd, ~0UL)
RAW(check_ptrace, "ptrace(PTRACE_ATTACH, pid 0)", SYS_ptrace, 16L /* PTRACE_ATTACH */, 0L, NULL, NULL)
RAW(check_handle, "open_by_handle_at(-1, NULL)", SYS_open_by_handle_at, -1L, NULL, 0L)
RAW(check_kexec, "kexec_load(invalid flags)", SYS_kexec_load, 0L, 0L, NULL, ~0UL)
RAW(check_module, "finit_module(-1)", SYS_finit_module, -1L, "", 0L)
RAW(check_io_uring, "io_uring_setup(0, NULL)", SYS_io_uring_setup, 0L, NULL)
RAW(check_tioclinux, "ioctl(-1, TIOCLINUX)", SYS_ioctl, -1L, (unsigned long)TIOCLINUX, NULL)
RAW(check_clock, "settimeofday(NULL, NULL)", SYS_settimeofday, NULL, NULL)

/* TIOCSTI past the filter still needs the kernel's consent: since 6.2 it
 * refuses unless dev.tty.legacy_tiocsti is 1 or the caller has
 * CAP_SYS_ADMIN. */
static void check_tiocsti(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	errno = 0;
	long ret = syscall(SYS_ioctl, -1L, (unsigned long)TIOCSTI, "x");
	probe_syscall_verdict(r, "ioctl(-1, TIOCSTI)", ret, errno);
	if (r->result != PROBE_EXPOSED)
		return;
	int legacy = -1;
	_cleanup_(fclosep) FILE *f = fopen("/proc/sys/dev/tty/legacy_tiocsti", "re");
	if (f && fscanf(f, "%d", &legacy) != 1)
		legacy = -1;
	unsigned long long eff = 0;
	_cleanup_(fclosep) FILE *s = fopen("/proc/self/status", "re");
	char line[256];
	while (s && fgets(line, sizeof line, s))
		sscanf(line, "CapEff: %llx", &eff);
	if (legacy == 0 && !(eff & (1ULL << 21)))
		probe_set(r, PROBE_BLOCKED, "ioctl(-1, TIOCSTI) reaches the kernel, which refuses it (legacy_tiocsti 0)");
}

/* Runs fn in a child; returns its wait status. */
static int in_child(long (*fn)(void), int *err, long *ret)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		errno = 0;
		long v[2] = { fn(), errno };
		if (write(p[1], v, sizeof v) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	long v[2] = { 0, 0 };
	ssize_t got = read(p[0], v, sizeof v);
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*ret = v[0];
	*err = (int)v[1];
	if (got != (ssize_t)sizeof v && !WIFSIGNALED(st))
		return -EIO;
	return st;
}

static void child_verdict(struct probe_report *r, const char *what, long (*fn)(void))
{
	int err = 0;
	long ret = 0;
	int st = in_child(fn, &err, &ret);
	if (st < 0)
		probe_set(r, PROBE_NA, "%s: cannot fork a child to try it (%s)", what, probe_errno_name(-st));
	else if (WIFSIGNALED(st))
		probe_set(r, WTERMSIG(st) == SIGSYS ? PROBE_BLOCKED : PROBE_NA, "%s: killed by signal %d", what,
			  WTERMSIG(st));
	else
		probe_syscall_verdict(r, what, ret, err);
}

static long do_unshare_user(void)
{
	return syscall(SYS_unshare, CLONE_NEWUSER);
}

static void check_unshare(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	child_verdict(r, "unshare(CLONE_NEWUSER)", do_unshare_user);
	if (r->result == PROBE_EXPOSED)
		probe_set(r, PROBE_EXPOSED, "unshare(CLONE_NEWUSER) succeeded: a new namespace with every capability");
}

/* Joining PID 1's mount namespace is the classic way out of a container
 * that shares the host's PID namespace. */
static long do_setns(void)
{
	int fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return syscall(SYS_setns, fd, CLONE_NEWNS);
}

static void check_setns(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	struct stat self, one;
	if (stat("/proc/self/ns/mnt", &self) == 0 && stat("/proc/1/ns/mnt", &one) == 0 && self.st_ino == one.st_ino &&
	    self.st_dev == one.st_dev) {
		probe_set(r, PROBE_BLOCKED, "PID 1 shares this mount namespace: nothing to join");
		return;
	}
	child_verdict(r, "setns(/proc/1/ns/mnt)", do_setns);
	if (r->result == PROBE_EXPOSED && strstr(r->evidence, "(ENOENT)"))
		probe_set(r, PROBE_BLOCKED, "no /proc/1/ns/mnt to join");
}

static long do_personality(void)
{
	return syscall(SYS_personality, (unsigned long)(PER_LINUX | ADDR_NO_RANDOMIZE));
}

static void check_personality(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	child_verdict(r, "personality(ADDR_NO_RANDOMIZE)", do_personality);
}

#if defined(__x86_64__)
/* The 32-bit getpid through int $0x80; a kernel without the 32-bit entry
 * raises a fault instead, which kills the child with SIGSEGV. */
static long do_int80(void)
{
	/* The fault must kill this child, whatever handler the parent had
	 * (a sanitizer's, for one). */
	signal(SIGSEGV, SIG_DFL);
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
	ret = (int)ret;
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static void check_int80(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	child_verdict(r, "32-bit getpid (int $0x80)", do_int80);
	if (r->result == PROBE_NA && strstr(r->evidence, "signal 11"))
		probe_set(r, PROBE_NA, "int $0x80 faults: this kernel has no 32-bit entry");
}

static void check_x32(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(0x40000000L | 39) : "memory", "rcx", "r11");
	int err = ret < 0 && ret > -4096 ? (int)-ret : 0;
	probe_syscall_verdict(r, "x32 getpid", ret < 0 && ret > -4096 ? -1 : ret, err);
}
#else
static void check_int80(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	probe_set(r, PROBE_NA, "no 32-bit compatibility ABI on this architecture");
}
static void check_x32(const struct probe_ctx *ctx, struct probe_report *r)
{
	(void)ctx;
	probe_set(r, PROBE_NA, "no x32 ABI on this architecture");
}
#endif

static const struct probe_check checks[] = {
	{ "syscalls.seccomp", PROBE_MEDIUM, check_seccomp },
	{ "syscalls.mount", PROBE_HIGH, check_mount },
	{ "syscalls.fsopen", PROBE_HIGH, check_fsopen },
	{ "syscalls.unshare-userns", PROBE_HIGH, check_unshare },
	{ "syscalls.setns", PROBE_HIGH, check_setns },
	{ "syscalls.keyctl", PROBE_MEDIUM, check_keyctl },
	{ "syscalls.bpf", PROBE_HIGH, check_bpf },
	{ "syscalls.perf-event-open", PROBE_MEDIUM, check_perf },
	{ "syscalls.userfaultfd", PROBE_MEDIUM, check_uffd },
	{ "syscalls.ptrace", PROBE_MEDIUM, check_ptrace },
	{ "syscalls.open-by-handle-at", PROBE_HIGH, check_handle },
	{ "syscalls.kexec-load", PROBE_HIGH, check_kexec },
	{ "syscalls.module-load", PROBE_HIGH, check_module },
	{ "syscalls.io-uring", PROBE_MEDIUM, check_io_uring },
	{ "syscalls.abi-int80", PROBE_MEDIUM, check_int80 },
	{ "syscalls.abi-x32", PROBE_MEDIUM, check_x32 },
	{ "syscalls.tiocsti", PROBE_HIGH, check_tiocsti },
	{ "syscalls.tioclinux", PROBE_MEDIUM, check_tioclinux },
	{ "syscalls.clock-set", PROBE_MEDIUM, check_clock },
	{ "syscalls.personality", PROBE_LOW, check_personality },
};
const struct probe_category probe_syscalls = { "syscalls", checks, ARRAY_SIZE(checks), false };

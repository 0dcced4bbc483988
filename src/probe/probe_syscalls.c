/* probe: the system calls that escapes and kernel exploits start from.
 *
 * Each call is the real operation, with arguments that pass the kernel's
 * own permission checks and change nothing: a one-entry BPF map created
 * and closed, a userfaultfd or io_uring opened and closed, a dummy perf
 * event on itself, a NULL pointer the kernel reads only after its checks,
 * a propagation flag pair it refuses only after the capability check.
 * Calls that would change the caller (unshare, setns, personality, ptrace,
 * Landlock) are made in a child that exits at once. An argument that fails
 * before the permission checks (a descriptor of -1) proves only that no
 * filter stood in the way: such a check says so (depth filter). */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brig/lib/util.h"
#include "brig/probe/checks.h"
#include "brig/probe/verdict.h"

#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif
#ifndef TIOCL_GETSHIFTSTATE
#define TIOCL_GETSHIFTSTATE 6
#endif

/* A call that returned a descriptor: closed, and the verdict. */
static void fd_verdict(struct probe_report *r, const char *what, long fd, int err)
{
	if (fd >= 0)
		close((int)fd);
	probe_syscall_verdict(r, what, fd, err);
}

void probe_syscalls_seccomp(struct probe_report *r)
{
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

/* Two propagation types at once: the kernel checks the capability, then
 * refuses the pair (EINVAL) before it changes anything. */
void probe_syscalls_mount(struct probe_report *r)
{
	errno = 0;
	long ret = syscall(SYS_mount, NULL, "/", NULL, (unsigned long)(MS_SHARED | MS_PRIVATE), NULL);
	probe_syscall_verdict(r, "mount(/, MS_SHARED|MS_PRIVATE)", ret, errno);
}

/* fsopen checks the capability before its flags; a file system type that
 * exists keeps the kernel from asking modprobe for one. */
void probe_syscalls_fsopen(struct probe_report *r)
{
	errno = 0;
	long ret = syscall(SYS_fsopen, "tmpfs", 0xffffUL);
	probe_syscall_verdict(r, "fsopen(tmpfs, invalid flags)", ret, errno);
}

static long do_unshare_user(void)
{
	return syscall(SYS_unshare, CLONE_NEWUSER);
}

void probe_syscalls_unshare(struct probe_report *r)
{
	long ret = 0;
	int err = 0;
	int st = probe_in_child(do_unshare_user, &ret, &err);
	if (st < 0)
		probe_set(r, PROBE_NA, "unshare(CLONE_NEWUSER): cannot fork a child to try it (%s)", probe_errno_name(-st));
	else if (WIFSIGNALED(st))
		probe_set(r, WTERMSIG(st) == SIGSYS ? PROBE_BLOCKED : PROBE_NA, "unshare(CLONE_NEWUSER): killed by signal %d",
			  WTERMSIG(st));
	else
		probe_rule_unshare_userns(r, ret, err);
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

void probe_syscalls_setns(struct probe_report *r)
{
	struct stat self, one;
	if (stat("/proc/self/ns/mnt", &self) == 0 && stat("/proc/1/ns/mnt", &one) == 0 && self.st_ino == one.st_ino &&
	    self.st_dev == one.st_dev) {
		probe_set(r, PROBE_BLOCKED, "PID 1 shares this mount namespace: nothing to join");
		return;
	}
	probe_child_verdict(r, "setns(/proc/1/ns/mnt)", do_setns);
	if (r->result == PROBE_EXPOSED && strstr(r->evidence, "(ENOENT)"))
		probe_set(r, PROBE_BLOCKED, "no /proc/1/ns/mnt to join");
}

/* The key subsystem has no permission check of its own: a lookup of the
 * thread keyring without creating it (ENOKEY) shows it reachable. */
void probe_syscalls_keyctl(struct probe_report *r)
{
	errno = 0;
	long ret = syscall(SYS_keyctl, 0L /* KEYCTL_GET_KEYRING_ID */, -1L /* KEY_SPEC_THREAD_KEYRING */, 0L);
	probe_syscall_verdict(r, "keyctl(GET_KEYRING_ID, thread keyring)", ret, errno);
}

void probe_syscalls_bpf(struct probe_report *r)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	errno = 0;
	long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
	fd_verdict(r, "bpf(BPF_MAP_CREATE, one-entry array)", fd, errno);
}

/* A software event counting nothing, on this process, user space only: what
 * perf_event_paranoid 2 still allows the unprivileged. */
void probe_syscalls_perf(struct probe_report *r)
{
	struct perf_event_attr attr;
	memset(&attr, 0, sizeof attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof attr;
	attr.config = PERF_COUNT_SW_DUMMY;
	attr.disabled = 1;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	errno = 0;
	long fd = syscall(SYS_perf_event_open, &attr, 0L, -1L, -1L, (unsigned long)PERF_FLAG_FD_CLOEXEC);
	fd_verdict(r, "perf_event_open(dummy event on itself)", fd, errno);
}

/* Without UFFD_USER_MODE_ONLY the descriptor may handle faults the kernel
 * takes on user memory, which is what exploits use to stall it; the
 * kernel allows that to CAP_SYS_PTRACE or where vm.unprivileged_userfaultfd
 * is 1. */
void probe_syscalls_userfaultfd(struct probe_report *r)
{
	errno = 0;
	long fd = syscall(SYS_userfaultfd, (unsigned long)O_CLOEXEC);
	fd_verdict(r, "userfaultfd(kernel faults too)", fd, errno);
}

/* /dev/userfaultfd hands out the same descriptor to whoever may open it,
 * whatever the filter says of the system call. */
void probe_syscalls_dev_userfaultfd(struct probe_report *r)
{
	_cleanup_close_ int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		probe_set(r, PROBE_BLOCKED, "/dev/userfaultfd: %s", probe_errno_name(errno));
		return;
	}
	errno = 0;
	long fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC);
	fd_verdict(r, "/dev/userfaultfd USERFAULTFD_IOC_NEW", fd, errno);
}

/* PTRACE_SEIZE of its own child passes every permission check the kernel
 * makes (same credentials); the child never runs anything. */
void probe_syscalls_ptrace(struct probe_report *r)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		probe_set(r, PROBE_NA, "pipe: %s", probe_errno_name(errno));
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		probe_set(r, PROBE_NA, "fork: %s", probe_errno_name(errno));
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		char c;
		close(p[1]);
		_exit(read(p[0], &c, 1) < 0);
	}
	close(p[0]);
	errno = 0;
	long ret = syscall(SYS_ptrace, (long)PTRACE_SEIZE, (long)pid, NULL, NULL);
	int err = errno;
	kill(pid, SIGKILL);
	close(p[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	probe_syscall_verdict(r, "ptrace(PTRACE_SEIZE, own child)", ret, err);
}

/* The handle of "/" itself, opened O_PATH: harmless. The kernel decodes it
 * for CAP_DAC_READ_SEARCH over the host ("shocker": any inode of the file
 * system, outside this root too), or, relaxed, for a namespace's own
 * mounts only. */
void probe_syscalls_open_by_handle(struct probe_report *r)
{
	struct {
		struct file_handle h;
		unsigned char bytes[MAX_HANDLE_SZ];
	} fh;
	fh.h.handle_bytes = MAX_HANDLE_SZ;
	int mnt = 0;
	if (name_to_handle_at(AT_FDCWD, "/", &fh.h, &mnt, 0) < 0) {
		int e = errno;
		if (e == EPERM || e == ENOSYS || e == EACCES)
			probe_rule_open_by_handle(r, -e, false);
		else
			probe_set(r, PROBE_NA, "name_to_handle_at(/): %s", probe_errno_name(e));
		return;
	}
	_cleanup_close_ int root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* O_DIRECTORY: without it newer kernels refuse at once what
	 * they grant a namespace's root for its own mounts, and the answer
	 * would say nothing about the real decoding. */
	int fd = open_by_handle_at(root, &fh.h, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = fd < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	unsigned long long eff = 0;
	bool host = probe_status_hex("CapEff", &eff) == 0 && (eff & (1ULL << 2 /* CAP_DAC_READ_SEARCH */)) &&
		    probe_initial_userns() == 1;
	probe_rule_open_by_handle(r, err, host);
}

/* kexec_load and finit_module check their capability before anything
 * else; the invalid flags and the descriptor of -1 fail only after it. */
void probe_syscalls_kexec(struct probe_report *r)
{
	errno = 0;
	long ret = syscall(SYS_kexec_load, 0L, 0L, NULL, ~0UL);
	probe_syscall_verdict(r, "kexec_load(invalid flags)", ret, errno);
}

void probe_syscalls_module(struct probe_report *r)
{
	errno = 0;
	long ret = syscall(SYS_finit_module, -1L, "", 0L);
	probe_syscall_verdict(r, "finit_module(-1)", ret, errno);
}

void probe_syscalls_io_uring(struct probe_report *r)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof p);
	errno = 0;
	long fd = syscall(SYS_io_uring_setup, 1L, &p);
	fd_verdict(r, "io_uring_setup(1 entry)", fd, errno);
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

void probe_syscalls_int80(struct probe_report *r)
{
	probe_child_verdict(r, "32-bit getpid (int $0x80)", do_int80);
	if (r->result == PROBE_NA && strstr(r->evidence, "signal 11"))
		probe_set(r, PROBE_NA, "int $0x80 faults: this kernel has no 32-bit entry");
}

void probe_syscalls_x32(struct probe_report *r)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(0x40000000L | 39) : "memory", "rcx", "r11");
	int err = ret < 0 && ret > -4096 ? (int)-ret : 0;
	probe_syscall_verdict(r, "x32 getpid", ret < 0 && ret > -4096 ? -1 : ret, err);
}
#else
void probe_syscalls_int80(struct probe_report *r)
{
	probe_set(r, PROBE_NA, "no 32-bit compatibility ABI on this architecture");
}

void probe_syscalls_x32(struct probe_report *r)
{
	probe_set(r, PROBE_NA, "no x32 ABI on this architecture");
}
#endif

/* TIOCSTI with a NULL character: the kernel checks legacy_tiocsti and the
 * caller's right to the terminal (its controlling one, or CAP_SYS_ADMIN
 * over the host) before it reads the character, and faults on NULL after:
 * EFAULT means an injection would have been accepted, and nothing is
 * typed. The terminal tried is the one inherited on 0-2 (the caller's);
 * without one, a new pseudo-terminal the probe does not control. */
void probe_syscalls_tiocsti(struct probe_report *r)
{
	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd)) {
			errno = 0;
			long ret = ioctl(fd, TIOCSTI, NULL);
			probe_rule_tiocsti(r, "the inherited terminal", ret < 0 ? errno : 0);
			return;
		}
	_cleanup_close_ int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char *name = master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0 ? ptsname(master) : NULL;
	_cleanup_close_ int slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	if (slave >= 0) {
		errno = 0;
		long ret = ioctl(slave, TIOCSTI, NULL);
		probe_rule_tiocsti(r, "a terminal it does not control", ret < 0 ? errno : 0);
		return;
	}
	/* No terminal at all: only the filter can be asked. */
	errno = 0;
	long ret = syscall(SYS_ioctl, -1L, (unsigned long)TIOCSTI, NULL);
	probe_syscall_verdict(r, "ioctl(-1, TIOCSTI), no terminal to try", ret, errno);
	if (r->result == PROBE_EXPOSED)
		r->depth = PROBE_DEPTH_FILTER;
}

/* TIOCLINUX acts on virtual consoles only; GETSHIFTSTATE reads, after the
 * same permission check as the selection calls exploits use. */
void probe_syscalls_tioclinux(struct probe_report *r)
{
	_cleanup_close_ int vt = open("/dev/tty0", O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (vt >= 0) {
		char arg = TIOCL_GETSHIFTSTATE;
		errno = 0;
		long ret = ioctl(vt, TIOCLINUX, &arg);
		probe_syscall_verdict(r, "TIOCLINUX GETSHIFTSTATE on /dev/tty0", ret, errno);
		return;
	}
	errno = 0;
	long ret = syscall(SYS_ioctl, -1L, (unsigned long)TIOCLINUX, NULL);
	probe_syscall_verdict(r, "ioctl(-1, TIOCLINUX), no virtual console to try", ret, errno);
	if (r->result == PROBE_EXPOSED)
		r->depth = PROBE_DEPTH_FILTER;
}

/* With neither time nor zone the kernel checks CAP_SYS_TIME, then sets
 * nothing. */
void probe_syscalls_clock(struct probe_report *r)
{
	errno = 0;
	long ret = syscall(SYS_settimeofday, NULL, NULL);
	probe_syscall_verdict(r, "settimeofday(NULL, NULL)", ret, errno);
}

static long do_personality(void)
{
	return syscall(SYS_personality, (unsigned long)(PER_LINUX | ADDR_NO_RANDOMIZE));
}

void probe_syscalls_personality(struct probe_report *r)
{
	probe_child_verdict(r, "personality(ADDR_NO_RANDOMIZE)", do_personality);
}

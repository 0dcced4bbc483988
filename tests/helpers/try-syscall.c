/* try-syscall NAME [ARG...]: makes one system call and prints "OK" or the
 * errno name ("EPERM", "ENOSYS", ...); exits 0 after a well-formed call, so
 * a shell job can run many in a row.
 *
 * The point is to observe the seccomp verdict, so every call is made with
 * raw syscall(2), never a libc wrapper (which may pick another call or
 * answer by itself), and with arguments chosen so that, were the call let
 * through, it would change nothing: invalid flags, fds or addresses that
 * the kernel rejects before it acts, or a harmless no-op. Where possible
 * the kernel's own answer (EINVAL, EBADF, EFAULT, ENOSYS...) differs from
 * the filter's EPERM, so a test can tell the two apart; where the kernel
 * checks a capability first, the job's lack of it gives EPERM too, and the
 * tests rely on the supervisor's "denied" events instead.
 *
 * Variants that are not plain syscall names:
 *   int80 getpid         the 32-bit getpid through int $0x80 (x86_64)
 *   x32 getpid           the x32 getpid (x86_64)
 *   nr NUMBER            syscall NUMBER with zero arguments
 *   thread NAME [ARG...] makes the call NAME from a second thread
 *   clone                raw clone(SIGCHLD), a fork; clone-newuser adds
 *                        CLONE_NEWUSER; a child created exits at once
 *   ioctl-tiocsti[-hi]   ioctl(TIOCSTI) on an invalid fd; -hi sets bit 32
 *                        of the request, which the kernel ignores
 *   ioctl-tioclinux      ioctl(TIOCLINUX) on an invalid fd
 *   personality VALUE    a number or PER_LINUX, READ_IMPLIES_EXEC,
 *                        ADDR_NO_RANDOMIZE, PER_QUERY
 *   socket FAMILY        AF_NAME or a number; a socket created is closed
 *   chmod|fchmod|fchmodat|fchmodat2|creat|open|openat|mknod|mknodat PATH MODE
 *                        MODE in octal; these create or change PATH
 *   open-ro|openat-ro PATH MODE   open PATH read-only, MODE passed along
 *   openat-tmpfile DIR MODE       a nameless file in DIR (O_TMPFILE) */
#include <errno.h>
#include <fcntl.h>
#include <linux/fanotify.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Numbers newer than some libc headers; the same on every architecture. */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif

#define NOARG (~0UL) /* all flag bits set: "invalid flags" for most calls */

static char **args; /* the words after NAME */
static int n_args;

static void usage(const char *what)
{
	fprintf(stderr, "usage: try-syscall %s\n", what);
	exit(2);
}

static const char *arg(int i, const char *what)
{
	if (i >= n_args)
		usage(what);
	return args[i];
}

/* A raw clone without CLONE_VM is a fork: the child must leave at once. */
static long do_clone(unsigned long flags)
{
	long r = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

#if defined(__x86_64__)
static void no_int80(int sig)
{
	(void)sig;
	static const char msg[] = "SIGSEGV\n";
	if (write(1, msg, sizeof msg - 1) < 0)
		_exit(1);
	_exit(0);
}
#endif

/* The foreign-ABI calls take the call number only: getpid, which harms
 * nothing wherever it lands. */
static long foreign_getpid(const char *abi)
{
	if (strcmp(arg(0, "int80|x32 getpid"), "getpid") != 0)
		usage("int80|x32 getpid");
#if defined(__x86_64__)
	long ret;
	if (strcmp(abi, "int80") == 0) {
		/* A kernel without the 32-bit entry raises a fault instead. */
		signal(SIGSEGV, no_int80);
		/* i386 getpid is 20. The 32-bit entry clobbers r8-r11. */
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
		ret = (int)ret; /* a 32-bit call returns a 32-bit value */
	} else {
		/* x32 getpid: bit 30 marks the x32 ABI. */
		__asm__ volatile("syscall" : "=a"(ret) : "a"(0x40000000L | 39) : "memory", "rcx", "r11");
	}
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
#else
	(void)abi;
	fprintf(stderr, "try-syscall: foreign ABIs are only tried on x86_64\n");
	exit(2);
#endif
}

static long call_int80(void)
{
	return foreign_getpid("int80");
}

static long call_x32(void)
{
	return foreign_getpid("x32");
}

static long call_nr(void)
{
	return syscall(strtol(arg(0, "nr NUMBER"), NULL, 0), 0, 0, 0, 0, 0, 0);
}

static long call_clone(void)
{
	return do_clone(0);
}

static long call_clone_newuser(void)
{
	return do_clone(CLONE_NEWUSER);
}

/* fd -1: a TIOCSTI let through must not type into anybody's terminal. */
static long call_tiocsti(void)
{
	return syscall(SYS_ioctl, -1, (unsigned long)TIOCSTI, "x");
}

/* The kernel reads the request as 32 bits, so this is still TIOCSTI. */
static long call_tiocsti_hi(void)
{
	return syscall(SYS_ioctl, -1, (unsigned long)TIOCSTI | (1UL << 32), "x");
}

static long call_tioclinux(void)
{
	return syscall(SYS_ioctl, -1, (unsigned long)TIOCLINUX, "x");
}

static long call_ioctl(void)
{
	int n = 0;
	return syscall(SYS_ioctl, -1, (unsigned long)FIONREAD, &n);
}

static const struct {
	const char *name;
	unsigned long value;
} personalities[] = {
	{ "PER_LINUX", PER_LINUX },
	{ "READ_IMPLIES_EXEC", READ_IMPLIES_EXEC },
	{ "ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE },
	{ "PER_QUERY", 0xffffffffUL },
};

/* Changes only this short-lived process's personality. */
static long call_personality(void)
{
	const char *v = arg(0, "personality VALUE");
	unsigned long value = strtoul(v, NULL, 0);
	for (size_t i = 0; i < sizeof personalities / sizeof personalities[0]; i++)
		if (strcmp(personalities[i].name, v) == 0)
			value = personalities[i].value;
	return syscall(SYS_personality, value);
}

#define AF(name, type) { #name, name, type }
static const struct {
	const char *name;
	int family, type;
} families[] = {
	AF(AF_UNIX, SOCK_STREAM),	 AF(AF_INET, SOCK_STREAM),	AF(AF_INET6, SOCK_STREAM),
	AF(AF_NETLINK, SOCK_RAW),	 AF(AF_PACKET, SOCK_DGRAM),	AF(AF_ALG, SOCK_SEQPACKET),
	AF(AF_VSOCK, SOCK_STREAM),	 AF(AF_TIPC, SOCK_RDM),		AF(AF_RDS, SOCK_SEQPACKET),
	AF(AF_CAN, SOCK_RAW),		 AF(AF_BLUETOOTH, SOCK_RAW),	AF(AF_NFC, SOCK_SEQPACKET),
	AF(AF_XDP, SOCK_RAW),		 AF(AF_KEY, SOCK_RAW),		AF(AF_LLC, SOCK_DGRAM),
	AF(AF_X25, SOCK_SEQPACKET),	 AF(AF_AX25, SOCK_SEQPACKET),	AF(AF_NETROM, SOCK_SEQPACKET),
	AF(AF_ROSE, SOCK_SEQPACKET),	 AF(AF_APPLETALK, SOCK_DGRAM),	AF(AF_PHONET, SOCK_DGRAM),
	AF(AF_IEEE802154, SOCK_DGRAM), AF(AF_CAIF, SOCK_SEQPACKET),	AF(AF_SMC, SOCK_STREAM),
	AF(AF_QIPCRTR, SOCK_DGRAM),	 AF(AF_ATMPVC, SOCK_DGRAM),	AF(AF_ATMSVC, SOCK_SEQPACKET),
};

static long call_socket(void)
{
	const char *v = arg(0, "socket FAMILY");
	int family = (int)strtol(v, NULL, 0), type = SOCK_DGRAM;
	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
		if (strcmp(families[i].name, v) == 0) {
			family = families[i].family;
			type = families[i].type;
		}
	long fd = syscall(SYS_socket, family, type | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		close((int)fd);
	return fd;
}

/* The mode calls: PATH MODE, where the test picks a PATH it owns. */
static const char *mode_path(void)
{
	return arg(0, "CALL PATH MODE");
}

static unsigned long mode_value(void)
{
	return strtoul(arg(1, "CALL PATH MODE"), NULL, 8);
}

static long close_if_fd(long fd)
{
	if (fd >= 0)
		close((int)fd);
	return fd;
}

static long call_fchmod(void)
{
	int fd = open(mode_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	long r = syscall(SYS_fchmod, fd, mode_value());
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

static long call_fchmodat(void)
{
	return syscall(SYS_fchmodat, AT_FDCWD, mode_path(), mode_value());
}

static long call_fchmodat2(void)
{
	return syscall(SYS_fchmodat2, AT_FDCWD, mode_path(), mode_value(), 0);
}

static long call_openat(void)
{
	return close_if_fd(syscall(SYS_openat, AT_FDCWD, mode_path(), O_WRONLY | O_CREAT | O_CLOEXEC, mode_value()));
}

/* Opens without creating: the kernel ignores MODE, whatever its bits. */
static long call_openat_ro(void)
{
	return close_if_fd(syscall(SYS_openat, AT_FDCWD, mode_path(), O_RDONLY | O_CLOEXEC, mode_value()));
}

/* O_TMPFILE: a nameless file in the directory PATH, created with MODE. */
static long call_openat_tmpfile(void)
{
	return close_if_fd(syscall(SYS_openat, AT_FDCWD, mode_path(), O_WRONLY | O_TMPFILE | O_CLOEXEC, mode_value()));
}

/* Regular files need no privilege to mknod. */
static long call_mknodat(void)
{
	return syscall(SYS_mknodat, AT_FDCWD, mode_path(), S_IFREG | mode_value(), 0);
}

/* ---- calls without arguments ------------------------------------------ */

static long call_getpid(void)
{
	return syscall(SYS_getpid);
}

static long call_getppid(void)
{
	return syscall(SYS_getppid);
}

static long call_uname(void)
{
	struct utsname u;
	return syscall(SYS_uname, &u);
}

static long call_read(void)
{
	char c;
	return syscall(SYS_read, -1, &c, 1);
}

static long call_write(void)
{
	return syscall(SYS_write, -1, "x", 1);
}

static long call_clock_gettime(void)
{
	struct timespec ts;
	return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
}

static long call_getrandom(void)
{
	char b[8];
	return syscall(SYS_getrandom, b, sizeof b, 0);
}

static long call_openat2(void)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC };
	return close_if_fd(syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how));
}

/* Size 0 is below every clone_args version: EINVAL, nothing created. */
static long call_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0);
}

/* Newer than the policy (and libseccomp): NULL requests, EFAULT if let
 * through on a kernel that has them. */
static long call_statmount(void)
{
	return syscall(SYS_statmount, NULL, NULL, 0, 0);
}

static long call_listmount(void)
{
	return syscall(SYS_listmount, NULL, NULL, 0, 0);
}

/* Scheduling: SCHED_OTHER at priority 0 is what the process has; a NULL
 * attribute block is rejected. */
static long call_sched_setscheduler(void)
{
	struct sched_param p = { 0 };
	return syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &p);
}

static long call_sched_setattr(void)
{
	return syscall(SYS_sched_setattr, 0, NULL, 0);
}

/* Mounting: NULL paths and invalid flags fail before anything is done. */
static long call_mount(void)
{
	return syscall(SYS_mount, NULL, NULL, NULL, 0, NULL);
}

static long call_umount2(void)
{
	return syscall(SYS_umount2, NULL, NOARG);
}

static long call_pivot_root(void)
{
	return syscall(SYS_pivot_root, NULL, NULL);
}

static long call_move_mount(void)
{
	return syscall(SYS_move_mount, -1, NULL, -1, NULL, NOARG);
}

static long call_open_tree(void)
{
	return close_if_fd(syscall(SYS_open_tree, -1, NULL, NOARG));
}

static long call_fsopen(void)
{
	return close_if_fd(syscall(SYS_fsopen, NULL, NOARG));
}

static long call_fsconfig(void)
{
	return syscall(SYS_fsconfig, -1, 0xffff, NULL, NULL, 0);
}

static long call_fsmount(void)
{
	return close_if_fd(syscall(SYS_fsmount, -1, NOARG, 0));
}

static long call_fspick(void)
{
	return close_if_fd(syscall(SYS_fspick, -1, NULL, NOARG));
}

static long call_mount_setattr(void)
{
	return syscall(SYS_mount_setattr, -1, NULL, NOARG, NULL, 0);
}

static long call_chroot(void)
{
	return syscall(SYS_chroot, NULL);
}

/* Namespaces: unshare(0) is a no-op, setns needs an fd. */
static long call_unshare(void)
{
	return syscall(SYS_unshare, 0);
}

static long call_setns(void)
{
	return syscall(SYS_setns, -1, 0);
}

/* Keyrings: an unknown operation, NULL type names. */
static long call_keyctl(void)
{
	return syscall(SYS_keyctl, 0x7fffffff, 0, 0, 0, 0);
}

static long call_add_key(void)
{
	return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0);
}

static long call_request_key(void)
{
	return syscall(SYS_request_key, NULL, NULL, NULL, 0);
}

/* Modules: no image, no name; the old calls no longer exist. */
static long call_init_module(void)
{
	return syscall(SYS_init_module, NULL, 0, NULL);
}

static long call_finit_module(void)
{
	return syscall(SYS_finit_module, -1, NULL, NOARG);
}

static long call_delete_module(void)
{
	return syscall(SYS_delete_module, NULL, 0);
}

/* reboot without its magic numbers can do nothing; kexec without
 * segments and with invalid flags neither. */
static long call_reboot(void)
{
	return syscall(SYS_reboot, 0, 0, 0, NULL);
}

static long call_kexec_load(void)
{
	return syscall(SYS_kexec_load, 0, 0, NULL, NOARG);
}

static long call_kexec_file_load(void)
{
	return syscall(SYS_kexec_file_load, -1, -1, 0, NULL, NOARG);
}

static long call_swapon(void)
{
	return syscall(SYS_swapon, NULL, NOARG);
}

static long call_swapoff(void)
{
	return syscall(SYS_swapoff, NULL);
}

/* Clocks: unreadable new values (address 1 is never mapped). */
static long call_settimeofday(void)
{
	return syscall(SYS_settimeofday, (void *)1, NULL);
}

static long call_clock_settime(void)
{
	return syscall(SYS_clock_settime, CLOCK_REALTIME, NULL);
}

static long call_clock_adjtime(void)
{
	return syscall(SYS_clock_adjtime, CLOCK_REALTIME, NULL);
}

static long call_adjtimex(void)
{
	return syscall(SYS_adjtimex, NULL);
}

/* Debugging: pid 0 names no process; flags 1 is invalid. */
static long call_ptrace(void)
{
	return syscall(SYS_ptrace, 2 /* PTRACE_PEEKDATA */, 0, NULL, NULL);
}

static long call_process_vm_readv(void)
{
	return syscall(SYS_process_vm_readv, 0, NULL, 0, NULL, 0, 1);
}

static long call_process_vm_writev(void)
{
	return syscall(SYS_process_vm_writev, 0, NULL, 0, NULL, 0, 1);
}

static long call_kcmp(void)
{
	return syscall(SYS_kcmp, 0, 0, 0, 0, 0);
}

static long call_perf_event_open(void)
{
	return close_if_fd(syscall(SYS_perf_event_open, NULL, 0, -1, -1, NOARG));
}

static long call_lookup_dcookie(void)
{
	return syscall(SYS_lookup_dcookie, 0, NULL, 0);
}

/* io_uring: no parameters, no ring. */
static long call_io_uring_setup(void)
{
	return close_if_fd(syscall(SYS_io_uring_setup, 1, NULL));
}

static long call_io_uring_enter(void)
{
	return syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
}

static long call_io_uring_register(void)
{
	return syscall(SYS_io_uring_register, -1, 0, NULL, 0);
}

/* Administration. */
static long call_acct(void)
{
	return syscall(SYS_acct, NULL);
}

static long call_quotactl(void)
{
	return syscall(SYS_quotactl, 0, NULL, 0, NULL);
}

static long call_quotactl_fd(void)
{
	return syscall(SYS_quotactl_fd, -1, 0, 0, NULL);
}

/* SYSLOG_ACTION_SIZE_BUFFER: reads the size of the kernel log only. */
static long call_syslog(void)
{
	return syscall(SYS_syslog, 10, NULL, 0);
}

/* Only ever refused: with CAP_SYS_TTY_CONFIG it would hang up the tty,
 * which no job of these tests has. */
static long call_vhangup(void)
{
	return syscall(SYS_vhangup);
}

static long call_nfsservctl(void)
{
	return syscall(SYS_nfsservctl, 0, NULL, NULL);
}

static long call_open_by_handle_at(void)
{
	return close_if_fd(syscall(SYS_open_by_handle_at, -1, NULL, NOARG));
}

static long call_name_to_handle_at(void)
{
	return syscall(SYS_name_to_handle_at, -1, NULL, NULL, NULL, NOARG);
}

/* The unprivileged kind of group (file ids, notifications only): an fd
 * that watches nothing, gone with this process. */
static long call_fanotify_init(void)
{
	return close_if_fd(syscall(SYS_fanotify_init, FAN_CLASS_NOTIF | FAN_REPORT_FID, O_RDONLY));
}

static long call_fanotify_mark(void)
{
	return syscall(SYS_fanotify_mark, -1, 0, 0, AT_FDCWD, NULL);
}

static long call_bpf(void)
{
	return syscall(SYS_bpf, -1, NULL, 0);
}

static long call_userfaultfd(void)
{
	return close_if_fd(syscall(SYS_userfaultfd, NOARG));
}

/* More nodes than a bitmap may hold. */
static long call_migrate_pages(void)
{
	return syscall(SYS_migrate_pages, 0, 1UL << 30, NULL, NULL);
}

static long call_move_pages(void)
{
	return syscall(SYS_move_pages, 0, 0, NULL, NULL, NULL, NOARG);
}

static long call_process_madvise(void)
{
	return syscall(SYS_process_madvise, -1, NULL, 0, 0, NOARG);
}

static long call_memfd_secret(void)
{
	return close_if_fd(syscall(SYS_memfd_secret, NOARG));
}

#define CALL(name) { #name, call_##name }

/* ---- calls that x86_64 has and newer architectures do not -------------- */
#if defined(__x86_64__)
/* The mode calls and fork of old. */
static long call_open(void)
{
	return close_if_fd(syscall(SYS_open, mode_path(), O_WRONLY | O_CREAT | O_CLOEXEC, mode_value()));
}

static long call_open_ro(void)
{
	return close_if_fd(syscall(SYS_open, mode_path(), O_RDONLY | O_CLOEXEC, mode_value()));
}

static long call_creat(void)
{
	return close_if_fd(syscall(SYS_creat, mode_path(), mode_value()));
}

static long call_chmod(void)
{
	return syscall(SYS_chmod, mode_path(), mode_value());
}

/* Regular files need no privilege to mknod. */
static long call_mknod(void)
{
	return syscall(SYS_mknod, mode_path(), S_IFREG | mode_value(), 0);
}

static long call_fork(void)
{
	long r = syscall(SYS_fork);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r;
}

/* Modules: gone from the kernel long ago. */
static long call_create_module(void)
{
	return syscall(SYS_create_module, NULL, 0);
}

static long call_query_module(void)
{
	return syscall(SYS_query_module, NULL, 0, NULL, 0, NULL);
}

static long call_get_kernel_syms(void)
{
	return syscall(SYS_get_kernel_syms, NULL);
}

/* Port I/O: level 4 and an empty range are invalid; modify_ldt func 0
 * reads zero bytes of the LDT. */
static long call_iopl(void)
{
	return syscall(SYS_iopl, 4);
}

static long call_ioperm(void)
{
	return syscall(SYS_ioperm, 0, 0, 0);
}

static long call_modify_ldt(void)
{
	return syscall(SYS_modify_ldt, 0, NULL, 0);
}

/* Administration: a NULL library, device 0, an unknown sysfs option. */
static long call_uselib(void)
{
	return syscall(SYS_uselib, NULL);
}

static long call_ustat(void)
{
	return syscall(SYS_ustat, 0, NULL);
}

static long call_sysfs(void)
{
	return syscall(SYS_sysfs, 99, 0, 0);
}

static long call__sysctl(void)
{
	return syscall(SYS__sysctl, NULL);
}

/* Obsolete: never implemented on x86_64, or only for 32-bit TLS. */
static long call_afs_syscall(void)
{
	return syscall(SYS_afs_syscall);
}

static long call_tuxcall(void)
{
	return syscall(SYS_tuxcall);
}

static long call_security(void)
{
	return syscall(SYS_security);
}

static long call_vserver(void)
{
	return syscall(SYS_vserver);
}

static long call_getpmsg(void)
{
	return syscall(SYS_getpmsg);
}

static long call_putpmsg(void)
{
	return syscall(SYS_putpmsg);
}

static long call_epoll_ctl_old(void)
{
	return syscall(SYS_epoll_ctl_old);
}

static long call_epoll_wait_old(void)
{
	return syscall(SYS_epoll_wait_old);
}

static long call_set_thread_area(void)
{
	return syscall(SYS_set_thread_area, NULL);
}

static long call_get_thread_area(void)
{
	return syscall(SYS_get_thread_area, NULL);
}

#define X86_64_CALLS CALL(open), { "open-ro", call_open_ro }, CALL(creat), CALL(chmod), CALL(mknod), CALL(fork), CALL(create_module), CALL(query_module), CALL(get_kernel_syms), CALL(iopl), CALL(ioperm), CALL(modify_ldt), CALL(uselib), CALL(ustat), CALL(sysfs), CALL(_sysctl), CALL(afs_syscall), CALL(tuxcall), CALL(security), CALL(vserver), CALL(getpmsg), CALL(putpmsg), CALL(epoll_ctl_old), CALL(epoll_wait_old), CALL(set_thread_area), CALL(get_thread_area),
#else
#define X86_64_CALLS
#endif

static const struct {
	const char *name;
	long (*fn)(void);
} calls[] = {
	{ "int80", call_int80 },
	{ "x32", call_x32 },
	{ "nr", call_nr },
	{ "clone-newuser", call_clone_newuser },
	{ "ioctl-tiocsti", call_tiocsti },
	{ "ioctl-tiocsti-hi", call_tiocsti_hi },
	{ "ioctl-tioclinux", call_tioclinux },
	CALL(clone),
	X86_64_CALLS
	CALL(ioctl),
	CALL(personality),
	CALL(socket),
	CALL(fchmod),
	CALL(fchmodat),
	CALL(fchmodat2),
	CALL(openat),
	{ "openat-ro", call_openat_ro },
	{ "openat-tmpfile", call_openat_tmpfile },
	CALL(mknodat),
	CALL(getpid),
	CALL(getppid),
	CALL(uname),
	CALL(read),
	CALL(write),
	CALL(clock_gettime),
	CALL(getrandom),
	CALL(openat2),
	CALL(clone3),
	CALL(statmount),
	CALL(listmount),
	CALL(sched_setscheduler),
	CALL(sched_setattr),
	CALL(mount),
	CALL(umount2),
	CALL(pivot_root),
	CALL(move_mount),
	CALL(open_tree),
	CALL(fsopen),
	CALL(fsconfig),
	CALL(fsmount),
	CALL(fspick),
	CALL(mount_setattr),
	CALL(chroot),
	CALL(unshare),
	CALL(setns),
	CALL(keyctl),
	CALL(add_key),
	CALL(request_key),
	CALL(init_module),
	CALL(finit_module),
	CALL(delete_module),
	CALL(reboot),
	CALL(kexec_load),
	CALL(kexec_file_load),
	CALL(swapon),
	CALL(swapoff),
	CALL(settimeofday),
	CALL(clock_settime),
	CALL(clock_adjtime),
	CALL(adjtimex),
	CALL(ptrace),
	CALL(process_vm_readv),
	CALL(process_vm_writev),
	CALL(kcmp),
	CALL(perf_event_open),
	CALL(lookup_dcookie),
	CALL(io_uring_setup),
	CALL(io_uring_enter),
	CALL(io_uring_register),
	CALL(acct),
	CALL(quotactl),
	CALL(quotactl_fd),
	CALL(syslog),
	CALL(vhangup),
	CALL(nfsservctl),
	CALL(open_by_handle_at),
	CALL(name_to_handle_at),
	CALL(fanotify_init),
	CALL(fanotify_mark),
	CALL(bpf),
	CALL(userfaultfd),
	CALL(migrate_pages),
	CALL(move_pages),
	CALL(process_madvise),
	CALL(memfd_secret),
};

static long (*find(const char *name))(void)
{
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		if (strcmp(calls[i].name, name) == 0)
			return calls[i].fn;
	fprintf(stderr, "try-syscall: %s: no such call in the table\n", name);
	exit(2);
}

struct in_thread {
	long (*fn)(void);
	long ret;
	int err;
};

static void *thread_main(void *arg)
{
	struct in_thread *t = arg;
	errno = 0;
	t->ret = t->fn();
	t->err = errno;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage("NAME [ARG...]");
	bool threaded = strcmp(argv[1], "thread") == 0;
	if (threaded && argc < 3)
		usage("thread NAME [ARG...]");
	int first = threaded ? 2 : 1;
	args = argv + first + 1;
	n_args = argc - first - 1;
	/* A thread that is not the process's first: what a policy's kill must
	 * handle as well as a single-threaded caller. */
	struct in_thread t = { .fn = find(argv[first]) };
	pthread_t th;
	if (!threaded)
		thread_main(&t);
	else if (pthread_create(&th, NULL, thread_main, &t) != 0 || pthread_join(th, NULL) != 0)
		return 2;
	if (t.ret >= 0) {
		printf("OK\n");
	} else {
		const char *name = strerrorname_np(t.err);
		printf("%s\n", name ? name : "EUNKNOWN");
	}
	return 0;
}

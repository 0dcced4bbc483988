/* Named syscall groups. Names that this architecture does not have are
 * skipped where the groups are used, so one table serves every arch. */
#include <string.h>

#include "brig/seccomp/seccomp.h"
#include "brig/lib/util.h"

static const struct {
	const char *name;
	const char *calls;
} groups[] = {
	/* What ordinary programs use. */
	{ "@basic-io", "read write readv writev pread64 pwrite64 preadv pwritev preadv2 pwritev2 lseek close "
		       "close_range dup dup2 dup3" },
	{ "@file-system",
	  "open openat openat2 creat stat fstat lstat newfstatat statx statfs fstatfs access faccessat faccessat2 "
	  "chdir fchdir getcwd mkdir mkdirat rmdir rename renameat renameat2 link linkat unlink unlinkat symlink "
	  "symlinkat readlink readlinkat chmod fchmod fchmodat fchmodat2 chown fchown lchown fchownat truncate "
	  "ftruncate fallocate getdents getdents64 utime utimes utimensat futimesat umask inotify_init inotify_init1 "
	  "inotify_add_watch inotify_rm_watch mknod mknodat fadvise64 readahead fsync fdatasync sync syncfs "
	  "sync_file_range flock fcntl getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr setxattr "
	  "lsetxattr fsetxattr removexattr lremovexattr fremovexattr copy_file_range sendfile splice tee vmsplice "
	  "memfd_create" },
	{ "@memory", "brk mmap munmap mprotect mremap msync mincore madvise mlock mlock2 munlock mlockall munlockall "
		     "remap_file_pages pkey_mprotect pkey_alloc pkey_free membarrier mbind set_mempolicy "
		     "get_mempolicy set_mempolicy_home_node cachestat map_shadow_stack" },
	{ "@process", "clone fork vfork execve execveat exit exit_group wait4 waitid getpid getppid gettid getpgid "
		      "getpgrp setpgid getsid setsid kill tkill tgkill prctl arch_prctl set_tid_address "
		      "set_robust_list get_robust_list rseq getrusage getrlimit setrlimit prlimit64 getpriority "
		      "setpriority sched_yield sched_getaffinity sched_setaffinity sched_getparam sched_setparam "
		      "sched_getscheduler sched_setscheduler sched_get_priority_max sched_get_priority_min "
		      "sched_rr_get_interval sched_getattr sched_setattr pidfd_open pidfd_send_signal pidfd_getfd "
		      "uname times sysinfo getcpu capget capset ioprio_get ioprio_set getrandom seccomp "
		      "landlock_create_ruleset landlock_add_rule landlock_restrict_self process_mrelease" },
	{ "@credentials", "getuid geteuid getgid getegid getresuid getresgid getgroups setuid setgid setreuid "
			  "setregid setresuid setresgid setfsuid setfsgid setgroups" },
	{ "@signal", "rt_sigaction rt_sigprocmask rt_sigreturn rt_sigpending rt_sigtimedwait rt_sigqueueinfo "
		     "rt_tgsigqueueinfo rt_sigsuspend sigaltstack signalfd signalfd4 pause restart_syscall" },
	{ "@timer", "nanosleep clock_nanosleep clock_gettime clock_getres gettimeofday time alarm getitimer "
		    "setitimer timer_create timer_settime timer_gettime timer_getoverrun timer_delete "
		    "timerfd_create timerfd_settime timerfd_gettime" },
	{ "@io-event", "poll ppoll select pselect6 epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait "
		       "epoll_pwait2 eventfd eventfd2" },
	{ "@ipc", "pipe pipe2 shmget shmat shmdt shmctl semget semop semtimedop semctl msgget msgsnd msgrcv msgctl "
		  "mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr" },
	{ "@sync", "futex futex_waitv futex_wake futex_wait futex_requeue" },
	{ "@network-io", "socket socketpair bind listen accept accept4 connect shutdown getsockname getpeername "
			 "setsockopt getsockopt sendto recvfrom sendmsg recvmsg sendmmsg recvmmsg" },
	{ "@aio", "io_setup io_destroy io_getevents io_pgetevents io_submit io_cancel" },
	{ "@uts", "sethostname setdomainname" },

	/* What escapes and kernel exploits reach for. */
	{ "@mount", "mount umount2 pivot_root move_mount open_tree fsopen fsconfig fsmount fspick mount_setattr "
		    "chroot" },
	{ "@namespace", "unshare setns" },
	{ "@keyring", "keyctl add_key request_key" },
	{ "@module", "init_module finit_module delete_module create_module query_module get_kernel_syms" },
	{ "@reboot", "reboot kexec_load kexec_file_load" },
	{ "@swap", "swapon swapoff" },
	{ "@raw-io", "iopl ioperm modify_ldt" },
	{ "@clock", "settimeofday clock_settime clock_adjtime adjtimex" },
	{ "@debug", "ptrace process_vm_readv process_vm_writev kcmp perf_event_open lookup_dcookie" },
	{ "@io-uring", "io_uring_setup io_uring_enter io_uring_register" },
	{ "@privileged", "acct quotactl quotactl_fd syslog vhangup nfsservctl _sysctl uselib ustat sysfs "
			 "open_by_handle_at name_to_handle_at fanotify_init fanotify_mark bpf userfaultfd "
			 "migrate_pages move_pages process_madvise memfd_secret" },
	{ "@obsolete", "afs_syscall tuxcall security vserver getpmsg putpmsg epoll_ctl_old epoll_wait_old "
		       "set_thread_area get_thread_area" },
};

const char *seccomp_group(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (strcmp(groups[i].name, name) == 0)
			return groups[i].calls;
	return NULL;
}

/* The probe's verdict rules: pure functions from what the kernel answered
 * (recorded in plain values) to a result and its evidence. The checks ask
 * the kernel; these decide, and the unit tests feed them answers recorded
 * on the bare host, under bubblewrap as root and as an unprivileged user
 * (nested user namespaces), under firejail and under brig. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "brig/probe/probe.h"

/* A real call with harmless arguments: EPERM, EACCES or ENOSYS (the filter,
 * or the kernel's permission check) is blocked; success or any later error
 * means the call got past every permission check: exposed. */
void probe_syscall_verdict(struct probe_report *r, const char *what, long ret, int err);

/* unshare(CLONE_NEWUSER) in a child, whose arguments are always valid:
 * only success is exposed. Any refusal is the real outcome, the kernel's
 * namespace ceiling included (ENOSPC: user.max_user_namespaces reached, as
 * brig permissive sets it to 0 in its job; EUSERS: 32 levels of nesting). */
void probe_rule_unshare_userns(struct probe_report *r, long ret, int err);

/* Whether uid or gid 0 of the host is this process. */
struct probe_id_facts {
	const char *kind; /* "uid" or "gid" */
	long self;	  /* the effective id here */
	/* faccessat(W_OK) on a sysctl file that only the host's uid 0 may
	 * write (the kernel compares with host uid 0, across every namespace):
	 * 0 or -EROFS granted, -EACCES refused, 1 not asked. */
	int access;
	long root_here; /* how the host's id 0 shows here (owner of that file), -1 unknown */
	long overflow;	/* the kernel's overflow id, what unmapped ids show as; -1 unknown */
	bool self_mapped; /* self is in this namespace's map */
	bool member;	  /* root_here is among the supplementary groups */
	long parent;	  /* self in the parent namespace per the map, -1 unknown */
	int initial;	  /* 1 initial user namespace, 0 another, < 0 unknown */
};
void probe_rule_host_id(struct probe_report *r, const struct probe_id_facts *f);

/* The capability set `set` holds v (read_err < 0: unreadable); initial as
 * above. Capabilities of a user namespace other than the initial one act
 * on that namespace's own objects only: blocked, scope namespace. */
void probe_rule_caps(struct probe_report *r, const char *set, int read_err, unsigned long long v, int initial);

/* Whether a hard rlimit bounds anything: it is finite and, for
 * RLIMIT_NPROC, below the kernel's boot default (threads-max / 2), which
 * every process has unless someone lowered it. threads_max <= 0: unknown. */
bool probe_rule_rlimit_counts(int resource, unsigned long long max, long threads_max);

/* A file that must not be readable: err from open (0 opened), masked when
 * what opened is /dev/null mounted over it. Its contents do not matter. */
void probe_rule_readable(struct probe_report *r, const char *path, int err, bool masked);

/* /proc/keys: exposed only when it shows keys of other users. */
void probe_rule_proc_keys(struct probe_report *r, int err, bool masked, size_t keys, size_t foreign);

/* inotify instances count against the user that owns this user namespace
 * (and each owner above it) as well as this one. init_err: inotify_init1's
 * -errno or 0; owner: the namespace owner as NS_GET_OWNER_UID shows it here
 * (< 0: -errno); self: the effective uid; overflow as above. */
void probe_rule_inotify(struct probe_report *r, int init_err, long owner, long self, long overflow, int initial,
			long max_instances);

/* Words (NUL-separated) of theirs, the first excepted when skip_first, that
 * ours does not have: what another process's command line or environment
 * tells beyond this one's. The first such word goes to first. */
size_t probe_rule_extra_words(const char *theirs, size_t tlen, const char *ours, size_t olen, bool skip_first,
			      char *first, size_t flen);

/* NETLINK_KOBJECT_UEVENT: sock_err the socket's or bind's -errno, 0 when
 * it opened; owner 1 when the network namespace belongs to the initial user
 * namespace (the kernel sends host device events to those only), 0 when to
 * this one or one below, -EPERM when to an outer one (not nameable). */
void probe_rule_uevent(struct probe_report *r, int sock_err, int owner);

/* NETLINK_AUDIT: the status request's and the log subscription's -errno
 * (0 when the kernel answered or accepted). */
void probe_rule_audit(struct probe_report *r, int get_err, int readlog_err);

/* Landlock: abi the version or -errno; layers the domains in force or
 * -errno when they could not be counted. */
void probe_rule_landlock(struct probe_report *r, int abi, int layers);

/* TIOCSTI with a NULL character pointer: the kernel checks permission
 * first and faults on the pointer after (EFAULT), so nothing is typed.
 * target names the terminal tried. */
void probe_rule_tiocsti(struct probe_report *r, const char *target, int err);

/* open_by_handle_at on the handle of "/": err its -errno or 0; host_cap
 * when CAP_DAC_READ_SEARCH holds over the initial user namespace (any
 * handle of the file system decodes, "shocker"); otherwise the kernel
 * decodes only under this namespace's own mounts. */
void probe_rule_open_by_handle(struct probe_report *r, int err, bool host_cap);

/* A set-ID program gives something only when its owner is mapped here (the
 * kernel ignores the bit otherwise), is not this process's uid, the mount
 * honours the bit and no_new_privs is off. */
bool probe_rule_setid_works(unsigned mode, long owner, long overflow, long self, bool nosuid, bool nnp);

/* One name of brig probe's egress rows (brig/probe/egress.h), as seen. */
#define PROBE_EGRESS_ADDRS_MAX 4
struct probe_egress_facts {
	const char *name;
	unsigned port;
	bool outside;	 /* the allow list should refuse the name */
	int resolve_err; /* -errno when no resolver answered (none, silent) */
	int rcode;	 /* the resolver's DNS rcode (0 NOERROR, 3 NXDOMAIN, 5 REFUSED) */
	size_t n_addrs;
	char addrs[PROBE_EGRESS_ADDRS_MAX][46];
	int conn_err[PROBE_EGRESS_ADDRS_MAX]; /* 0 connected, else errno */
};
/* Reachable (an address took the connection): exposed. Not resolved or
 * nothing reachable: blocked. A name outside the allow list that resolves
 * at all is exposed: the resolver answers names it should refuse. */
void probe_rule_egress(struct probe_report *r, const struct probe_egress_facts *f);

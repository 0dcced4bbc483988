/* The probe's verdict rules: what the kernel answered -> a result. Pure:
 * no system calls here, so each rule is tested with recorded answers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "brig/probe/verdict.h"

void probe_syscall_verdict(struct probe_report *r, const char *what, long ret, int err)
{
	if (ret >= 0)
		probe_set(r, PROBE_EXPOSED, "%s succeeded", what);
	else if (err == EPERM || err == EACCES || err == ENOSYS)
		probe_set(r, PROBE_BLOCKED, "%s: %s", what, probe_errno_name(err));
	else
		probe_set(r, PROBE_EXPOSED, "%s passed the permission checks (%s)", what, probe_errno_name(err));
}

void probe_rule_unshare_userns(struct probe_report *r, long ret, int err)
{
	if (ret >= 0)
		probe_set(r, PROBE_EXPOSED, "unshare(CLONE_NEWUSER) succeeded: a new namespace with every capability");
	else if (err == ENOSPC || err == EUSERS)
		probe_set(r, PROBE_BLOCKED, "unshare(CLONE_NEWUSER): %s, the kernel's limit on user namespaces",
			  probe_errno_name(err));
	else
		probe_set(r, PROBE_BLOCKED, "unshare(CLONE_NEWUSER): %s", probe_errno_name(err));
}

void probe_rule_host_id(struct probe_report *r, const struct probe_id_facts *f)
{
	const char *k = f->kind;
	char here[64] = "";
	if (f->root_here >= 0 && f->overflow >= 0 && f->root_here == f->overflow)
		snprintf(here, sizeof here, "; host %s 0 is not mapped here", k);
	else if (f->root_here >= 0)
		snprintf(here, sizeof here, "; host %s 0 is %s %ld here", k, k, f->root_here);
	/* The kernel's own answer, whatever the nesting. */
	if (f->access == 0 || f->access == -EROFS) {
		probe_set(r, PROBE_EXPOSED, "%s %ld here is %s 0 on the host: the kernel grants it host root's permission",
			  k, f->self, k);
		return;
	}
	if (f->access == -EACCES) {
		probe_set(r, PROBE_BLOCKED, "%s %ld here is not %s 0 on the host: the kernel refuses it host root's permission%s",
			  k, f->self, k, here);
		return;
	}
	/* How the host's id 0 is named here: the kernel translates it into
	 * this namespace, or shows the overflow id when it has no name. */
	if (f->root_here >= 0 && f->overflow >= 0) {
		if (f->root_here != f->overflow) {
			bool is = f->self == f->root_here || f->member;
			probe_set(r, is ? PROBE_EXPOSED : PROBE_BLOCKED, "%s %ld here %s %s 0 on the host%s", k, f->self,
				  is ? "is" : "is not", k, here);
			return;
		}
		if (f->self_mapped) {
			probe_set(r, PROBE_BLOCKED, "%s %ld here is not %s 0 on the host%s", k, f->self, k, here);
			return;
		}
	}
	if (f->initial == 1) {
		probe_set(r, f->self == 0 ? PROBE_EXPOSED : PROBE_BLOCKED, "%s %ld in the initial user namespace", k,
			  f->self);
		return;
	}
	if (f->parent < 0)
		probe_set(r, PROBE_NA, "%s %ld: neither the kernel nor the map says what it is on the host", k, f->self);
	else if (f->parent == 0)
		probe_set(r, PROBE_NA, "%s %ld is %s 0 of the parent user namespace, which is not the initial one", k,
			  f->self, k);
	else
		probe_set(r, PROBE_BLOCKED, "%s %ld here is %s %ld of the parent user namespace", k, f->self, k,
			  f->parent);
}

void probe_rule_caps(struct probe_report *r, const char *set, int read_err, unsigned long long v, int initial)
{
	int n = __builtin_popcountll(v);
	if (read_err < 0)
		probe_set(r, PROBE_NA, "%s: cannot read /proc/self/status", set);
	else if (!v)
		probe_set(r, PROBE_BLOCKED, "%s empty", set);
	else if (initial == 0) {
		probe_set(r, PROBE_BLOCKED, "%s %016llx (%d capabilities), namespace only: over this user namespace's own objects",
			  set, v, n);
		r->scope = PROBE_SCOPE_NAMESPACE;
	} else {
		probe_set(r, PROBE_EXPOSED, "%s %016llx (%d capabilities)%s", set, v, n,
			  initial == 1 ? " over the host (the initial user namespace)" : "");
		r->scope = PROBE_SCOPE_HOST;
	}
}

bool probe_rule_rlimit_counts(int resource, unsigned long long max, long threads_max)
{
	if (max == (unsigned long long)RLIM_INFINITY)
		return false;
	if (resource == RLIMIT_NPROC && threads_max > 0)
		return max < (unsigned long long)threads_max / 2;
	return true;
}

void probe_rule_readable(struct probe_report *r, const char *path, int err, bool masked)
{
	if (err < 0)
		probe_set(r, PROBE_BLOCKED, "%s: %s", path, probe_errno_name(-err));
	else if (masked)
		probe_set(r, PROBE_BLOCKED, "%s is masked (/dev/null over it)", path);
	else
		probe_set(r, PROBE_EXPOSED, "%s opens for reading", path);
}

void probe_rule_proc_keys(struct probe_report *r, int err, bool masked, size_t keys, size_t foreign)
{
	probe_rule_readable(r, "/proc/keys", err, masked);
	if (r->result != PROBE_EXPOSED)
		return;
	if (foreign)
		probe_set(r, PROBE_EXPOSED, "/proc/keys shows %zu keys of other users (of %zu)", foreign, keys);
	else
		probe_set(r, PROBE_BLOCKED, "/proc/keys is readable but shows only this user's own keys (%zu)", keys);
}

void probe_rule_inotify(struct probe_report *r, int init_err, long owner, long self, long overflow, int initial,
			long max_instances)
{
	char max[48] = "";
	if (max_instances > 0)
		snprintf(max, sizeof max, " (at most %ld each)", max_instances);
	if (init_err == -EPERM || init_err == -EACCES || init_err == -ENOSYS) {
		probe_set(r, PROBE_BLOCKED, "inotify_init1: %s", probe_errno_name(-init_err));
		return;
	}
	if (init_err < 0) {
		probe_set(r, PROBE_NA, "inotify_init1: %s", probe_errno_name(-init_err));
		return;
	}
	if (initial == 1) {
		probe_set(r, PROBE_BLOCKED, "initial user namespace: inotify instances count against uid %ld only", self);
		return;
	}
	if (owner < 0) {
		probe_set(r, PROBE_NA, "inotify works; the owner of this user namespace: %s", probe_errno_name((int)-owner));
		return;
	}
	if (owner == self)
		probe_set(r, PROBE_BLOCKED, "inotify instances count against uid %ld, this process's own, at every level", self);
	else if (owner == overflow)
		probe_set(r, PROBE_EXPOSED,
			  "inotify instances also count against the host user that owns this user namespace, "
			  "not mapped here%s",
			  max);
	else
		probe_set(r, PROBE_EXPOSED, "inotify instances also count against uid %ld, owner of this user namespace%s",
			  owner, max);
}

/* Whether word (NUL-terminated) is among the words of buf. */
static bool has_word(const char *buf, size_t len, const char *word)
{
	for (size_t off = 0; off < len;) {
		const char *w = buf + off;
		size_t wl = strnlen(w, len - off);
		if (strlen(word) == wl && memcmp(w, word, wl) == 0)
			return true;
		off += wl + 1;
	}
	return false;
}

size_t probe_rule_extra_words(const char *theirs, size_t tlen, const char *ours, size_t olen, bool skip_first,
			      char *first, size_t flen)
{
	size_t n = 0;
	bool at_first = true;
	if (flen)
		first[0] = 0;
	for (size_t off = 0; off < tlen;) {
		const char *w = theirs + off;
		size_t wl = strnlen(w, tlen - off);
		off += wl + 1;
		if (at_first && skip_first) {
			at_first = false;
			continue;
		}
		at_first = false;
		if (!wl)
			continue;
		char word[4096];
		if (wl >= sizeof word)
			wl = sizeof word - 1;
		memcpy(word, w, wl);
		word[wl] = 0;
		if (has_word(ours, olen, word))
			continue;
		if (!n++ && flen)
			snprintf(first, flen, "%s", word);
	}
	return n;
}

void probe_rule_uevent(struct probe_report *r, int sock_err, int owner)
{
	if (sock_err < 0)
		probe_set(r, PROBE_BLOCKED, "NETLINK_KOBJECT_UEVENT: %s", probe_errno_name(-sock_err));
	else if (owner == 1)
		probe_set(r, PROBE_EXPOSED,
			  "NETLINK_KOBJECT_UEVENT listens in a network namespace of the initial user namespace: "
			  "the host's device events reach it");
	else if (owner == 0)
		probe_set(r, PROBE_BLOCKED,
			  "NETLINK_KOBJECT_UEVENT opens, but the network namespace is this user namespace's: "
			  "the kernel sends it no host device events");
	else if (owner == -EPERM)
		probe_set(r, PROBE_NA,
			  "NETLINK_KOBJECT_UEVENT opens; the network namespace belongs to an outer user namespace, "
			  "which cannot be named from here");
	else
		probe_set(r, PROBE_NA, "NETLINK_KOBJECT_UEVENT opens; the network namespace's owner: %s",
			  probe_errno_name(-owner));
}

void probe_rule_audit(struct probe_report *r, int get_err, int readlog_err)
{
	if (get_err == 0)
		probe_set(r, PROBE_EXPOSED, "NETLINK_AUDIT: the kernel answers AUDIT_GET (audit status)");
	else if (readlog_err == 0)
		probe_set(r, PROBE_EXPOSED, "NETLINK_AUDIT: may subscribe to the host's audit log");
	else
		probe_set(r, PROBE_BLOCKED, "NETLINK_AUDIT: AUDIT_GET %s, log subscription %s", probe_errno_name(-get_err),
			  probe_errno_name(-readlog_err));
}

void probe_rule_landlock(struct probe_report *r, int abi, int layers)
{
	if (abi < 0)
		probe_set(r, PROBE_NA, "no Landlock here (%s)", probe_errno_name(-abi));
	else if (layers < 0)
		probe_set(r, PROBE_NA, "Landlock ABI %d; its layers could not be counted (%s)", abi,
			  probe_errno_name(-layers));
	else if (layers > 0)
		probe_set(r, PROBE_BLOCKED, "Landlock in force: %d layer%s (ABI %d)", layers, layers == 1 ? "" : "s", abi);
	else
		probe_set(r, PROBE_EXPOSED, "no Landlock domain (ABI %d): file access is bounded by the mounts alone", abi);
}

void probe_rule_tiocsti(struct probe_report *r, const char *target, int err)
{
	if (err == EFAULT)
		probe_set(r, PROBE_EXPOSED, "TIOCSTI into %s passes the permission checks", target);
	else if (err == EPERM || err == EIO || err == EACCES || err == ENOSYS)
		probe_set(r, PROBE_BLOCKED, "TIOCSTI into %s: %s", target, probe_errno_name(err));
	else
		probe_set(r, PROBE_NA, "TIOCSTI into %s: %s", target, probe_errno_name(err));
}

void probe_rule_open_by_handle(struct probe_report *r, int err, bool host_cap)
{
	if (err == -EPERM || err == -EACCES || err == -ENOSYS)
		probe_set(r, PROBE_BLOCKED, "open_by_handle_at(handle of /): %s", probe_errno_name(-err));
	else if (err < 0)
		probe_set(r, PROBE_NA, "open_by_handle_at(handle of /): %s", probe_errno_name(-err));
	else if (host_cap) {
		probe_set(r, PROBE_EXPOSED, "open_by_handle_at decodes any handle: CAP_DAC_READ_SEARCH over the host");
		r->scope = PROBE_SCOPE_HOST;
	} else {
		probe_set(r, PROBE_BLOCKED, "open_by_handle_at decodes handles only under this namespace's own mounts");
		r->scope = PROBE_SCOPE_NAMESPACE;
	}
}

bool probe_rule_setid_works(unsigned mode, long owner, long overflow, long self, bool nosuid, bool nnp)
{
	if (!(mode & (S_ISUID | S_ISGID)) || nosuid || nnp)
		return false;
	if (overflow >= 0 && owner == overflow)
		return false;
	return owner != self;
}

static const char *rcode_name(int rcode)
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
	static __thread char buf[16];
	if (rcode >= 0 && (size_t)rcode < sizeof n / sizeof n[0])
		return n[rcode];
	snprintf(buf, sizeof buf, "rcode %d", rcode);
	return buf;
}

static const char *conn_name(int err)
{
	return err == 0 ? "reachable" : err == ECONNREFUSED ? "refused" : err == ETIMEDOUT ? "timed out" :
										      probe_errno_name(err);
}

void probe_rule_egress(struct probe_report *r, const struct probe_egress_facts *f)
{
	if (f->resolve_err < 0) {
		probe_set(r, PROBE_BLOCKED, "%s: no resolver answered (%s)", f->name, probe_errno_name(-f->resolve_err));
		return;
	}
	if (f->rcode != 0) {
		probe_set(r, PROBE_BLOCKED, "%s: %s by the resolver (%s)", f->name,
			  f->rcode == 5 ? "refused" : "not resolved", rcode_name(f->rcode));
		return;
	}
	size_t n = f->n_addrs < PROBE_EGRESS_ADDRS_MAX ? f->n_addrs : PROBE_EGRESS_ADDRS_MAX;
	if (n == 0) {
		probe_set(r, f->outside ? PROBE_EXPOSED : PROBE_BLOCKED, "%s: resolved, no address (NOERROR)%s", f->name,
			  f->outside ? ": the resolver answers a name outside the allow list" : "");
		return;
	}
	char buf[PROBE_EVIDENCE_MAX] = "";
	size_t off = 0;
	bool reached = false;
	for (size_t i = 0; i < n && off < sizeof buf; i++) {
		reached |= f->conn_err[i] == 0;
		off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s %s", i ? ", " : "", f->addrs[i],
					conn_name(f->conn_err[i]));
	}
	/* Resolving alone is enough for a name the allow list should refuse:
	 * whatever answers it can also carry data out in its queries. */
	enum probe_result res = reached || f->outside ? PROBE_EXPOSED : PROBE_BLOCKED;
	probe_set(r, res, "%s%s: resolved, port %u: %s", f->outside ? "outside the allow list: " : "", f->name, f->port,
		  buf);
}

/* The calls that fail inside a job for want of an id mapping or a
 * capability, whatever the policy says: tar restoring an owner past the
 * job's id range, apt dropping to its user in a job without CAP_SETUID,
 * dpkg making a device node. The kernel refuses them (EINVAL, EPERM), and
 * without a word from brig the user cannot tell the sandbox did it.
 *
 * No filter sees a return value, but these few can be picked out before
 * the call by their integer arguments, so only they reach the answerer,
 * which lets them through and counts them. A job that makes none pays a
 * few more comparisons in its filter for those calls, nothing else. A
 * chown of a file one does not own, or other refusals that depend on the
 * target, are not recognised. */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "brig/seccomp/seccomp.h"
#include "brig/seccomp/seccomp_caller.h"

/* The id arguments: which are uids, which gids. */
static const struct id_call {
	int nr;
	unsigned first, n;
	bool gid_only;	 /* set*gid: every argument a gid */
	bool chown;	 /* uid then gid, CAP_CHOWN */
} id_calls[] = {
#ifdef SYS_chown
	{ SYS_chown, 1, 2, false, true },
	{ SYS_lchown, 1, 2, false, true },
#endif
	{ SYS_fchown, 1, 2, false, true },     { SYS_fchownat, 2, 2, false, true },
	{ SYS_setuid, 0, 1, false, false },    { SYS_setgid, 0, 1, true, false },
	{ SYS_setreuid, 0, 2, false, false },  { SYS_setregid, 0, 2, true, false },
	{ SYS_setresuid, 0, 3, false, false }, { SYS_setresgid, 0, 3, true, false },
};

static const struct id_call *id_call_of(int nr)
{
	for (size_t i = 0; i < sizeof id_calls / sizeof id_calls[0]; i++)
		if (id_calls[i].nr == nr)
			return &id_calls[i];
	return NULL;
}

/* Does the policy let nr through outright? Only such calls are watched:
 * a watch rule must never let through what the policy refuses, nor name a
 * call it leaves unknown. */
static bool allowed_outright(const struct seccomp_policy *p, int nr)
{
	bool allowed = false;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].nr == nr && p->v[i].n_cond == 0)
			allowed = p->v[i].action == SC_ALLOW;
	return allowed;
}

static int add(struct seccomp_policy *p, const struct sc_rule *r)
{
	if (!allowed_outright(p, r->nr))
		return 0;
	struct sc_rule *grown = realloc(p->v, (p->n + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	p->v = grown;
	p->v[p->n++] = *r;
	return 0;
}

/* An id argument in [from, 2^31), as aligned blocks, each one masked
 * comparison (libseccomp takes one comparison per argument in a rule, so
 * "at least N but not -1" must be spelt so). -1 ("unchanged") and the
 * other ids past 2^31 are left alone: no real id lives there, and chgrp
 * and seteuid pass -1 all the time. */
static int watch_ids(struct seccomp_policy *p, int nr, unsigned arg, uint64_t from)
{
	const uint64_t end = 1ULL << 31;
	for (uint64_t lo = from; lo < end;) {
		/* The largest aligned block starting at lo that fits. */
		uint64_t size = lo ? lo & -lo : end;
		while (lo + size > end)
			size >>= 1;
		struct sc_rule r = { .nr = nr, .action = SC_WATCH, .kind = SC_REFUSED_ID_MAPPING, .n_cond = 1 };
		r.cond[0] = (struct sc_cond){ .op = SC_OP_MASKED, .arg = arg, .value = lo,
					      .mask = (uint32_t)~(size - 1) };
		int e = add(p, &r);
		if (e < 0)
			return e;
		lo += size;
	}
	return 0;
}

int seccomp_policy_watch(struct seccomp_policy *p, const struct seccomp_watch *w)
{
	int e;
	if (p->none)
		return 0;
	p->watch = *w;
	for (size_t i = 0; i < sizeof id_calls / sizeof id_calls[0]; i++) {
		const struct id_call *c = &id_calls[i];
		/* Without the capability, any id may be refused: all go to
		 * the answerer, which asks the caller's credentials. */
		bool every = c->chown ? w->lacks_chown : w->lacks_setid;
		uint64_t from = every ? 0 : w->id_count;
		for (unsigned a = c->first; a < c->first + c->n; a++)
			if ((e = watch_ids(p, c->nr, a, from)) < 0)
				return e;
	}
	/* Character and block devices (S_IFBLK has S_IFCHR's bit too; the
	 * answerer tells them from a link and counts devices only). */
	struct sc_rule dev = { .action = SC_WATCH, .kind = SC_REFUSED_CAPABILITY, .n_cond = 1 };
#ifdef SYS_mknod
	dev.nr = SYS_mknod;
	dev.cond[0] = (struct sc_cond){ .op = SC_OP_ANY_BITS, .arg = 1, .value = S_IFCHR };
	if ((e = add(p, &dev)) < 0)
		return e;
#endif
	dev.nr = SYS_mknodat;
	dev.cond[0] = (struct sc_cond){ .op = SC_OP_ANY_BITS, .arg = 2, .value = S_IFCHR };
	if ((e = add(p, &dev)) < 0)
		return e;
	if (w->setgroups_denied) {
		/* Every call: a condition that always holds keeps the rule
		 * beside the policy's own, not in place of them. */
		struct sc_rule g = { .nr = SYS_setgroups, .action = SC_WATCH, .kind = SC_REFUSED_ID_MAPPING,
				     .n_cond = 1, .cond = { { .op = SC_OP_GE, .arg = 0, .value = 0 } } };
		if ((e = add(p, &g)) < 0)
			return e;
	}
	return 0;
}

/* An id the job's user may pass without the capability: for chown its own
 * fsuid, or one of its groups; for set*id one of its real, effective and
 * saved ids. In host ids, as /proc shows them to the answerer. */
static bool own_id(const struct seccomp_caller *c, const struct id_call *k, bool gid, unsigned long host)
{
	if (k->chown)
		return gid ? seccomp_caller_in_group(c, host) : c->uid[3] == host;
	const unsigned long *ids = gid ? c->gid : c->uid;
	return ids[0] == host || ids[1] == host || ids[2] == host;
}

int seccomp_watch_classify(const struct seccomp_policy *p, const struct sc_rule *r, pid_t tid,
			   const uint64_t args[6], long *id)
{
	*id = -1;
	if (r->kind == SC_REFUSED_CAPABILITY) {
		/* mknod(path, mode, dev), mknodat(dirfd, path, mode, dev): a
		 * device, and not an overlay whiteout (0:0), which root of the
		 * namespace may make. */
		unsigned at = r->cond[0].arg;
		mode_t type = (mode_t)args[at] & S_IFMT;
		if (type != S_IFCHR && type != S_IFBLK)
			return -1;
		return type == S_IFCHR && (uint32_t)args[at + 1] == 0 ? -1 : SC_REFUSED_CAPABILITY;
	}
	const struct id_call *k = id_call_of(r->nr);
	if (!k)
		return SC_REFUSED_ID_MAPPING; /* setgroups, denied */
	unsigned arg = r->cond[0].arg;
	uint32_t v = (uint32_t)args[arg];
	*id = v;
	if (v >= p->watch.id_count)
		return SC_REFUSED_ID_MAPPING;
	bool gid = k->gid_only || (k->chown && arg == k->first + 1);
	struct seccomp_caller c;
	if (seccomp_caller_read(tid, &c) < 0)
		return -1;
	int cap = k->chown ? CAP_CHOWN : gid ? CAP_SETGID : CAP_SETUID;
	unsigned long host = (unsigned long)v + (gid ? p->watch.gid_base : p->watch.uid_base);
	if (seccomp_caller_has_cap(&c, cap) || own_id(&c, k, gid, host))
		return -1;
	return SC_REFUSED_CAPABILITY;
}

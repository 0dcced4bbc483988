/* Compiling the policy to BPF (in the supervisor) and loading it (in the
 * job, last). The BPF is exported once, so the job's final steps are two
 * seccomp(2) calls and a sendmsg, with no allocation and no libseccomp. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "brig/seccomp/seccomp.h"
#include "brig/lib/util.h"

static void ctx_releasep(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
}

/* The memfd holds a header with both lengths (in instructions), then the
 * two programs back to back. */
struct header {
	uint32_t known, refusals;
};

static int export(scmp_filter_ctx ctx, int fd, uint32_t *len)
{
	off_t start = lseek(fd, 0, SEEK_END);
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	off_t end = lseek(fd, 0, SEEK_END);
	off_t bytes = end - start;
	if (start < 0 || bytes <= 0 || bytes % (off_t)sizeof(struct sock_filter) ||
	    bytes / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -E2BIG;
	*len = (uint32_t)(bytes / (off_t)sizeof(struct sock_filter));
	return 0;
}

static int read_program(int fd, off_t off, uint32_t len, struct sock_fprog *out)
{
	if (len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	size_t bytes = len * sizeof(struct sock_filter);
	struct sock_filter *insns = malloc(bytes);
	if (!insns)
		return -ENOMEM;
	if (pread(fd, insns, bytes, off) != (ssize_t)bytes) {
		free(insns);
		return -EIO;
	}
	out->filter = insns;
	out->len = (unsigned short)len;
	return 0;
}

int seccomp_program_read(int fd, struct seccomp_program *prog)
{
	struct header h;
	memset(prog, 0, sizeof *prog);
	if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		return -EIO;
	int r = read_program(fd, sizeof h, h.known, &prog->known);
	if (r >= 0)
		r = read_program(fd, (off_t)(sizeof h + h.known * sizeof(struct sock_filter)), h.refusals,
				 &prog->refusals);
	if (r < 0)
		seccomp_program_free(prog);
	return r;
}

static scmp_filter_ctx new_filter(uint32_t def)
{
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return NULL;
	/* Foreign ABIs (int 0x80, x32 on x86_64) have their own numbers that a
	 * native filter would misread: refuse them all. NNP is set by brig
	 * itself, and a binary tree keeps long filters fast. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS)) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/* The comparisons that make condition c hold, as alternatives: one for
 * most operators, one per bit for ANY_BITS (libseccomp has no "any of
 * these bits"). Returns how many it wrote. */
static unsigned alternatives(const struct sc_cond *c, struct scmp_arg_cmp *out)
{
	unsigned n = 0;
	switch (c->op) {
	case SC_OP_NONE:
		break;
	case SC_OP_EQ:
		out[n++] = SCMP_CMP(c->arg, SCMP_CMP_MASKED_EQ, 0xffffffffu, c->value);
		break;
	case SC_OP_NE:
		/* A 64-bit comparison: garbage in the high half makes it hold
		 * where the kernel's view would not, and the supervisor, which
		 * compares 32 bits, lets such a call continue. */
		out[n++] = SCMP_CMP32(c->arg, SCMP_CMP_NE, c->value, 0);
		break;
	case SC_OP_GE:
		/* Likewise: the high half can only make it hold more often. */
		out[n++] = SCMP_CMP(c->arg, SCMP_CMP_GE, c->value, 0);
		break;
	case SC_OP_MASKED:
		out[n++] = SCMP_CMP(c->arg, SCMP_CMP_MASKED_EQ, c->mask & 0xffffffffu, c->value);
		break;
	case SC_OP_ANY_BITS:
		for (unsigned b = 0; b < 64; b++)
			if (c->value & (1ULL << b))
				out[n++] = SCMP_CMP(c->arg, SCMP_CMP_MASKED_EQ, 1ULL << b, 1ULL << b);
		break;
	}
	return n;
}

/* Every combination of one alternative per condition: a rule of
 * libseccomp holds when all its comparisons do. */
static int add_product(scmp_filter_ctx ctx, uint32_t act, const struct sc_rule *r, unsigned i,
		       struct scmp_arg_cmp *chosen)
{
	if (i == r->n_cond)
		return seccomp_rule_add_array(ctx, act, r->nr, r->n_cond, chosen);
	struct scmp_arg_cmp alt[64];
	unsigned n = alternatives(&r->cond[i], alt);
	for (unsigned k = 0; k < n; k++) {
		chosen[i] = alt[k];
		int e = add_product(ctx, act, r, i + 1, chosen);
		if (e < 0 && e != -EEXIST)
			return e;
	}
	return 0;
}

/* What the refusal filter does with r's calls: a notification the
 * supervisor answers, or for quiet rules the errno straight from the
 * kernel. */
static uint32_t kernel_action(const struct sc_rule *r)
{
	return r->quiet ? SCMP_ACT_ERRNO((uint32_t)r->err) : SCMP_ACT_NOTIFY;
}

static int add_refusal(scmp_filter_ctx ctx, const struct sc_rule *r)
{
	uint32_t act = kernel_action(r);
	struct scmp_arg_cmp chosen[SC_MAX_COND];
	if (r->n_cond == 0)
		return seccomp_rule_add(ctx, act, r->nr, 0);
	return add_product(ctx, act, r, 0, chosen);
}

/* How the refusal filter treats one syscall. libseccomp lets a rule
 * without a condition silently win over every rule with one, so a call
 * that has both goes to the supervisor whole, and so does a quiet rule
 * that an earlier allowing condition could override, or that shares its
 * call with conditional rules of another action: libseccomp merges
 * overlapping conditions of different actions into a tree that can lose
 * the wider one (strict's `socket AF_NETLINK` beside default's quiet
 * `AF_NETLINK NETLINK_AUDIT` let route sockets through). The supervisor
 * decides exactly what the policy says, and stays silent on quiet rules. */
struct per_call {
	bool unconditional_refusal, conditional_allow, conditional_refusal, mixed_conditional;
};

static struct per_call shape_of(const struct seccomp_policy *p, int nr)
{
	struct per_call s = { 0 };
	uint32_t first = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct sc_rule *r = &p->v[i];
		if (r->nr != nr)
			continue;
		if (r->n_cond == 0) {
			s.unconditional_refusal |= r->action != SC_ALLOW;
		} else if (r->action == SC_ALLOW) {
			s.conditional_allow = true;
		} else {
			if (s.conditional_refusal && kernel_action(r) != first)
				s.mixed_conditional = true;
			if (!s.conditional_refusal)
				first = kernel_action(r);
			s.conditional_refusal = true;
		}
	}
	return s;
}

static int add_call(scmp_filter_ctx refusals, const struct seccomp_policy *p, const struct sc_rule *r)
{
	struct per_call s = shape_of(p, r->nr);
	if (r->action == SC_ALLOW)
		return 0;
	if (s.unconditional_refusal && (s.conditional_refusal || s.conditional_allow)) {
		struct sc_rule all = { .nr = r->nr, .action = SC_ERRNO };
		return add_refusal(refusals, &all);
	}
	struct sc_rule copy = *r;
	if (copy.n_cond && (s.conditional_allow || s.mixed_conditional))
		copy.quiet = false;
	return add_refusal(refusals, &copy);
}

int seccomp_compile(const struct seccomp_policy *p, int *fd)
{
	*fd = -1;
	if (p->none)
		return 0;
	__attribute__((cleanup(ctx_releasep))) scmp_filter_ctx known = new_filter(SCMP_ACT_ERRNO(ENOSYS));
	__attribute__((cleanup(ctx_releasep))) scmp_filter_ctx refusals = new_filter(SCMP_ACT_ALLOW);
	if (!known || !refusals)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++) {
		const struct sc_rule *r = &p->v[i];
		int e = seccomp_rule_add(known, SCMP_ACT_ALLOW, r->nr, 0);
		if (e < 0 && e != -EEXIST)
			return e;
		if ((e = add_call(refusals, p, r)) < 0 && e != -EEXIST)
			return e;
	}
	_cleanup_close_ int mfd = memfd_create("brig-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	struct header h = { 0 };
	if (mfd < 0 || write(mfd, &h, sizeof h) != (ssize_t)sizeof h)
		return -errno;
	int r = export(known, mfd, &h.known);
	if (r >= 0)
		r = export(refusals, mfd, &h.refusals);
	if (r < 0)
		return r;
	/* Sealed: nothing in the sandbox can alter what the job loads. */
	if (pwrite(mfd, &h, sizeof h, 0) != (ssize_t)sizeof h ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return -errno;
	*fd = TAKE_FD(mfd);
	return 0;
}

void seccomp_program_free(struct seccomp_program *prog)
{
	free(prog->known.filter);
	free(prog->refusals.filter);
	memset(prog, 0, sizeof *prog);
}

int seccomp_load_job(const struct seccomp_program *prog, int *listener)
{
	*listener = -1;
	if (!prog->known.filter)
		return 0;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog->known) < 0)
		return -errno;
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog->refusals);
	if (fd < 0)
		return -errno;
	*listener = (int)fd;
	return 0;
}

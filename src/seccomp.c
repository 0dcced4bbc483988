/* Compiling the policy to BPF (in the supervisor) and loading it (in the
 * job, last). The BPF is exported once, so the job's final steps are two
 * seccomp(2) calls and a sendmsg, with no allocation and no libseccomp. */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "brig/seccomp.h"
#include "brig/sync.h"
#include "brig/util.h"

static void ctx_releasep(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
}

static int export(scmp_filter_ctx ctx, struct sock_fprog *out)
{
	_cleanup_close_ int fd = memfd_create("brig-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return r;
	off_t len = lseek(fd, 0, SEEK_END);
	if (len <= 0 || len % (off_t)sizeof(struct sock_filter) || len / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return -E2BIG;
	struct sock_filter *insns = malloc((size_t)len);
	if (!insns)
		return -ENOMEM;
	if (pread(fd, insns, (size_t)len, 0) != len) {
		free(insns);
		return -EIO;
	}
	out->filter = insns;
	out->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
	return 0;
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

/* The refusal filter's rule for r: a notification the supervisor answers,
 * or for quiet rules the errno straight from the kernel. */
static int add_refusal(scmp_filter_ctx ctx, const struct sc_rule *r)
{
	uint32_t act = r->quiet ? SCMP_ACT_ERRNO((uint32_t)r->err) : SCMP_ACT_NOTIFY;
	switch (r->op) {
	case SC_OP_NONE:
		return seccomp_rule_add(ctx, act, r->nr, 0);
	case SC_OP_EQ:
		return seccomp_rule_add(ctx, act, r->nr, 1, SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, 0xffffffffu, r->value));
	case SC_OP_NE:
		return seccomp_rule_add(ctx, act, r->nr, 1, SCMP_CMP32(r->arg, SCMP_CMP_NE, r->value));
	case SC_OP_ANY_BITS:
		/* One rule per bit: libseccomp has no "any of these bits". */
		for (unsigned b = 0; b < 64; b++) {
			uint64_t bit = 1ULL << b;
			if (!(r->value & bit))
				continue;
			int e = seccomp_rule_add(ctx, act, r->nr, 1, SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, bit, bit));
			if (e < 0)
				return e;
		}
		return 0;
	}
	return -EINVAL;
}

static bool refuses(const struct sc_rule *r)
{
	return r->action != SC_ALLOW;
}

int seccomp_compile(const struct seccomp_policy *p, struct seccomp_program *prog)
{
	memset(prog, 0, sizeof *prog);
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
		if (refuses(r) && (e = add_refusal(refusals, r)) < 0 && e != -EEXIST)
			return e;
	}
	int r = export(known, &prog->known);
	if (r >= 0)
		r = export(refusals, &prog->refusals);
	if (r < 0)
		seccomp_program_free(prog);
	return r;
}

void seccomp_program_free(struct seccomp_program *prog)
{
	free(prog->known.filter);
	free(prog->refusals.filter);
	memset(prog, 0, sizeof *prog);
}

int seccomp_load_job(const struct seccomp_program *prog, int sync_fd)
{
	if (!prog->known.filter)
		return 0;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog->known) < 0)
		return -errno;
	long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
				&prog->refusals);
	if (listener < 0)
		return -errno;
	int r = sync_send_fd(sync_fd, SYNC_LISTENER, (int)listener);
	close((int)listener);
	return r;
}

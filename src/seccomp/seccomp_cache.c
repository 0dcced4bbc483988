/* Compiled filters, kept between jobs. libseccomp needs milliseconds of CPU
 * for the default policy, more than the rest of a job's start-up; the
 * result depends only on the rules, so brig keeps it in a directory only
 * root can write and reuses it when the rules are exactly the same. The
 * entry holds the rules themselves, compared byte for byte: a hash names
 * the file, it never decides. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "brig/seccomp/seccomp.h"
#include "brig/lib/util.h"

#define CACHE_DIR "/run/brig"
#define CACHE_SUBDIR CACHE_DIR "/seccomp"
#define MAX_ENTRY (1 << 20)

struct entry_header {
	char magic[8]; /* "brigbpf2" */
	uint32_t rules_bytes;
	uint32_t bpf_bytes;
};

/* The directory must be ours and closed to everyone else, or it is not
 * used: a filter someone else could have written is no filter. */
static int cache_dir(void)
{
	if (geteuid() != 0)
		return -EPERM;
	(void)mkdir(CACHE_DIR, 0700);
	(void)mkdir(CACHE_SUBDIR, 0700);
	int fd = open(CACHE_SUBDIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st, parent;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || lstat(CACHE_DIR, &parent) < 0 || st.st_uid != 0 || parent.st_uid != 0 ||
	    !S_ISDIR(parent.st_mode) || (st.st_mode & 0022) || (parent.st_mode & 0022)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* The rules as fixed-width fields: no padding bytes to compare. */
struct packed_rule {
	int32_t nr, action, err, quiet, n_cond, unless_dir, kind, pad;
	struct {
		int32_t op, arg;
		uint64_t value, mask;
	} cond[SC_MAX_COND];
};

static struct packed_rule *pack(const struct seccomp_policy *p, size_t *bytes)
{
	struct packed_rule *v = calloc(p->n ? p->n : 1, sizeof *v);
	for (size_t i = 0; v && i < p->n; i++) {
		const struct sc_rule *r = &p->v[i];
		v[i] = (struct packed_rule){ .nr = r->nr, .action = (int32_t)r->action, .err = r->err,
					     .quiet = r->quiet, .n_cond = (int32_t)r->n_cond,
					     .unless_dir = r->unless_dir, .kind = (int32_t)r->kind };
		for (unsigned c = 0; c < r->n_cond; c++) {
			v[i].cond[c].op = (int32_t)r->cond[c].op;
			v[i].cond[c].arg = (int32_t)r->cond[c].arg;
			v[i].cond[c].value = r->cond[c].value;
			v[i].cond[c].mask = r->cond[c].mask;
		}
	}
	*bytes = p->n * sizeof *v;
	return v;
}

/* FNV-1a over the rules, libseccomp's version, brig's and the compiler's
 * revision: only a name. */
static void entry_name(const void *rules, size_t bytes, char *buf, size_t len)
{
	const struct scmp_version *v = seccomp_version();
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *b = rules;
	for (size_t i = 0; i < bytes; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	snprintf(buf, len, "%016llx-%u.%u.%u-%s-c%d.bpf", (unsigned long long)h, v->major, v->minor, v->micro,
		 BRIG_VERSION, SECCOMP_COMPILER_REVISION);
}

static int sealed_memfd(const void *bpf, size_t len)
{
	_cleanup_close_ int fd = memfd_create("brig-seccomp", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (write(fd, bpf, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static int lookup(int dir, const char *name, const void *packed, size_t rules)
{
	_cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	struct entry_header h;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || st.st_size > MAX_ENTRY ||
	    pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h.magic, "brigbpf2", 8) != 0 ||
	    h.rules_bytes != rules || (off_t)(sizeof h + h.rules_bytes + h.bpf_bytes) != st.st_size)
		return -ENOENT;
	_cleanup_free_ unsigned char *buf = malloc((size_t)st.st_size);
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size ||
	    memcmp(buf + sizeof h, packed, rules) != 0)
		return -ENOENT;
	return sealed_memfd(buf + sizeof h + rules, h.bpf_bytes);
}

/* Written to a temporary name and renamed: a concurrent brig sees the
 * whole entry or none. */
static void store(int dir, const char *name, const void *packed, size_t rules, int memfd)
{
	struct stat st;
	if (fstat(memfd, &st) < 0 || st.st_size <= 0 || st.st_size > MAX_ENTRY)
		return;
	struct entry_header h = { .rules_bytes = (uint32_t)rules, .bpf_bytes = (uint32_t)st.st_size };
	memcpy(h.magic, "brigbpf2", 8);
	_cleanup_free_ unsigned char *bpf = malloc((size_t)st.st_size);
	char tmp[128];
	snprintf(tmp, sizeof tmp, ".%s.%d", name, (int)getpid());
	_cleanup_close_ int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && bpf && pread(memfd, bpf, (size_t)st.st_size, 0) == st.st_size &&
		  write(fd, &h, sizeof h) == (ssize_t)sizeof h && write(fd, packed, rules) == (ssize_t)rules &&
		  write(fd, bpf, (size_t)st.st_size) == st.st_size;
	if (fd >= 0 && (!ok || renameat(dir, tmp, dir, name) < 0))
		(void)unlinkat(dir, tmp, 0);
}

int seccomp_compile_cached(const struct seccomp_policy *p, int *fd)
{
	*fd = -1;
	if (p->none)
		return 0;
	char name[96];
	size_t bytes = 0;
	_cleanup_free_ struct packed_rule *packed = pack(p, &bytes);
	_cleanup_close_ int dir = packed ? cache_dir() : -1;
	if (dir >= 0) {
		entry_name(packed, bytes, name, sizeof name);
		int hit = lookup(dir, name, packed, bytes);
		if (hit >= 0) {
			*fd = hit;
			return 0;
		}
	}
	int r = seccomp_compile(p, fd);
	if (r >= 0 && dir >= 0)
		store(dir, name, packed, bytes, *fd);
	return r;
}

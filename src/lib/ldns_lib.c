/* libldns on demand: see brig/lib/ldns_lib.h for why. */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

#include "brig/lib/ldns_lib.h"
#include "brig/lib/log.h"

#define BRIG_LDNS_DEFINE(f) __typeof__(f) *sym_##f;
BRIG_LDNS_FUNCTIONS(BRIG_LDNS_DEFINE)
#undef BRIG_LDNS_DEFINE

/* The soname, not the -dev package's libldns.so link: the library's ABI
 * this binary was compiled against. */
#define LDNS_SONAME "libldns.so.3"

int ldns_lib_load(void)
{
	static int result = 1; /* 1: not tried yet */
	if (result <= 0)
		return result;
	/* RTLD_NOW: a missing symbol shows here, not at the first query. The
	 * handle stays open for the process's life: the pointers need it. */
	void *h = dlopen(LDNS_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		log_warn("cannot load %s (Debian package libldns3): %s", LDNS_SONAME, dlerror());
		return result = -ELIBACC;
	}
#define BRIG_LDNS_RESOLVE(f)                                                             \
	if (!(sym_##f = (__typeof__(f) *)dlsym(h, #f))) {                                \
		log_warn("cannot load %s: it has no %s", LDNS_SONAME, #f);               \
		return result = -ELIBACC;                                                \
	}
	BRIG_LDNS_FUNCTIONS(BRIG_LDNS_RESOLVE)
#undef BRIG_LDNS_RESOLVE
	return result = 0;
}

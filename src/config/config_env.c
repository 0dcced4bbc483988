/* Which host variables a job's environment may take (--env-pass). */
#include <string.h>

#include "brig/config/config.h"
#include "brig/lib/util.h"

bool config_env_passes(const struct brig_config *c, const char *name)
{
	bool pass = false;
	for (size_t p = 0; p < c->n_env_pass; p++) {
		const char *pat = c->env_pass[p];
		if (pat[0] == '!') {
			if (env_name_matches(pat + 1, name))
				return false;
		} else if (env_name_matches(pat, name)) {
			pass = true;
		}
	}
	return pass;
}

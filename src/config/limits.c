/* The limits' own memory (brig/config/limits.h). */
#include <stdlib.h>

#include "brig/config/limits.h"

void cgroup_limits_free(struct cgroup_limits *l)
{
	for (size_t i = 0; i < l->n_io; i++)
		free(l->io[i].dev);
	free(l->io);
	free(l->parent);
	l->io = NULL;
	l->n_io = 0;
	l->parent = NULL;
}

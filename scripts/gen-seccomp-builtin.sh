#!/bin/sh
# Writes, on stdout, the C source that builds the shipped seccomp policies
# into the binary, so that brig works from a checkout and as a lone file.
# Usage: gen-seccomp-builtin.sh POLICY...
set -eu
cat <<'HEAD'
/* Generated from profiles/seccomp by scripts/gen-seccomp-builtin.sh. */
#include <string.h>
#include "brig/seccomp/seccomp.h"

static const struct {
	const char *name, *text;
} builtin[] = {
HEAD
for f in "$@"; do
	printf '{ "%s",\n' "$(basename "$f" .policy)"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$f"
	printf '},\n'
done
cat <<'TAIL'
};

const char *seccomp_builtin_policy(const char *name)
{
	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (strcmp(builtin[i].name, name) == 0)
			return builtin[i].text;
	return NULL;
}
TAIL

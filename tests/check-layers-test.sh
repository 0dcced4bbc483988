#!/bin/sh
# The layering check must be able to fail: a tree with one arrow against
# the direction (config -> run) and one with it (run -> config).
set -eu
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/src/config" "$d/src/run" "$d/include/brig/run" "$d/include/brig/config"
echo '#include "brig/config/config.h"' > "$d/src/run/ok.c"
python3 tests/check-layers.py "$d" >/dev/null
echo '#include "brig/run/sandbox.h"' > "$d/src/config/bad.c"
if python3 tests/check-layers.py "$d" >/dev/null; then
	echo "check-layers-test: an include from config to run passed" >&2
	exit 1
fi
echo "check-layers-test: the check fails on an arrow against the layering"

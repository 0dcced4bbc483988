#!/bin/sh
# The integration suite, twice: as root, then as an unprivileged user
# (uid 65534) for everything that does not need root. Both run copies in a
# directory that user can reach, wherever the checkout lives, so a rebuild
# cannot pull the binary from under a running suite.
# Usage: tests/integration/run.sh BUILD_DIR [criterion options...]
set -eu
build=$1
shift
d=$(mktemp -d /tmp/brig-integration.XXXXXX)
trap 'rm -rf "$d"' EXIT
cp "$build/brig" "$d/"
cp -R "$build/tests/helpers" "$d/helpers"
cp -R profiles "$d/profiles"
cp -R rootfs "$d/rootfs"
chmod -R a+rX,go-w "$d"
export BRIG="$d/brig" BRIG_HELPERS="$d/helpers" BRIG_PROFILES="$d/profiles"
export BRIG_MKROOTFS="$d/rootfs/mkrootfs"
rc=0
echo "== integration suite as root"
"$build/tests/integration-suite" "$@" || rc=1
echo "== integration suite as uid 65534 (rootless brig)"
BRIG_TEST_USER=65534 "$build/tests/integration-suite" "$@" || rc=1
exit $rc

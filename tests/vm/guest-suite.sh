#!/bin/bash
# Runs inside the VM (run.sh's default command): `make integration` of the
# checkout, exactly as on a host (the suite as root, then with brig as uid
# 65534), on the binaries the host built.
#
#   tests/vm/guest-suite.sh BUILD_DIR [MAKE_ARG...]
#
# The checkout and BUILD_DIR are read-only in the guest: everything must be
# built on the host first (make vm-test does that).
#
# In the guest every kernel feature the suite needs is there, so a skip for a
# missing feature is a failure (BRIG_MUST_WORK=1), and the tests run one at a
# time (CRITERION_JOBS=1: under emulation, a test that starts hundreds of
# processes starves the one beside it past the harness's time limits), unless
# the caller's environment says otherwise. CRITERION_TEST_PATTERN picks tests.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
build=${1:?usage: guest-suite.sh BUILD_DIR [MAKE_ARG...]}
shift
export BRIG_MUST_WORK=${BRIG_MUST_WORK:-1} CRITERION_JOBS=${CRITERION_JOBS:-1}
# The network tests (their lab of namespaces, the firewall) need nftables
# and veth, which the guest kernel loads no modules for: the host runs them;
# the guest is for what the host cannot do (cgroup v2 controllers).
export BRIG_NET_LAB=${BRIG_NET_LAB:-0}
# A million refused calls take longer than any limit under emulation: the
# flood test checks the same bounds with fewer.
export BRIG_FLOOD_CALLS=${BRIG_FLOOD_CALLS:-20000}
# Every time limit of the suite, ten times as long: under TCG a process
# start costs ~0.1 s of emulated CPU (README), and a test that starts a few
# hundred (isolation::orphans_reaped) outran its 30 s limit on a busy host.
# Waits end on the event they wait for: only a failure waits the whole time.
export BRIG_TEST_TIME_SCALE=${BRIG_TEST_TIME_SCALE:-10}
# brig built and unit-tested inside brig is a host test: minutes of
# compiling on two cores, hours under emulation, and nothing of cgroup v2.
export BRIG_SELF_BUILD=${BRIG_SELF_BUILD:-0}
# The fault-injection run: 50 supervisors killed per kind (none and pty
# here: no nftables, no idmappable /usr), not 200, at ~0.1 s a process.
export BRIG_FAULT_JOBS=${BRIG_FAULT_JOBS:-50}
# Each test's name and time in the console log: where the guest's time goes.
export CRITERION_VERBOSITY_LEVEL=${CRITERION_VERBOSITY_LEVEL:-1}
exec make -C "$src" --no-print-directory BUILD="$build" "$@" integration

#!/bin/bash
# `make test` after the build: every suite, and at the end one summary of
# them all.
#
#   tests/all.sh BUILD_DIR
#
# The VM guest's suite (tests/vm: the integration suite on a cgroup v2
# kernel under emulation, the longest part by far and mostly one emulated
# CPU's work) runs beside the host's parts instead of after them: the
# host's unit suite, the integration suite as root and as uid 65534, the
# unit suite under ASan/UBSan, and the fuzzers. Every part writes its own
# log under BUILD_DIR/test-logs; the host's parts are shown as they run,
# the guest's log when it ends. The summary at the end names every part's
# status and every failed test, so the last lines of a long run say what
# went wrong without a search through everything above.
set -u
build=${1:?usage: tests/all.sh BUILD_DIR}
make=${MAKE:-make}
logs=$build/test-logs
rm -rf "$logs"
mkdir -p "$logs"
start=$SECONDS

tests/vm/run.sh "$build" >"$logs/vm-test.log" 2>&1 &
vm=$!
echo "== the VM guest's suite started beside the host's (its log: $logs/vm-test.log)"

names=()
codes=()
times=()
part() {
	local name=$1 t0=$SECONDS
	shift
	echo "== $name"
	"$@" 2>&1 | tee "$logs/$name.log"
	local rc=${PIPESTATUS[0]}
	names+=("$name")
	codes+=("$rc")
	times+=($((SECONDS - t0)))
}

part unit "$make" --no-print-directory unit
part integration "$make" --no-print-directory integration
part unit-sanitize "$make" --no-print-directory unit SANITIZE=1
part fuzz "$make" --no-print-directory fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"

t0=$SECONDS
wait "$vm"
vm_rc=$?
echo "== the VM guest's suite (waited $((SECONDS - t0)) s for it after the host's parts)"
cat "$logs/vm-test.log"
names+=(vm-test)
codes+=("$vm_rc")
times+=(-)

echo
echo "== summary of make test ($((SECONDS - start)) s after the build)"
rc=0
for i in "${!names[@]}"; do
	status=ok
	[ "${codes[$i]}" = 0 ] || { status="FAILED (exit ${codes[$i]})"; rc=1; }
	printf '%-14s %-20s %s\n' "${names[$i]}" "$status" "${times[$i]} s"
	# A failed assertion with the first lines of its message (what CI's
	# tail must show to tell one failure from another).
	awk '/^\[----\] .*(Assertion Failed|crash)/ { print; msg = 8; next }
	     msg > 0 && /^\[----\]/ { if ($0 !~ /^\[----\] *$/) { print; msg-- } next }
	     { msg = 0 }
	     /^\[====\] Synthesis|^\[FAIL\]|^==[0-9]+==ERROR|^SUMMARY: |deadly signal/ { print }' \
		"$logs/${names[$i]}.log" 2>/dev/null | awk '!seen[$0]++' | head -60 | sed 's/^/    /'
done
exit $rc

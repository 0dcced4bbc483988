#!/bin/bash
# Boot the VM test rig and run a command in it (by default the integration
# suite, see guest-suite.sh).
#
#   tests/vm/run.sh BUILD_DIR [--shell] [--] [COMMAND [ARG...]]
#
# Builds or reuses the kernel (kernel.sh) and the initramfs (initramfs.sh),
# boots qemu-system-x86_64 with the host's /usr, the checkout and BUILD_DIR
# shared read-only over 9p at their host paths, prints the guest's console as
# it comes, then the guest's Criterion summary lines, and exits with the
# command's exit status in the guest. COMMAND runs in the guest with bash, in
# the current directory when the guest has it (else in the checkout), with
# the BRIG_* and CRITERION_* variables of this environment.
#
# --shell  an interactive shell on the guest's console instead of a command
#          (Ctrl-D powers the guest off; Ctrl-A X kills qemu)
#
# Environment (all optional):
#   BRIG_VM_TIMEOUT    wall-clock limit of the whole run in seconds (3600);
#                      qemu is killed and the run fails when it expires
#   BRIG_VM_ACCEL      auto (default: KVM when a probe boot works, else TCG),
#                      kvm or tcg
#   BRIG_VM_MEM        guest memory (2G)
#   BRIG_VM_CPUS       guest CPUs (2)
#   BRIG_VM_CPU        qemu CPU model (TCG: max, KVM: host)
#   BRIG_VM_VARTMP     disk (default: /var/tmp on an ext4 scratch disk) or tmpfs
#   BRIG_VM_DISK_SIZE  size of the sparse scratch disk /dev/vda (4G)
#   BRIG_VM_SHARE      more host directories to share read-only, ':'-separated
#   BRIG_VM_APPEND     more kernel command line parameters
#   BRIG_VM_KEEP       1: keep the run directory (console log, dmesg, disk)
set -euo pipefail

die() { echo "run.sh: $*" >&2; exit 2; }
say() { echo "vm: $*" >&2; }
start=$SECONDS

[ $# -ge 1 ] || die "usage: run.sh BUILD_DIR [--shell] [--] [COMMAND [ARG...]]"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SRC=$(cd "$HERE/../.." && pwd -P)
mkdir -p "$1"
BUILD=$(cd "$1" && pwd -P)
shift
mode='batch'
if [ "${1:-}" = --shell ]; then mode=shell; shift; fi
if [ "${1:-}" = -- ]; then shift; fi

timeout_s=${BRIG_VM_TIMEOUT:-3600}
mem=${BRIG_VM_MEM:-2G}
cpus=${BRIG_VM_CPUS:-2}
vartmp=${BRIG_VM_VARTMP:-disk}
disk_size=${BRIG_VM_DISK_SIZE:-4G}
accel=${BRIG_VM_ACCEL:-auto}
case $vartmp in disk | tmpfs) ;; *) die "BRIG_VM_VARTMP must be disk or tmpfs" ;; esac
case $accel in auto | kvm | tcg) ;; *) die "BRIG_VM_ACCEL must be auto, kvm or tcg" ;; esac
export PATH=$PATH:/usr/sbin:/sbin
for tool in qemu-system-x86_64 mkfs.ext4 flock timeout; do
	command -v $tool >/dev/null || die "$tool is not installed (make deps)"
done

# ---- kernel and initramfs, built once for concurrent runs --------------------

VM=$BUILD/vm
mkdir -p "$VM"
exec 9>"$VM/.lock"
flock 9
"$HERE/kernel.sh" "$BUILD"
"$HERE/initramfs.sh" "$BUILD"
flock -u 9
. "$VM/kernel.env"
KERNEL=$VM/$KERNEL_IMAGE
INITRD=$VM/initramfs.cpio

# ---- acceleration -----------------------------------------------------------------

qemu_base=(qemu-system-x86_64 -nodefaults -no-user-config -display none -monitor none
	-nic none -no-reboot -kernel "$KERNEL" -initrd "$INITRD")
# qboot, where qemu ships it, starts a kernel faster than SeaBIOS.
[ ! -f /usr/share/qemu/qboot.rom ] || qemu_base+=(-bios qboot.rom)
cmdline="console=ttyS0 loglevel=3 panic=-1"

# A KVM guest can hang where /dev/kvm exists (a nested, paravirtual KVM), so
# KVM is used only after a probe boot reached /init; the verdict is kept per
# host kernel, qemu and guest kernel.
kvm_works() {
	[ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	local key f=$VM/kvm-probe out res=fail
	key="$(uname -r) $(uname -v) $(qemu-system-x86_64 --version | head -n1) $KPKG_VERSION"
	if [ -f "$f" ] && [ "$(head -n1 "$f")" = "$key" ]; then
		[ "$(sed -n 2p "$f")" = ok ]
		return
	fi
	say "probing KVM (up to 30 s)"
	out=$(timeout -k 5 30 "${qemu_base[@]}" -accel kvm -cpu host -m 256M -smp 1 -serial stdio \
		-append "$cmdline brigvm_probe=1" </dev/null 2>&1 || true)
	if grep -q 'brig-vm: probe ok' <<<"$out"; then res=ok; fi
	printf '%s\n%s\n' "$key" "$res" >"$f"
	say "KVM probe: $res"
	[ $res = ok ]
}
if [ "$accel" = auto ]; then
	if kvm_works; then accel=kvm; else accel=tcg; fi
fi
if [ "$accel" = kvm ]; then cpu=${BRIG_VM_CPU:-host}; else cpu=${BRIG_VM_CPU:-max}; fi

# ---- the run directory: what the guest runs, and where it reports ------------

RUN=$(mktemp -d "$VM/run.XXXXXX")
cleanup() {
	if [ -n "${qpid:-}" ]; then kill "$qpid" 2>/dev/null || true; fi
	[ ! -f "$RUN/console.log" ] || cp "$RUN/console.log" "$VM/console.log"
	[ ! -f "$RUN/dmesg" ] || cp "$RUN/dmesg" "$VM/dmesg"
	rm -f "$VM/autoload.log"
	[ ! -f "$RUN/autoload.log" ] || cp "$RUN/autoload.log" "$VM/autoload.log"
	if [ "${BRIG_VM_KEEP:-0}" = 1 ]; then say "run directory kept: $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
NONCE=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')

# Host trees the guest sees at the same paths, read-only.
shares=("$SRC")
case $BUILD/ in "$SRC"/*) ;; *) shares+=("$BUILD") ;; esac
IFS=: read -r -a extra <<<"${BRIG_VM_SHARE:-}"
for d in "${extra[@]}"; do
	[ -n "$d" ] || continue
	[ -d "$d" ] || die "BRIG_VM_SHARE: $d is not a directory"
	shares+=("$(cd "$d" && pwd -P)")
done
virtfs=()
: >"$RUN/shares"
i=0
for d in "${shares[@]}"; do
	case $d in / | /usr | /usr/* | /proc* | /sys* | /dev*) die "cannot share $d into the guest" ;; esac
	virtfs+=(-virtfs "local,path=${d//,/,,},mount_tag=share$i,security_model=none,readonly=on,multidevs=remap")
	echo "share$i $d" >>"$RUN/shares"
	i=$((i + 1))
done

# From the host's /etc, which is not shared: the library cache, and the
# alternatives that links in /usr point to (/usr/bin/awk, ...).
[ ! -f /etc/ld.so.cache ] || cp /etc/ld.so.cache "$RUN/"
[ ! -d /etc/alternatives ] || tar -C /etc -cf "$RUN/alternatives.tar" alternatives
cat >"$RUN/config" <<EOF
NONCE=$NONCE
MODE=$mode
VARTMP=$vartmp
SHARE_OPTS=cache=loose
EOF

{
	echo '#!/bin/bash'
	while IFS='=' read -r name _; do
		case $name in BRIG_VM_*) ;; BRIG_* | CRITERION_*) printf 'export %s=%q\n' "$name" "${!name}" ;; esac
	done < <(env)
	here=$SRC
	for d in "${shares[@]}"; do
		case $PWD/ in "$d"/*) here=$PWD ;; esac
	done
	printf 'cd %q\n' "$here"
	if [ $mode = shell ]; then
		echo 'exec /bin/bash -i'
	elif [ $# -gt 0 ]; then
		printf 'exec'
		printf ' %q' "$@"
		printf '\n'
	else
		printf 'exec %q %q\n' "$HERE/guest-suite.sh" "$BUILD"
	fi
} >"$RUN/cmd"

truncate -s "$disk_size" "$RUN/scratch.img"
mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 -L brig-vm-scratch "$RUN/scratch.img"

qemu=("${qemu_base[@]}" -name brig-vm -accel "$accel" -cpu "$cpu" -m "$mem" -smp "$cpus"
	-append "$cmdline ${BRIG_VM_APPEND:-}"
	-virtfs "local,path=/usr,mount_tag=usr,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=${RUN//,/,,},mount_tag=brigvm,security_model=none,multidevs=remap"
	"${virtfs[@]}"
	-drive "file=${RUN//,/,,}/scratch.img,if=virtio,format=raw,cache=unsafe,discard=unmap")

if [ $mode = shell ]; then
	say "booting $KVER ($accel) with a shell on the console"
	"${qemu[@]}" -serial mon:stdio
	exit 0
fi

# ---- run, with a hard wall-clock limit ---------------------------------------------

left=$((timeout_s - (SECONDS - start)))
[ $left -gt 0 ] || die "no time left for the guest (BRIG_VM_TIMEOUT=$timeout_s)"
say "booting $KVER ($accel, $cpus CPUs, $mem; time limit ${left} s)"
boot_start=$SECONDS
t0=$EPOCHREALTIME
# qemu runs in the background so that a time-out, or an interrupt of this
# script, ends exactly that process.
: >"$RUN/console.raw"
timeout -k 10 "$left" "${qemu[@]}" -serial stdio </dev/null >>"$RUN/console.raw" 2>&1 &
qpid=$!
# The console as it comes, noting when the guest was ready.
tail -n +1 -s 0.2 -f --pid=$qpid "$RUN/console.raw" | while IFS= read -r line; do
	line=${line//$'\r'/}
	printf '%s\n' "$line"
	case $line in "brig-vm: booted after"*) echo "$EPOCHREALTIME" >"$RUN/booted" ;; esac
done &
tailpid=$!
qrc=0
wait $qpid || qrc=$?
qpid=
wait $tailpid 2>/dev/null || true
tr -d '\r' <"$RUN/console.raw" >"$RUN/console.log"
wall=$((SECONDS - boot_start))

if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	say "time-out: the guest was still running after ${left} s; qemu killed"
	exit 124
fi
status=$(sed -n "s/^@@BRIG-VM-STATUS $NONCE \\([0-9]*\\)@@\$/\\1/p" "$RUN/console.log" | tail -n1)
if [ -z "$status" ]; then
	say "the guest ended without reporting a status (qemu exit $qrc); console: $VM/console.log"
	exit 1
fi

ready=
if [ -f "$RUN/booted" ]; then
	ready=$(awk -v a="$t0" -v b="$(cat "$RUN/booted")" 'BEGIN { printf ", ready after %.1f s", b - a }')
fi
echo
say "guest summary ($accel$ready, ${wall} s from qemu start to power-off):"
sed -n "/^@@BRIG-VM-BEGIN $NONCE@@\$/,/^@@BRIG-VM-END $NONCE@@\$/p" "$RUN/console.log" |
	grep -E '^(== |\[====\] Synthesis|[0-9]+ passed, [0-9]+ failed)' | sed 's/^/  /' || true
say "guest exit status: $status"
exit "$status"

#!/bin/bash
# Build the initramfs of the VM test rig.
#
#   tests/vm/initramfs.sh BUILD_DIR
#
# Needs BUILD_DIR/vm/kernel.env from kernel.sh. Writes
# BUILD_DIR/vm/initramfs.cpio (newc, uncompressed: under software emulation
# unpacking a few MiB costs less than decompressing them), holding:
#   /init              tests/vm/init
#   /.vm/bin/busybox   busybox-static
#   /.vm/lib/modules/  the modules named in tests/vm/modules, with everything
#                      the kernel's modules.dep says they need, re-indexed
#   /.vm/modules.load  the names to load at boot, in order
# Rebuilt only when one of its inputs changes (the kernel, the module list,
# init, this script, busybox).
#
# Environment:
#   BRIG_VM_BUSYBOX  a statically linked busybox (default: busybox on PATH)
set -euo pipefail

die() { echo "initramfs.sh: $*" >&2; exit 1; }
say() { echo "vm: $*" >&2; }

[ $# -eq 1 ] || die "usage: initramfs.sh BUILD_DIR"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
VM=$(cd "$1" && pwd -P)/vm
[ -f "$VM/kernel.env" ] || die "no $VM/kernel.env: run kernel.sh first"
. "$VM/kernel.env"
OUT=$VM/initramfs.cpio
export PATH=$PATH:/usr/sbin:/sbin

busybox=${BRIG_VM_BUSYBOX:-$(command -v busybox || true)}
[ -x "$busybox" ] || die "busybox not found (install busybox-static)"
[ "$(head -c 4 "$busybox" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] || die "$busybox is not an ELF binary"
# A dynamically linked busybox has a program interpreter; it cannot run
# before the host's /usr is mounted.
if command -v readelf >/dev/null && readelf -l "$busybox" 2>/dev/null | grep -q 'Requesting program interpreter'; then
	die "$busybox is dynamically linked (install busybox-static)"
fi

inputs=$(cat "$VM/kernel.env" "$HERE/modules" "$HERE/init" "${BASH_SOURCE[0]}" "$busybox" | sha256sum | cut -d' ' -f1)
if [ -f "$OUT" ] && [ "$(cat "$OUT.inputs" 2>/dev/null)" = "$inputs" ]; then
	exit 0
fi

say "building the initramfs"
MODS=$VM/$KROOT/lib/modules/$KVER
[ -f "$MODS/modules.dep" ] || die "no $MODS/modules.dep: run kernel.sh again"
STAGE=$VM/initramfs.d
rm -rf "$STAGE"
mkdir -p "$STAGE"/{.vm/bin,dev,proc,sys,newroot}

# ---- modules -----------------------------------------------------------------

# Module names treat '-' and '_' alike. (No subshells: modules.dep has
# thousands of lines.)
norm() { REPLY=${1##*/}; REPLY=${REPLY%%.ko*}; REPLY=${REPLY//-/_}; }
declare -A path_of=() deps_of=() builtin=() picked=()
while IFS=: read -r path deps; do
	norm "$path"
	path_of[$REPLY]=$path
	deps_of[$path]=$deps
done <"$MODS/modules.dep"
while read -r path; do norm "$path"; builtin[$REPLY]=1; done <"$MODS/modules.builtin"

load=()
while read -r line; do
	line=${line%%#*}
	line=${line//[[:space:]]/}
	[ -n "$line" ] || continue
	optional=0
	if [ "${line%\?}" != "$line" ]; then optional=1; line=${line%\?}; fi
	norm "$line"
	n=$REPLY
	if [ -n "${path_of[$n]:-}" ]; then
		p=${path_of[$n]}
		# modules.dep lists the whole closure of each module's dependencies.
		for f in $p ${deps_of[$p]}; do picked[$f]=1; done
		load+=("$n")
	elif [ -n "${builtin[$n]:-}" ]; then
		: # built into this kernel
	elif [ $optional = 1 ]; then
		say "module $line: not in $KVER, skipped"
	else
		die "module $line is neither a module nor built into $KVER (tests/vm/modules)"
	fi
done <"$HERE/modules"

DEST=$STAGE/.vm/lib/modules/$KVER
mkdir -p "$DEST"
for f in "${!picked[@]}"; do
	mkdir -p "$DEST/$(dirname "$f")"
	cp "$MODS/$f" "$DEST/$f"
done
cp "$MODS"/modules.order "$MODS"/modules.builtin "$DEST/"
[ ! -f "$MODS/modules.builtin.modinfo" ] || cp "$MODS/modules.builtin.modinfo" "$DEST/"
depmod -b "$STAGE/.vm" "$KVER"
printf '%s\n' "${load[@]}" >"$STAGE/.vm/modules.load"
echo "$KVER" >"$STAGE/.vm/kernel-release"

# ---- busybox, init -------------------------------------------------------------

cp "$busybox" "$STAGE/.vm/bin/busybox" # init adds the applet links
cp "$HERE/init" "$STAGE/init"
chmod 0755 "$STAGE/init"

# ---- the archive -------------------------------------------------------------------

# One newc header for an entry without data (a device node): the kernel needs
# /dev/console to give init its stdin, stdout and stderr, and making the node
# in the staging directory would need root.
newc_node() { # name mode major minor
	local name=$1 namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		0 "$2" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0 "$name"
	# header (110 bytes) + name + NUL, padded to a multiple of 4
	local pad=$(((4 - (110 + namesize) % 4) % 4))
	head -c "$pad" /dev/zero
}

{
	(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible --owner=0:0)
	# A second archive appended to the first: the kernel unpacks both.
	newc_node dev/console $((0020000 | 0600)) 5 1
	newc_node TRAILER!!! 0 0 0
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$inputs" >"$OUT.inputs"
rm -rf "$STAGE"
say "initramfs ready: ${#load[@]} modules to load, ${#picked[@]} files, $(($(stat -c %s "$OUT") / 1024)) KiB"

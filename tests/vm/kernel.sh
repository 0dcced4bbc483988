#!/bin/bash
# Fetch a Debian kernel for the VM test rig and make it fast to boot.
#
#   tests/vm/kernel.sh BUILD_DIR
#
# Downloads the kernel package that Debian's linux-image-amd64 currently
# depends on (apt-get download: nothing is installed on this host), unpacks it
# with dpkg -x under BUILD_DIR/vm/kernel/, indexes its modules with depmod, and
# extracts the uncompressed ELF vmlinux from the compressed bzImage: under
# software emulation (TCG) the kernel's own decompressor costs seconds, while
# qemu loads an ELF vmlinux that has a PVH entry point directly.
#
# Writes BUILD_DIR/vm/kernel.env (paths relative to BUILD_DIR/vm), which
# initramfs.sh and run.sh read. Does nothing when the package is unchanged.
#
# Environment:
#   BRIG_VM_KERNEL_PKG    image package to use (default: what linux-image-amd64
#                         depends on, e.g. linux-image-6.1.0-NN-amd64)
#   BRIG_VM_KERNEL_IMAGE  vmlinux (default) or bzimage: which image to boot
set -euo pipefail

die() { echo "kernel.sh: $*" >&2; exit 1; }
say() { echo "vm: $*" >&2; }

[ $# -eq 1 ] || die "usage: kernel.sh BUILD_DIR"
mkdir -p "$1/vm"
VM=$(cd "$1/vm" && pwd -P)
ENV_FILE=$VM/kernel.env
want_image=${BRIG_VM_KERNEL_IMAGE:-vmlinux}
case $want_image in vmlinux | bzimage) ;; *) die "BRIG_VM_KERNEL_IMAGE must be vmlinux or bzimage" ;; esac

export PATH=$PATH:/usr/sbin:/sbin # depmod, for non-root shells too

# ---- which package ---------------------------------------------------------

# The image package the meta package points at, and its candidate version.
resolve() {
	local pkg=${BRIG_VM_KERNEL_PKG:-}
	if [ -z "$pkg" ]; then
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	fi
	[ -n "$pkg" ] || return 1
	local ver
	ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" { print $2; exit }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || return 1
	echo "$pkg $ver"
}

cached() { [ -f "$ENV_FILE" ] && (. "$ENV_FILE" && [ -f "$VM/$KERNEL_IMAGE" ] && [ -f "$VM/$KROOT/lib/modules/$KVER/modules.dep" ]); }

if ! found=$(resolve); then
	if [ "$(id -u)" = 0 ]; then
		say "apt-cache does not know linux-image-amd64: running apt-get update"
		apt-get update -qq || true
	fi
	if ! found=$(resolve); then
		if cached; then
			say "cannot ask apt for the current kernel package: using the cached one"
			exit 0
		fi
		die "cannot resolve the kernel package (run apt-get update, or set BRIG_VM_KERNEL_PKG)"
	fi
fi
read -r PKG PKG_VERSION <<<"$found"

if cached && (. "$ENV_FILE" && [ "$KPKG" = "$PKG" ] && [ "$KPKG_VERSION" = "$PKG_VERSION" ] &&
	[ "$KIMAGE_WANTED" = "$want_image" ]); then
	exit 0
fi

# ---- download and unpack -------------------------------------------------------

KROOT=kernel/${PKG}_${PKG_VERSION}
unpacked() { cached && (. "$ENV_FILE" && [ "$KPKG" = "$PKG" ] && [ "$KPKG_VERSION" = "$PKG_VERSION" ]); }
if ! unpacked; then
	deb_name="${PKG}_${PKG_VERSION//:/%3a}_amd64.deb"
	mkdir -p "$VM/deb"
	if [ ! -s "$VM/deb/$deb_name" ]; then
		say "downloading $PKG $PKG_VERSION"
		rm -f "$VM/deb/"*.deb
		# As root, apt would hand the download to its sandbox user, who
		# cannot write into a private build directory.
		if ! (cd "$VM/deb" && apt-get download -q -o APT::Sandbox::User=root "$PKG=$PKG_VERSION" >/dev/null); then
			cached || die "apt-get download $PKG=$PKG_VERSION failed"
			say "apt-get download $PKG=$PKG_VERSION failed: using the cached kernel"
			exit 0
		fi
		[ -s "$VM/deb/$deb_name" ] || deb_name=$(cd "$VM/deb" && ls -- *.deb | head -n1)
	fi

	say "unpacking $deb_name"
	rm -rf "$VM/kernel" "$ENV_FILE"
	mkdir -p "$VM/kernel"
	dpkg -x "$VM/deb/$deb_name" "$VM/$KROOT.tmp"
	mv "$VM/$KROOT.tmp" "$VM/$KROOT"
fi

vmlinuz=$(ls "$VM/$KROOT"/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$vmlinuz" ] || die "$KROOT has no boot/vmlinuz-*"
KVER=${vmlinuz##*/vmlinuz-}
[ -d "$VM/$KROOT/lib/modules/$KVER" ] || die "$KROOT has no lib/modules/$KVER"
if [ ! -f "$VM/$KROOT/lib/modules/$KVER/modules.dep" ]; then
	# Debian generates the module index at install time, which we skip.
	say "indexing modules of $KVER"
	depmod -b "$VM/$KROOT" "$KVER"
fi

# ---- the uncompressed kernel ----------------------------------------------------

# Like the kernel tree's scripts/extract-vmlinux: try every offset where a
# compressor's magic appears, keep the first that decompresses to an ELF file.
extract_vmlinux() {
	local in=$1 out=$2 magic tool off
	for pair in 'fd377a585a00 xz' '28b52ffd zstd' '1f8b0800 gzip' '1f8b0808 gzip' \
		'5d000000 lzma' '425a68 bzip2' '02214c18 lz4'; do
		read -r magic tool <<<"$pair"
		command -v "$tool" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUaP "$(sed 's/../\\x&/g' <<<"$magic")" "$in" | cut -d: -f1); do
			tail -c +$((off + 1)) "$in" | "$tool" -dc 2>/dev/null >"$out" || true
			if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
				echo "$tool at offset $off"
				return 0
			fi
		done
	done
	rm -f "$out"
	return 1
}

# qemu boots an ELF kernel with -kernel only through its PVH entry point
# (Xen ELF note 18, XEN_ELFNOTE_PHYS32_ENTRY; CONFIG_PVH=y in Debian).
has_pvh_note() {
	command -v readelf >/dev/null || return 1
	readelf -n "$1" 2>/dev/null | grep -q 'Unknown note type: (0x00000012)'
}

KERNEL_IMAGE=${vmlinuz#"$VM/"}
if [ "$want_image" = vmlinux ]; then
	vmlinux=$VM/$KROOT/vmlinux
	if [ ! -f "$vmlinux" ]; then
		say "extracting the uncompressed vmlinux"
		if how=$(extract_vmlinux "$vmlinuz" "$vmlinux.tmp"); then
			mv "$vmlinux.tmp" "$vmlinux"
			say "vmlinux: $how, $(($(stat -c %s "$vmlinux") / 1048576)) MiB"
		else
			say "no compressed ELF found in $(basename "$vmlinuz"): booting the bzImage"
		fi
	fi
	if [ -f "$vmlinux" ]; then
		if has_pvh_note "$vmlinux"; then
			KERNEL_IMAGE=$KROOT/vmlinux
		else
			say "vmlinux has no PVH entry point (or readelf is missing): booting the bzImage"
		fi
	fi
fi

cat >"$ENV_FILE.tmp" <<EOF
# Written by tests/vm/kernel.sh; paths are relative to this directory.
KPKG=$PKG
KPKG_VERSION=$PKG_VERSION
KVER=$KVER
KROOT=$KROOT
KERNEL_IMAGE=$KERNEL_IMAGE
KIMAGE_WANTED=$want_image
EOF
mv "$ENV_FILE.tmp" "$ENV_FILE"
say "kernel ready: $KVER ($KERNEL_IMAGE)"

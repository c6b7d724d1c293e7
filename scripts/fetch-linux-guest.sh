#!/usr/bin/env bash
# fetch-linux-guest.sh - fetch btvmm's first real guest from the Debian archive
# (BRIEF "Guests and boot"): Debian 12's i386 kernel (the package that
# linux-image-686:i386 depends on) and busybox-static:i386, and build two
# initramfs images from busybox. Nothing is vendored; run as root (apt-get).
#
# Usage: scripts/fetch-linux-guest.sh [OUTDIR]
#   OUTDIR defaults to $BTVMM_GUEST_DIR, else <repo>/build/guest. It receives:
#     vmlinuz                 the bzImage
#     initramfs.cpio.gz       /init mounts proc, sys, devtmpfs, then a shell on the console
#     initramfs-test.cpio.gz  /init runs /etc/btvmm-test.sh, then poweroff -f
#     README                  the package versions fetched
#   BTVMM_GUEST_TEST_SCRIPT names the file to install as /etc/btvmm-test.sh
#   (default: <repo>/tests/linux/btvmm-test.sh, if it exists).
#
# Idempotent: the i386 architecture is added and apt's lists refreshed only
# when apt knows no i386 kernel; .debs already in OUTDIR/debs are kept; the
# images are rebuilt every run (it takes about a second).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-${BTVMM_GUEST_DIR:-$repo/build/guest}}
test_script=${BTVMM_GUEST_TEST_SCRIPT:-$repo/tests/linux/btvmm-test.sh}
export DEBIAN_FRONTEND=noninteractive

log() { echo "fetch-linux-guest: $*" >&2; }
die() { echo "fetch-linux-guest: $*" >&2; exit 1; }

# ---- apt: architecture, lists, host tools ----

# Does apt have a candidate version of package $1?
has_candidate() {
	local cand
	cand=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	[ -n "$cand" ] && [ "$cand" != "(none)" ]
}

ensure_apt() {
	[ "$(id -u)" -eq 0 ] || die "run as root: it adds the i386 architecture and runs apt-get"
	if ! dpkg --print-foreign-architectures | grep -qx i386; then
		log "adding the i386 architecture"
		dpkg --add-architecture i386
	fi
	if ! has_candidate linux-image-686:i386 || ! has_candidate busybox-static:i386; then
		log "apt-get update (no i386 kernel or busybox in apt's lists)"
		# A mirror mid-sync fails one index (often security's); the others
		# may still hold what we need, which the check below decides.
		apt-get update -qq || log "apt-get update reported errors; going on with the lists it got"
	fi
	has_candidate linux-image-686:i386 || die "apt knows no linux-image-686:i386 (is this Debian 12?)"
	if ! command -v cpio >/dev/null; then
		log "installing cpio"
		apt-get install -y -qq --no-install-recommends cpio >/dev/null
	fi
}

# The versioned kernel package the metapackage points at, e.g. linux-image-6.1.0-28-686.
kernel_package() {
	apt-cache depends --no-recommends --no-suggests linux-image-686:i386 |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:i386$/, "", $2); print $2; exit }'
}

# ---- downloading and unpacking ----

# Download $1:i386 into debs/ unless the candidate version is already there;
# prints the .deb's path.
download() {
	local pkg=$1 version deb
	version=$(apt-cache policy "$pkg:i386" | awk '/Candidate:/ { print $2 }')
	deb="$out/debs/${pkg}_${version//:/%3a}_i386.deb"
	if [ ! -s "$deb" ]; then
		log "downloading $pkg:i386 $version"
		# A stale list names a version the mirror no longer has: refresh once.
		(cd "$out/debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg:i386=$version" >&2) ||
			{ apt-get update -qq && (cd "$out/debs" && apt-get download -qq -o APT::Sandbox::User=root "$pkg:i386" >&2); }
		# shellcheck disable=SC2012 # .deb names are plain
		deb=$(ls -t "$out/debs/${pkg}_"*_i386.deb | head -n 1)
	fi
	echo "$deb"
}

# Unpack .deb $1 into dir $2; only the members matching $3 if given (the
# kernel package is 300 MB of modules around the one file we want).
unpack() {
	rm -rf "$2"
	mkdir -p "$2"
	if [ $# -gt 2 ]; then
		dpkg-deb --fsys-tarfile "$1" | tar -xf - -C "$2" --wildcards "$3"
	else
		dpkg-deb -x "$1" "$2"
	fi
}

# ---- the initramfs ----

# One newc (SVR4 "070701") header plus name, padded to 4 bytes: $1 name,
# $2 mode (decimal), $3/$4 device major/minor, $5 inode. Device nodes are
# written this way so that building the image needs neither mknod nor root.
newc_entry() {
	local name=$1 mode=$2 major=$3 minor=$4 ino=$5 namesize=$((${#1} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$ino" "$mode" 0 0 1 0 0 0 0 "$major" "$minor" "$namesize" 0
	printf '%s\0' "$name"
	head -c $(((4 - (110 + namesize) % 4) % 4)) /dev/zero
}

# A second archive holding /dev's nodes; the kernel unpacks concatenated archives.
dev_archive() {
	local chr=$((8#020600)) # S_IFCHR | 0600
	newc_entry dev/console "$chr" 5 1 900001
	newc_entry dev/ttyS0 "$chr" 4 64 900002
	newc_entry dev/null $((8#020666)) 1 3 900003
	newc_entry TRAILER!!! 0 0 0 0
}

# /init's common part: mount the pseudo file systems and say so on the console.
write_init_head() {
	cat <<-'EOF'
	#!/bin/sh
	# /init of btvmm's busybox initramfs (scripts/fetch-linux-guest.sh).
	[ -e /bin/mount ] || /bin/busybox --install -s
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	echo "btvmm-guest: init started"
	EOF
}

write_init_shell() {
	write_init_head
	cat <<-'EOF'
	# cttyhack opens the console's real tty (ttyS0) so the shell gets job
	# control; PID 1 must not exit, so end the session with a power-off.
	setsid cttyhack sh
	echo "btvmm-guest: shell exited, powering off"
	poweroff -f
	EOF
}

write_init_test() {
	write_init_head
	cat <<-'EOF'
	if [ -f /etc/btvmm-test.sh ]; then
		echo "btvmm-guest: running /etc/btvmm-test.sh"
		sh /etc/btvmm-test.sh 2>&1
		echo "btvmm-guest: test exit status $?"
	else
		echo "btvmm-guest: no /etc/btvmm-test.sh"
	fi
	poweroff -f
	EOF
}

# Fill staging dir $1 with busybox and the directory skeleton.
stage_rootfs() {
	local root=$1 busybox=$2 applets applet
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,etc,root}
	chmod 1777 "$root/tmp"
	install -m 0755 "$busybox" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	# Applet links now if the host can run an i386 binary; else /init makes them.
	if applets=$("$busybox" --list-full 2>/dev/null); then
		while read -r applet; do
			[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
		done <<<"$applets"
	fi
}

# Pack staging dir $1 into gzip'd newc archive $2 (atomically).
pack() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc --owner=0:0 --reproducible
	 dev_archive) | gzip -9 -n >"$2.tmp"
	mv "$2.tmp" "$2"
}

build_initramfs() {
	local busybox=$1 work=$out/work
	stage_rootfs "$work/rootfs" "$busybox"
	write_init_shell >"$work/rootfs/init"
	chmod 0755 "$work/rootfs/init"
	pack "$work/rootfs" "$out/initramfs.cpio.gz"

	write_init_test >"$work/rootfs/init"
	if [ -f "$test_script" ]; then
		install -m 0755 "$test_script" "$work/rootfs/etc/btvmm-test.sh"
	fi
	pack "$work/rootfs" "$out/initramfs-test.cpio.gz"
}

write_readme() {
	local kdeb=$1 bdeb=$2
	cat >"$out/README" <<-EOF
	btvmm's Linux guest, built by scripts/fetch-linux-guest.sh on $(date -u +%Y-%m-%d).
	Nothing here is committed; rerun the script to rebuild.

	vmlinuz                 $(dpkg-deb -f "$kdeb" Package) $(dpkg-deb -f "$kdeb" Version) (i386)
	initramfs.cpio.gz       $(dpkg-deb -f "$bdeb" Package) $(dpkg-deb -f "$bdeb" Version) (i386); /init starts a shell on the console
	initramfs-test.cpio.gz  the same; /init runs /etc/btvmm-test.sh$([ -f "$test_script" ] && echo " (from ${test_script#"$repo"/})" || echo " (none installed)"), then poweroff -f

	Boot it under QEMU:
	  qemu-system-i386 -cpu pentium3 -m 256 -kernel vmlinuz -initrd initramfs.cpio.gz \\
	    -append "console=ttyS0 earlyprintk=serial,ttyS0 noapic" -nographic -no-reboot
	(-M isapc, btvmm's kind of machine, boots too; there poweroff -f halts.)
	EOF
}

main() {
	local kpkg kdeb bdeb vmlinuz
	ensure_apt
	kpkg=$(kernel_package)
	[ -n "$kpkg" ] || die "cannot tell which kernel linux-image-686:i386 depends on"
	mkdir -p "$out/debs" "$out/work"
	kdeb=$(download "$kpkg")
	bdeb=$(download busybox-static)

	unpack "$kdeb" "$out/work/kernel" './boot/vmlinuz-*'
	vmlinuz=("$out/work/kernel/boot/"vmlinuz-*)
	install -m 0644 "${vmlinuz[0]}" "$out/vmlinuz"
	unpack "$bdeb" "$out/work/busybox"
	build_initramfs "$out/work/busybox/bin/busybox"
	write_readme "$kdeb" "$bdeb"
	log "done: $out/{vmlinuz,initramfs.cpio.gz,initramfs-test.cpio.gz}"
}

main

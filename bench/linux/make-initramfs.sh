#!/usr/bin/env bash
# make-initramfs.sh - build the benchmark initramfs for bench/linux.sh.
#
# Usage: bench/linux/make-initramfs.sh BIN_DIR OUT [GUEST_DIR]
#   BIN_DIR    where CMake built the programs (<build>/bench/linux)
#   OUT        the image to write, e.g. <build>/bench/linux/initramfs-bench.cpio.gz
#   GUEST_DIR  scripts/fetch-linux-guest.sh's output; default $BTVMM_GUEST_DIR,
#              else <repo>/build/guest
#
# It does not rebuild the guest: it takes fetch-linux-guest.sh's test image
# (busybox; /init runs /etc/btvmm-test.sh, then poweroff -f) as it is and
# appends a second gzip'd newc archive holding /bench/* and our
# /etc/btvmm-test.sh. The kernel unpacks concatenated archives in order, and a
# later file replaces an earlier one, so no root, unpacking or mknod is needed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
programs=(syscall pgfault fork ctxsw exec intcomp memcomp true)

die() { echo "make-initramfs: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 BIN_DIR OUT [GUEST_DIR]"
bin=$1 out=$2
guest=${3:-${BTVMM_GUEST_DIR:-$repo/build/guest}}
base=$guest/initramfs-test.cpio.gz
[ -s "$base" ] || die "no $base: run scripts/fetch-linux-guest.sh (as root) first"
command -v cpio >/dev/null || die "cpio is not installed (apt-get install cpio)"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bench" "$stage/etc"
for p in "${programs[@]}"; do
	[ -x "$bin/$p" ] || die "no $bin/$p: build the linux-bench target first"
	install -m 0755 "$bin/$p" "$stage/bench/$p"
done
install -m 0755 "$here/btvmm-bench.sh" "$stage/etc/btvmm-test.sh"

# Sorted, owned by root, fixed inode numbers: the same inputs give the same image.
{
	cat "$base"
	(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc --owner=0:0 --reproducible) | gzip -9 -n
} >"$out.tmp"
mv "$out.tmp" "$out"

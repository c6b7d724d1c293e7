#!/usr/bin/env bash
# run-linux-test.sh - the whole-system test: boot Debian's i386 kernel with the
# test initramfs, whose /init runs tests/linux/btvmm-test.sh and prints
# "btvmm-guest: test exit status N", and judge the serial output.
#
# Usage: tests/linux/run-linux-test.sh [--qemu] [EMULATOR]
#   EMULATOR defaults to build/monitor/btvmm, or with --qemu to
#   $QEMU_SYSTEM_I386, else qemu-system-i386 (the reference).
#   The images come from $BTVMM_GUEST_DIR, else build/guest, as
#   scripts/fetch-linux-guest.sh writes them.
# Passes (exit 0) when the guest reports status 0 and all checks passed with
# no FAIL line, and, for btvmm, the VM exits with status 0 on the final halt.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
guest=${BTVMM_GUEST_DIR:-$repo/build/guest}
marker="btvmm-guest: test exit status"

die() { echo "run-linux-test: $*" >&2; exit 1; }

mode=btvmm
if [ "${1:-}" = --qemu ]; then
	mode=qemu
	shift
fi
if [ $mode = btvmm ]; then
	emu=${1:-$repo/build/monitor/btvmm}
	limit=120 # about 25 s here, more while ctest runs other tests beside it
else
	emu=${1:-${QEMU_SYSTEM_I386:-qemu-system-i386}}
	limit=300 # TCG: about 25 s here, 40-60 s beside other tests
fi

# Missing or stale images are a failure, never a skip.
for f in vmlinuz initramfs-test.cpio.gz; do
	[ -s "$guest/$f" ] || die "no $guest/$f: run scripts/fetch-linux-guest.sh (as root) first"
done
script=$repo/tests/linux/btvmm-test.sh
# (cpio stops at the first archive's trailer: gzip's SIGPIPE is no error here.)
if ! cmp -s "$script" <(gzip -dc "$guest/initramfs-test.cpio.gz" |
	cpio -i --quiet --to-stdout etc/btvmm-test.sh 2>/dev/null); then
	die "$guest/initramfs-test.cpio.gz does not hold the current $script: rerun scripts/fetch-linux-guest.sh"
fi

out=$(mktemp)
err=$(mktemp)
pid=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	rm -f "$out" "$err"
}
trap cleanup EXIT

args=(-m 256 -kernel "$guest/vmlinuz" -initrd "$guest/initramfs-test.cpio.gz"
	-append "console=ttyS0 noapic" -no-reboot)
start=$SECONDS
if [ $mode = btvmm ]; then
	"$emu" "${args[@]}" -nographic </dev/null >"$out" 2>"$err" &
else
	# btvmm's machine: ISA PC, no APIC; its CPU is a P6 with SSE2, which
	# QEMU's pentium3 lacks. The serial port goes to a file: with
	# -nographic the BIOS would print its banners there too.
	"$emu" -M isapc -cpu pentium3,+sse2 "${args[@]}" -display none -monitor none \
		-serial file:"$out" </dev/null >"$err" 2>&1 &
fi
pid=$!

# btvmm exits by itself when poweroff -f halts with interrupts off; QEMU
# does not, so it is stopped once the marker is out.
deadline=$((start + limit))
seen=
while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt "$deadline" ]; do
	if [ -z "$seen" ] && grep -q "$marker" "$out"; then
		[ $mode = btvmm ] || break
		seen=1
		deadline=$((SECONDS + 10)) # poweroff's last messages, then the halt
	fi
	sleep 0.5
done
if kill -0 "$pid" 2>/dev/null; then
	kill "$pid"
	wait "$pid" || true
	status="still running after $((SECONDS - start)) s, killed"
else
	rc=0
	wait "$pid" || rc=$?
	status="exit status $rc"
fi
pid=
elapsed=$((SECONDS - start))

problems=()
grep -q "$marker 0" "$out" || problems+=("no '$marker 0' (emulator: $status)")
grep -q "btvmm-test: all [0-9]* checks passed" "$out" || problems+=("no 'btvmm-test: all N checks passed'")
! grep -q FAIL "$out" || problems+=("FAIL lines")
[ $mode = qemu ] || [ "$status" = "exit status 0" ] || problems+=("btvmm: $status, want exit status 0")

checks=$(grep -c '^ok ' "$out" || true)
if [ ${#problems[@]} -eq 0 ]; then
	echo "PASS linux under $mode: $checks checks ok in $elapsed s"
	exit 0
fi
echo "--- serial output:"
sed 's/^/    /' "$out"
if [ -s "$err" ]; then
	echo "--- $emu stderr:"
	sed 's/^/    /' "$err"
fi
for p in "${problems[@]}"; do echo "--- $p"; done
echo "FAIL linux under $mode ($elapsed s)"
exit 1

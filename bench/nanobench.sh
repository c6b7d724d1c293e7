#!/bin/sh
# nanobench.sh [build-dir] - run the nanobenchmark guest (bench/nanobench.c)
# under btvmm and under QEMU TCG, one after the other in this run, and print
# cycles per operation side by side with the ratio qemu/btvmm (above 1:
# btvmm is faster). Builds btvmm and the guest first if needed; the build
# directory defaults to $BUILD_DIR, else build/ at the top of the tree.
#
# The cycles are what the guest's RDTSC reports. Under btvmm that is the
# host's TSC; under QEMU TCG it is QEMU's virtual TSC, which QEMU derives
# from the host's clock at the host TSC rate. Both therefore tick at roughly
# the host rate, and the two columns are comparable, but neither counts the
# cycles of a real P6: these are host cycles spent per guest operation.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
build=${1:-${BUILD_DIR:-$top/build}}
qemu=${QEMU_SYSTEM_I386:-qemu-system-i386}

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$top" -B "$build" >/dev/null
fi
cmake --build "$build" --target btvmm nanobench >/dev/null

elf=$build/bench/nanobench.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Each run must end through the exit port with code 0 (status 1) and print rows.
run() {
	name=$1
	shift
	status=0
	timeout 120s "$@" </dev/null >"$tmp/$name" || status=$?
	if [ "$status" -ne 1 ] || ! grep -q '^[a-z0-9_]* [0-9]*$' "$tmp/$name"; then
		echo "nanobench: the $name run failed (exit status $status):" >&2
		cat "$tmp/$name" >&2
		exit 1
	fi
}

run btvmm "$build/monitor/btvmm" -kernel "$elf" -nographic -no-reboot -m 128
run qemu "$qemu" -accel tcg -kernel "$elf" -m 128 -no-reboot \
	-display none -serial stdio -monitor none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04

echo "nanobench: host cycles per guest operation (RDTSC in the guest; lower is better)"
echo "btvmm: $(grep '^#' "$tmp/btvmm" | sed 's/^# nanobench: //')"
echo "qemu:  $(grep '^#' "$tmp/qemu" | sed 's/^# nanobench: //')"
awk '
	FNR == NR { if ($0 !~ /^#/) qemu[$1] = $2; next }
	/^#/ { next }
	BEGIN { printf "%-10s %10s %10s %8s\n", "row", "btvmm", "qemu-tcg", "qemu/bt" }
	{
		ratio = ($2 > 0 && ($1 in qemu)) ? sprintf("%.2f", qemu[$1] / $2) : "-"
		printf "%-10s %10d %10s %8s\n", $1, $2, ($1 in qemu) ? qemu[$1] : "-", ratio
	}
' "$tmp/qemu" "$tmp/btvmm"

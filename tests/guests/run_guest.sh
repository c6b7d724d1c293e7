#!/bin/sh
# run_guest.sh <emulator> <kernel.elf> <expect-file> [<emulator option>...]
#
# Boots one test guest and judges it: the guest's whole serial output (the
# emulator's stdout) must equal <expect-file> byte for byte, and the emulator
# must exit with status 1, which isa-debug-exit gives for a guest exit code
# of 0 ((0 << 1) | 1). Prints one verdict line; exits 0 only on a pass.
set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 <emulator> <kernel.elf> <expect-file> [<emulator option>...]" >&2
	exit 2
fi
emulator=$1
kernel=$2
expect=$3
shift 3
name=$(basename "$kernel" .elf)

out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT

timeout 20s "$emulator" -kernel "$kernel" -nographic -no-reboot -m 128 "$@" \
	</dev/null >"$out"
status=$?

verdict=PASS
if ! cmp -s "$out" "$expect"; then
	echo "--- $name: serial output differs from $expect:"
	diff -u "$expect" "$out" | sed 's/^/    /'
	verdict=FAIL
fi
case $status in
1) ;;
124) echo "--- $name: timed out after 20 s"; verdict=FAIL ;;
*) echo "--- $name: exit status $status, want 1"; verdict=FAIL ;;
esac

echo "$verdict $name (exit status $status)"
[ "$verdict" = PASS ]

#!/usr/bin/env bash
# quickstart.sh - on a fresh Debian 12 machine, as root: install what is
# needed, build btvmm, fetch the default guest (Debian 12's i386 kernel and a
# busybox initramfs, scripts/fetch-linux-guest.sh) and boot it to a shell on
# this terminal. Extra arguments go to btvmm, e.g. -d stats.
#
# A second example, one of the test kernels, needs no download:
#   build/monitor/btvmm -kernel build/tests/guests/hello.elf -nographic
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
scripts/fetch-linux-guest.sh
echo "quickstart: booting Linux to a busybox shell (exit or Ctrl-A x quits)"
# The machine is an ISA PC without an I/O APIC: noapic keeps Linux from looking for one.
exec build/monitor/btvmm -m 256 -kernel build/guest/vmlinuz -initrd build/guest/initramfs.cpio.gz \
	-append "console=ttyS0 noapic" -nographic "$@"

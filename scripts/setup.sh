#!/usr/bin/env bash
# setup.sh - install what btvmm needs to build and test on Debian 12, as root.
# Idempotent: only missing packages are installed. qemu-system-x86 is not a
# dependency of btvmm; the tests and benchmarks use it as the reference CPU.
set -euo pipefail

packages=(
	build-essential cmake pkg-config  # compiler and build system
	libcapstone-dev                   # x86 decoding
	libelf-dev                        # ELF kernel loading
	libcmocka-dev                     # unit tests
	libunicorn-dev                    # differential test reference CPU
	gcc-multilib                      # building the 32-bit test guests
	libc6-dev-i386                    # static i386 glibc: bench/linux's guest programs (gcc -m32 -static)
	qemu-system-x86                   # reference emulator for guests and benchmarks
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: all packages present"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "setup: run as root to install: ${missing[*]}" >&2
	exit 1
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null

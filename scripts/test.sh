#!/usr/bin/env bash
# test.sh - install dependencies, build, and run every test (unit tests,
# test guests under btvmm and under QEMU, the differential test, the Linux
# whole-system test) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
# The Linux test's images. Run every time: after the first run it downloads
# nothing and only repacks the initramfs, so the image always holds the
# current tests/linux/btvmm-test.sh.
scripts/fetch-linux-guest.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"

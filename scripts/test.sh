#!/usr/bin/env bash
# test.sh - install dependencies, build, and run every test (unit tests,
# test guests under btvmm and under QEMU, the differential test) with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"

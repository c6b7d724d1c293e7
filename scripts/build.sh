#!/usr/bin/env bash
# build.sh - configure and build btvmm in ./build (warnings are errors).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DBTVMM_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"

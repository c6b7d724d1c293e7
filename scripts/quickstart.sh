#!/usr/bin/env bash
# quickstart.sh - on a fresh Debian 12 machine, as root: install what is
# needed, build btvmm, and boot the default guest on this terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
echo "quickstart: booting the default guest (Ctrl-A x quits)"
exec build/monitor/btvmm -kernel build/tests/guests/hello.elf -nographic "$@"

#!/usr/bin/env bash
# README command 2: install what is needed, build, run every test (unit, integration, benchmark smoke).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BALCTL_BUILD_DIR:-$root/build}

bash "$root/scripts/setup.sh" --test
bash "$root/scripts/build.sh"
jobs=$(nproc 2>/dev/null || echo 2)
ctest --test-dir "$build_dir" --output-on-failure --parallel "$jobs" --timeout 900

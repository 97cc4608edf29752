#!/usr/bin/env bash
# Configures and builds balctl into build/ (or $BALCTL_BUILD_DIR); ccache is used when installed.
# Arguments are build targets (default: everything, tests and benchmark tools included).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BALCTL_BUILD_DIR:-$root/build}
build_type=${BALCTL_BUILD_TYPE:-RelWithDebInfo}

cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type"
if (( $# > 0 )); then
  cmake --build "$build_dir" --target "$@"
else
  cmake --build "$build_dir"
fi

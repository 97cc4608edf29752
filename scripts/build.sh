#!/usr/bin/env bash
# Configures and builds balctl into build/ (or $BALCTL_BUILD_DIR). ccache is used when installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BALCTL_BUILD_DIR:-$root/build}
build_type=${BALCTL_BUILD_TYPE:-RelWithDebInfo}

cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "$@"
cmake --build "$build_dir"

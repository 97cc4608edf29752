#!/usr/bin/env bash
# README command 2: install what is needed, build, run every test (unit, integration, benchmark smoke),
# and, in a second build with clang's ASan + UBSan, a subset of the integration tests and a short run of
# every fuzz target (README "Testing").
#   BALCTL_SANITIZE_RUN=0           skip the sanitizer build and its tests
#   BALCTL_SANITIZE_TESTS="a b"     integration modules to run under the sanitizers (default below)
#   BALCTL_FUZZ_SMOKE_SECONDS=N     how long each fuzz target runs (default 20)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BALCTL_BUILD_DIR:-$root/build}
sanitize_dir=${BALCTL_SANITIZE_BUILD_DIR:-$root/build-sanitize}
sanitize_run=${BALCTL_SANITIZE_RUN:-1}
# The API surface, agent protocol, hostile input and restarts: what ASan + UBSan most need to see. Measured
# on the 2-core VM, fresh clone, warm ccache (2 December): the niced clang build of balctl, balctl-agent and
# the fuzz targets 473 s beside the normal tests, these four modules 41 s, the fuzz smoke 213 s; the whole
# .ci/run 19 min 56 s. A cold clang build is the cost to watch (~25 min under a load of 10-20).
sanitize_tests=${BALCTL_SANITIZE_TESTS:-test_admin_api test_agent_api test_robustness test_persistence}
fuzz_seconds=${BALCTL_FUZZ_SMOKE_SECONDS:-20}

bash "$root/scripts/setup.sh" --test
bash "$root/scripts/build.sh"
jobs=$(nproc 2>/dev/null || echo 2)

# The sanitizer build and its integration subset run beside the normal tests, niced: the normal tests
# mostly wait on timers, so the two share 2 cores without the normal ones slowing down much.
sanitize_pid=
sanitize_log="$sanitize_dir/test-sanitize.log"
if [[ $sanitize_run != 0 ]]; then
  mkdir -p "$sanitize_dir"
  regex="^integration_($(tr ' ' '|' <<<"$sanitize_tests"))\$"
  (
    set -e
    start=$(date +%s)
    nice -n 10 cmake -S "$root" -B "$sanitize_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++-14 -DBALCTL_SANITIZE=ON -DBALCTL_FUZZ=ON -DBALCTL_UNIT_TESTS=OFF \
      -DBALCTL_BENCH=OFF -DBALCTL_FUZZ_SMOKE_SECONDS="$fuzz_seconds"
    nice -n 10 cmake --build "$sanitize_dir" --target balctl balctl-agent balctl_fuzz
    built=$(date +%s)
    echo "sanitize: build took $((built - start)) s"
    ctest --test-dir "$sanitize_dir" --output-on-failure --timeout 900 -R "$regex"
    echo "sanitize: integration subset took $(($(date +%s) - built)) s"
  ) >"$sanitize_log" 2>&1 &
  sanitize_pid=$!
fi

status=0
ctest --test-dir "$build_dir" --output-on-failure --parallel "$jobs" --timeout 900 || status=$?

if [[ -n $sanitize_pid ]]; then
  sanitize_status=0
  wait "$sanitize_pid" || sanitize_status=$?
  cat "$sanitize_log"
  if (( sanitize_status == 0 )); then
    # CPU-bound, so only once the other tests are done: 20 s per target, two at a time.
    start=$(date +%s)
    ctest --test-dir "$sanitize_dir" --output-on-failure --parallel "$jobs" -L fuzz || sanitize_status=$?
    echo "sanitize: fuzz smoke took $(($(date +%s) - start)) s"
  fi
  (( sanitize_status == 0 )) || { echo "test.sh: the sanitizer run failed ($sanitize_log)" >&2; status=1; }
fi
exit $status

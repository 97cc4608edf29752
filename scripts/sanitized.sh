#!/bin/sh
# Runs one test command of the ASan + UBSan build (BALCTL_SANITIZE=ON; tests/CMakeLists.txt makes this
# the launcher of the integration tests there) with every sanitizer report written to a file, and fails
# when any process the test started reported something: `balctl serve`, agents and CLI calls alike, also
# one whose exit status the test does not look at (a use-after-free during shutdown, say).
#   scripts/sanitized.sh REPORT_DIR COMMAND...     reports land in REPORT_DIR/<last argument>/
set -u
[ $# -ge 2 ] || { echo "usage: $0 REPORT_DIR COMMAND..." >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
reports=$1
shift
for last in "$@"; do :; done
dir="$reports/$(basename "$last")"
rm -rf "$dir"
mkdir -p "$dir"
# halt_on_error: the first report ends the process (and so fails the test that caused it). Leaks are
# checked at exit; scripts/lsan.supp names the few deliberate ones, each with its reason.
export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$dir/asan:${BALCTL_ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
# Tests that check the production allocator (jemalloc) skip themselves: ASan brings its own.
export BALCTL_SANITIZED=1
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$dir/ubsan"
"$@"
rc=$?
if [ -n "$(ls -A "$dir")" ]; then
  echo "sanitizer reports in $dir:"
  for report in "$dir"/*; do
    echo "== $report"
    head -n 60 "$report"
  done
  exit 1
fi
exit $rc

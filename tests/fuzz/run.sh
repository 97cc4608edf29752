#!/bin/sh
# Runs fuzz targets for a given time each and prints one line of figures per target.
#   tests/fuzz/run.sh SECONDS [TARGET...]        (default: every target built)
# Build first (tests/fuzz/CMakeLists.txt); the build directory is $BALCTL_FUZZ_BUILD_DIR, else
# $BALCTL_BUILD_DIR, else build-fuzz. Seeds: tests/fuzz/corpus/TARGET/ (the collector targets also
# tests/fixtures/agent/); dictionary: tests/fuzz/TARGET.dict. New inputs accumulate in
# BUILD/tests/fuzz/corpus/TARGET/, so a later run goes on from there; findings are written to
# BUILD/tests/fuzz/findings/TARGET-crash-* (or leak-, timeout-, oom-) and fail the run.
# Output per target: "TARGET seconds=S execs=N exec_per_s=N corpus=N findings=0" (or the finding's file).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2; }
seconds=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BALCTL_FUZZ_BUILD_DIR:-${BALCTL_BUILD_DIR:-$root/build-fuzz}}
bin="$build/tests/fuzz"
if [ $# -eq 0 ]; then
  set -- $(cd "$bin" && for f in fuzz_*; do [ -x "$f" ] && [ -f "$f" ] && echo "$f"; done)
fi
[ $# -ge 1 ] || { echo "run.sh: no fuzz targets in $bin (build them first)" >&2; exit 2; }
# A report stops the target at once; leaks count as findings (a parser must not leak per request).
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
status=0
for target in "$@"; do
  [ -x "$bin/$target" ] || { echo "$target: not built in $bin" >&2; status=1; continue; }
  corpus="$bin/corpus/$target"
  findings="$bin/findings"
  mkdir -p "$corpus" "$findings"
  seeds=
  [ -d "$here/corpus/$target" ] && seeds="$here/corpus/$target"
  fixtures=
  case $target in
    fuzz_show_stat | fuzz_show_info | fuzz_meminfo | fuzz_mounts | fuzz_host_text)
      fixtures=$root/tests/fixtures/agent ;;
    fuzz_cpanel_replies | fuzz_cloudflare_replies) fixtures=$root/tests/fixtures/dns ;;
  esac
  [ -n "$fixtures" ] && [ -d "$fixtures" ] && seeds="$seeds $fixtures"
  dict=
  [ -f "$here/$target.dict" ] && dict="-dict=$here/$target.dict"
  log="$bin/$target.log"
  rc=0
  # shellcheck disable=SC2086 # $dict and $seeds are word lists on purpose
  "$bin/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$findings/$target-" $dict "$corpus" $seeds >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  size=$(find "$corpus" -type f | wc -l)
  found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    status=1
    echo "$target seconds=$seconds execs=${execs:-?} exec_per_s=${rate:-?} corpus=$size" \
      "findings=${found:-exit $rc, see $log}"
    grep -E "^(==[0-9]+==ERROR|SUMMARY|.*check failed|.*runtime error)" "$log" | head -n 5 | sed 's/^/  /'
  else
    echo "$target seconds=$seconds execs=${execs:-?} exec_per_s=${rate:-?} corpus=$size findings=0"
  fi
done
exit $status

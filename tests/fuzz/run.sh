#!/bin/sh
# Runs every fuzz target for a while, seeded from the captured fixtures (tests/fixtures/agent, /dns), in a
# scratch corpus directory.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET]
# Exits non-zero on the first finding (the crashing input is left as BUILD_DIR/tests/fuzz/crash-*).
set -eu
build=$1
seconds=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../fixtures/agent"
bin="$build/tests/fuzz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
for target in fuzz_show_stat fuzz_show_info fuzz_meminfo fuzz_mounts fuzz_host_text fuzz_cpanel_replies \
    fuzz_cloudflare_replies; do
  mkdir -p "$work/$target"
  seeds="$fixtures"
  case "$target" in  # the DNS provider reply fixtures (cPanel/WHM, Cloudflare)
    fuzz_cpanel_replies | fuzz_cloudflare_replies) seeds="$here/../fixtures/dns" ;;
  esac
  dict=
  [ -f "$here/$target.dict" ] && dict="-dict=$here/$target.dict"
  echo "== $target ($seconds s)"
  (cd "$bin" && ./$target -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 $dict "$work/$target" "$seeds") 2>&1 | grep -E "^(#[0-9]+ +DONE|stat::|==|SUMMARY|.*ERROR)" || true
  ls "$bin"/crash-* "$bin"/leak-* "$bin"/timeout-* "$bin"/oom-* >/dev/null 2>&1 && { echo "finding in $bin"; exit 1; }
done
echo "no findings"

#!/usr/bin/env bash
# Builds the two Debian packages into a temporary directory and checks what they contain: the binaries,
# the systemd unit, and dependencies computed from the binaries.
set -euo pipefail
build_dir=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$build_dir" && cpack -G DEB -B "$out" >/dev/null)
agent=$(ls "$out"/balctl-agent_*.deb)
server=$(ls "$out"/balctl_*.deb)
fail() { echo "check_debs: $*" >&2; exit 1; }
agent_files=$(dpkg-deb --contents "$agent")
server_files=$(dpkg-deb --contents "$server")
grep -q ' ./usr/bin/balctl-agent$' <<<"$agent_files" || fail "agent package lacks /usr/bin/balctl-agent"
grep -q ' ./usr/lib/systemd/system/balctl-heartbeat.service$' <<<"$agent_files" || fail "agent package lacks the unit"
grep -q ' ./usr/bin/balctl$' <<<"$server_files" || fail "server package lacks /usr/bin/balctl"
grep -q 'libcurl4' <<<"$(dpkg-deb --field "$agent" Depends)" || fail "agent Depends lacks libcurl4"
grep -q 'libsqlite3-0' <<<"$(dpkg-deb --field "$server" Depends)" || fail "server Depends lacks libsqlite3-0"
unit=$(dpkg-deb --fsys-tarfile "$agent" | tar -xO ./usr/lib/systemd/system/balctl-heartbeat.service)
grep -q '^Restart=always$' <<<"$unit" || fail "unit does not restart always"
grep -q '^ExecStart=/usr/bin/balctl-agent ' <<<"$unit" || fail "unit does not run /usr/bin/balctl-agent"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify --man=no "$(dirname "$0")/../../packaging/balctl-heartbeat.service" 2>&1 \
    | grep -v 'Command /usr/bin/balctl-agent is not executable' | grep -i 'error' && fail "systemd-analyze reports errors"
fi
size=$(stat -c %s "$agent")
echo "check_debs: ok ($(basename "$agent") $((size / 1024)) KiB, $(basename "$server"))"

#!/usr/bin/env bash
# README command 1: install what is needed, build, and run the control plane in the foreground on the
# embedded SQLite default, with a local demo member: a real balctl-agent (config under DATA_DIR/demo)
# reporting a small demo HAProxy, so `balctl status` and the member list are not empty. Ctrl-C stops all.
#
# Environment: BALCTL_DATA_DIR (default /var/lib/balctl), BALCTL_LISTEN (default 127.0.0.1:8443),
# BALCTL_PUBLIC_URL (URL members use; default from the listen address), BALCTL_DEMO_HTTP (the demo
# HAProxy's frontend, default 127.0.0.1:18080).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BALCTL_BUILD_DIR:-$root/build}
data_dir=${BALCTL_DATA_DIR:-/var/lib/balctl}
listen=${BALCTL_LISTEN:-127.0.0.1:8443}
public_url=${BALCTL_PUBLIC_URL:-}
demo_http=${BALCTL_DEMO_HTTP:-127.0.0.1:18080}

bash "$root/scripts/setup.sh" --demo
bash "$root/scripts/build.sh" balctl balctl-agent

balctl=$build_dir/balctl
agent=$build_dir/balctl-agent
port=${listen##*:}
host=${listen%:*}
case "$host" in 0.0.0.0|"[::]") host=127.0.0.1 ;; esac
api="https://$host:$port"
demo_dir=$data_dir/demo
children=()
stop_all() {
  trap - EXIT INT TERM
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

"$balctl" serve --data-dir "$data_dir" --listen "$listen" ${public_url:+--public-url "$public_url"} &
server_pid=$!
children+=("$server_pid")
for _ in $(seq 1 100); do
  curl -fsS --cacert "$data_dir/tls.crt" "$api/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "run.sh: balctl serve exited; see the messages above" >&2; exit 1; }
  sleep 0.1
done
export BALCTL_API=$api BALCTL_TOKEN_FILE=$data_dir/admin.token BALCTL_CA_CERT=$data_dir/tls.crt

# The demo member's HAProxy: a stats socket and pidfile under the demo dir, one page on $demo_http.
mkdir -p "$demo_dir"
cat > "$demo_dir/haproxy.cfg" <<CFG
global
    stats socket $demo_dir/haproxy.sock mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend demo_http
    bind $demo_http
    http-request return status 200 content-type text/plain string "served by the balctl demo member\n"
CFG
haproxy -W -db -f "$demo_dir/haproxy.cfg" -p "$demo_dir/haproxy.pid" >"$demo_dir/haproxy.log" 2>&1 &
children+=("$!")

"$balctl" pool show demo >/dev/null 2>&1 || "$balctl" pool create demo --hostname demo.balctl.test --delay 10 >/dev/null
if [[ ! -f $demo_dir/agent/agent.env ]]; then
  if "$balctl" member show demo demo-lb1 >/dev/null 2>&1; then
    issued=$("$balctl" member rekey demo demo-lb1 --json)
  else
    issued=$("$balctl" member add demo demo-lb1 --ip 127.0.0.1 --json)
  fi
  key=$(printf '%s' "$issued" | python3 -c 'import json, sys; print(json.load(sys.stdin)["enrollment_key"])')
  "$agent" --enrol --key "$key" --hostname demo-lb1 --api-base "$api" --config-dir "$demo_dir/agent" \
    --ca-cert "$data_dir/tls.crt"
  printf 'BALCTL_HAPROXY_SOCKET=%s\nBALCTL_HAPROXY_PIDFILE=%s\n' "$demo_dir/haproxy.sock" "$demo_dir/haproxy.pid" \
    >> "$demo_dir/agent/agent.env"
fi
"$agent" --config-dir "$demo_dir/agent" --state-dir "$demo_dir/agent-state" 2>"$demo_dir/agent.log" &
children+=("$!")
sleep 2

cat <<TEXT

balctl is running at $api (data in $data_dir). In another shell:

  export BALCTL_API=$api
  export BALCTL_TOKEN_FILE=$data_dir/admin.token
  export BALCTL_CA_CERT=$data_dir/tls.crt
  $balctl status
  $balctl member show demo demo-lb1
  $balctl events --follow

The demo member demo-lb1 is a real balctl-agent (config $demo_dir/agent) reporting the demo HAProxy
on $demo_http; stop that HAProxy (kill \$(cat $demo_dir/haproxy.pid)) and watch its state change.
Press Ctrl-C to stop everything.

TEXT
"$balctl" status || true
"$balctl" member list demo || true
wait "$server_pid"

#!/bin/sh
# balctl agent installer: the command `balctl member add` prints pipes this script into `sh`.
#
#   curl -fsSL [-k --pinnedpubkey PIN] API_BASE/api/v1/agent/install.sh | sh -s -- \
#       --api-base API_BASE --key KEY --hostname HOST [--pin PIN | --ca-cert FILE]
#
# It installs balctl-agent and the balctl-heartbeat.service unit, enrols this host with the one-time key,
# and enables and starts the service. Running it again is safe: an up-to-date binary or unit is left
# alone and an enrolled host is not re-enrolled (unless --force).
#
# Options for testing and careful operators:
#   --dry-run     print what would be done, change nothing
#   --root DIR    install below DIR instead of / (no packages, no systemctl)
#   --binary F    install this balctl-agent file instead of downloading it
set -eu

API_BASE=""
KEY=""
HOST=""
PIN=""
CA_CERT=""
ROOT=""
BINARY=""
DRY_RUN=0
FORCE=0
RUNTIME_PACKAGES="libcurl4 libsodium23 libspdlog1.10 libfmt9 libboost-json1.81.0 libboost-url1.81.0 libsystemd0"

say() { printf 'balctl-install: %s\n' "$*"; }
die() { printf 'balctl-install: error: %s\n' "$*" >&2; exit 1; }
usage() {
  printf 'balctl-install: %s\n' "$1" >&2
  printf 'usage: sh install.sh --api-base URL --key KEY --hostname HOST [--pin sha256//...|--ca-cert FILE]\n' >&2
  printf '                     [--force] [--dry-run] [--root DIR] [--binary FILE]\n' >&2
  exit 2
}
# Runs a command, or only prints it with --dry-run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf 'would run:'
    printf ' %s' "$@"
    printf '\n'
  else
    "$@"
  fi
}

# Everything runs inside main(), so that `curl ... | sh` has read the whole script before anything executes
# (a command reading stdin could otherwise swallow the rest of it).
main() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --api-base|--key|--hostname|--pin|--ca-cert|--root|--binary)
        [ $# -ge 2 ] || usage "$1 needs a value"
        case "$1" in
          --api-base) API_BASE=$2 ;;
          --key) KEY=$2 ;;
          --hostname) HOST=$2 ;;
          --pin) PIN=$2 ;;
          --ca-cert) CA_CERT=$2 ;;
          --root) ROOT=$2 ;;
          --binary) BINARY=$2 ;;
        esac
        shift 2 ;;
      --force) FORCE=1; shift ;;
      --dry-run) DRY_RUN=1; shift ;;
      -h|--help) usage "installs and enrols the balctl agent" ;;
      *) usage "unknown argument '$1'" ;;
    esac
  done

  [ -n "$API_BASE" ] || usage "missing --api-base"
  [ -n "$KEY" ] || usage "missing --key"
  [ -n "$HOST" ] || usage "missing --hostname"
  case "$API_BASE" in https://*|http://*) ;; *) usage "--api-base must start with https://" ;; esac
  case "$PIN" in ""|sha256//*) ;; *) usage "--pin must look like sha256//BASE64" ;; esac
  [ -z "$PIN" ] || [ -z "$CA_CERT" ] || usage "give --pin or --ca-cert, not both"
  [ -z "$CA_CERT" ] || [ -f "$CA_CERT" ] || die "--ca-cert $CA_CERT does not exist"
  [ -z "$BINARY" ] || [ -f "$BINARY" ] || die "--binary $BINARY does not exist"
  API_BASE=${API_BASE%/}
  if [ -z "$ROOT" ] && [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
    die "run as root (or with --root DIR for a test install)"
  fi

  BIN="$ROOT/usr/local/bin/balctl-agent"
  UNIT="$ROOT/etc/systemd/system/balctl-heartbeat.service"
  CONFIG_DIR="$ROOT/etc/balctl"
  STATE_DIR="$ROOT/var/lib/balctl"

  # curl options that trust the control plane: its pinned key, a CA file, or the system CAs.
  fetch() {
    if [ -n "$PIN" ]; then
      curl -fsS --retry 3 -k --pinnedpubkey "$PIN" -o "$2" "$API_BASE$1"
    elif [ -n "$CA_CERT" ]; then
      curl -fsS --retry 3 --cacert "$CA_CERT" -o "$2" "$API_BASE$1"
    else
      curl -fsS --retry 3 -o "$2" "$API_BASE$1"
    fi
  }

  install_runtime_packages() {
    [ -z "$ROOT" ] || return 0
    command -v dpkg-query >/dev/null 2>&1 || { say "not a Debian system: make sure libcurl, libsodium, spdlog, fmt and Boost 1.81 JSON/URL are installed"; return 0; }
    missing=""
    for package in $RUNTIME_PACKAGES; do
      dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
    done
    [ -n "$missing" ] || return 0
    say "installing runtime packages:$missing"
    run apt-get update -qq </dev/null
    # shellcheck disable=SC2086
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing </dev/null
  }

  # Installs $1 as $2 with mode $3 unless an identical file is already there.
  install_file() {
    if [ -f "$2" ] && cmp -s "$1" "$2"; then
      say "$2 is up to date"
      return 0
    fi
    run mkdir -p "$(dirname "$2")"
    run install -m "$3" "$1" "$2"
    say "installed $2"
  }

  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT INT TERM

  install_runtime_packages

  if [ "$DRY_RUN" = 1 ] && [ -z "$BINARY" ]; then
    say "would download $API_BASE/api/v1/agent/download to $BIN"
    say "would download $API_BASE/api/v1/agent/balctl-heartbeat.service to $UNIT"
  else
    if [ -n "$BINARY" ]; then
      cp "$BINARY" "$WORK/balctl-agent"
    else
      fetch /api/v1/agent/download "$WORK/balctl-agent" || die "cannot download the agent from $API_BASE"
    fi
    chmod 755 "$WORK/balctl-agent"
    "$WORK/balctl-agent" --version >/dev/null 2>&1 || die "the downloaded agent does not run on this host (missing libraries?)"
    fetch /api/v1/agent/balctl-heartbeat.service "$WORK/unit" || die "cannot download the service unit from $API_BASE"
    # The packaged unit runs /usr/bin/balctl-agent; this installer puts the agent in /usr/local/bin.
    sed 's#/usr/bin/balctl-agent#/usr/local/bin/balctl-agent#' "$WORK/unit" > "$WORK/balctl-heartbeat.service"
    install_file "$WORK/balctl-agent" "$BIN" 755
    install_file "$WORK/balctl-heartbeat.service" "$UNIT" 644
  fi
  run mkdir -p "$STATE_DIR"
  run chmod 700 "$STATE_DIR"

  if [ -f "$CONFIG_DIR/agent.env" ] && [ "$FORCE" = 0 ]; then
    say "$CONFIG_DIR/agent.env exists: this host is already enrolled (use --force to enrol again)"
  else
    set -- --enrol --key "$KEY" --hostname "$HOST" --api-base "$API_BASE" --config-dir "$CONFIG_DIR"
    [ -z "$PIN" ] || set -- "$@" --pin "$PIN"
    [ -z "$CA_CERT" ] || set -- "$@" --ca-cert "$CA_CERT"
    [ "$FORCE" = 0 ] || set -- "$@" --force
    if [ "$DRY_RUN" = 1 ]; then
      say "would enrol: $BIN --enrol --hostname $HOST --api-base $API_BASE --config-dir $CONFIG_DIR"
    else
      "$BIN" "$@" </dev/null || die "enrolment failed (see the message above)"
    fi
  fi

  if [ -n "$ROOT" ]; then
    say "installed below $ROOT; start it with: $BIN --config-dir $CONFIG_DIR --state-dir $STATE_DIR"
  elif [ -d /run/systemd/system ]; then
    run systemctl daemon-reload
    run systemctl enable balctl-heartbeat.service
    run systemctl restart balctl-heartbeat.service
    say "balctl-heartbeat.service is enabled and running"
  else
    say "systemd is not running here; start the agent with: $BIN --config-dir $CONFIG_DIR --state-dir $STATE_DIR"
  fi
}

main "$@"

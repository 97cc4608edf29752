#!/usr/bin/env bash
# Installs the Debian 12 packages balctl needs to build and run; with --demo also HAProxy for the demo
# member of scripts/run.sh; with --test also the real servers the test suite and benchmarks start (HAProxy,
# nginx, ...). Safe to run again: installed packages are skipped.
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libcurl4-openssl-dev libsodium-dev libspdlog-dev libfmt-dev libcli11-dev
  libldns-dev libsystemd-dev libzstd-dev libarchive-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
RUN_PACKAGES=(curl openssl sqlite3 python3 procps)
DEMO_PACKAGES=(haproxy)
# Real servers the integration tests start on 127.0.0.1 (their package scripts must not start them).
# clang-14 + libclang-rt-14-dev: the ASan/UBSan build and the fuzz targets (libFuzzer's runtime is in
# libclang-rt-14-dev; libfuzzer-14-dev is only the standalone libFuzzer.a, not needed); llvm-14 brings
# llvm-symbolizer for readable sanitizer reports.
TEST_PACKAGES=(haproxy nginx socat iproute2 bind9 bind9-utils dnsutils knot knot-dnsutils pdns-server
  pdns-backend-sqlite3 python3-aiosmtpd python3-dnspython python3-jsonschema
  clang-14 libclang-rt-14-dev llvm-14)

want_tests=0
want_demo=0
for arg in "$@"; do
  case "$arg" in
    --test) want_tests=1 ;;
    --demo) want_demo=1 ;;
    -h|--help) echo "usage: $0 [--demo] [--test]"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (usage: $0 [--demo] [--test])" >&2; exit 2 ;;
  esac
done

if [[ $(id -u) -ne 0 ]]; then
  echo "setup.sh: run as root (it installs Debian packages with apt-get)" >&2
  exit 1
fi
if ! grep -q '^VERSION_ID="12"' /etc/os-release 2>/dev/null; then
  echo "setup.sh: warning: this is not Debian 12; package names may differ" >&2
fi

packages=("${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}")
(( want_demo )) && packages+=("${DEMO_PACKAGES[@]}")
(( want_tests )) && packages+=("${TEST_PACKAGES[@]}")

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if (( ${#missing[@]} == 0 )); then
  echo "setup.sh: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Test servers (nginx, haproxy, ...) are started by the tests themselves on loopback; do not let the
# package scripts start system-wide daemons on ports 80/443 while installing them.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  created_policy=1
fi
cleanup() { (( created_policy )) && rm -f "$policy"; return 0; }
trap cleanup EXIT

apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

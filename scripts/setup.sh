#!/usr/bin/env bash
# Installs what Ruche needs on Debian 12, and nothing when it is all there.
#
#   scripts/setup.sh run    the build dependencies (for `make run`)
#   scripts/setup.sh test   those, plus cmocka, Chromium, clang with
#                           libFuzzer and the npm test packages (for
#                           `make test`)
#   scripts/setup.sh bench  those of test, plus InspIRCd, the benchmark's
#                           peer, and libev with lws's libev plugin, the
#                           event loop Ruche uses when it finds them (for
#                           `make bench` and `make bench-quick`)
#
# Idempotent and quiet: it prints only when it installs something.
set -euo pipefail

mode=${1:-test}
root=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs=(cmake make gcc pkg-config libwebsockets-dev libsqlite3-dev libpq-dev
            libhiredis-dev
            libjansson-dev libssl-dev)
# clang and its libFuzzer runtime build the fuzz targets (tests/fuzz).
test_pkgs=(libcmocka-dev chromium sqlite3 postgresql redis-server
           fonts-noto-color-emoji clang
           libclang-rt-14-dev)
bench_pkgs=(inspircd libev-dev libwebsockets-evlib-ev)

pkgs=("${build_pkgs[@]}")
[ "$mode" = test ] || [ "$mode" = bench ] && pkgs+=("${test_pkgs[@]}")
[ "$mode" = bench ] && pkgs+=("${bench_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$mode" = test ] || [ "$mode" = bench ]; then
  command -v node >/dev/null || { echo "setup: node is required" >&2; exit 1; }
  stamp="$root/tests/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$root/tests/package-lock.json" -nt "$stamp" ]; then
    echo "setup: installing the npm test packages"
    (cd "$root/tests" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi

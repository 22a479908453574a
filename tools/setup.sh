#!/usr/bin/env bash
# Installs the Debian packages mcpsim needs, only those missing. Idempotent, no prompts.
# Usage: tools/setup.sh            (called by both README commands and .ci/run)
set -euo pipefail
pkgs=(cmake ninja-build g++ clang libclang-rt-14-dev ccache pkg-config
      libboost-dev librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev
      libsqlite3-dev sqlite3 libspdlog-dev nlohmann-json3-dev libyaml-cpp-dev
      libcli11-dev libsodium-dev libgsm1-dev libssl-dev libxml2-utils
      python3 python3-jsonschema zlib1g-dev libpng-dev
      libpq-dev postgresql)
# postgresql: tools/pg-cluster.sh starts throwaway clusters for the PostgreSQL
# store tests (nothing assumes a running server; the packaged one stays down).
# tshark is optional (pcap checks); installed when available, never required.
optional=(tshark)
missing=()
for p in "${pkgs[@]}" "${optional[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2
for p in "${optional[@]}"; do
  $SUDO apt-get install -y -qq --no-install-recommends "$p" >&2 || echo "setup: optional $p not installed" >&2
done

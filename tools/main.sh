#!/usr/bin/env bash
# The README's main-job command: installs what is missing, builds (Release)
# and runs mcpsim's main job on its embedded defaults: the whole scenario
# library on a few seeds each, then the conformance suite against the
# embedded reference server (`mcpsim serve`, spawned on loopback), writing
# HTML reports for both.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
# Only the program: the test binaries are built by tools/test.sh.
tools/build.sh release mcpsim
bin=build/release/tools/mcpsim
out=${MCPSIM_REPORT_DIR:-mcpsim-report}
"$bin" --version
"$bin" run scenarios/library --seeds 1..3 --out "$out/scenarios"
# Two fresh pre-shared keys for the encrypted-UDP listener (PROTOCOL.md §6.5,
# ENC-2): with two key ids, enc.cache.per_key judges that each key is its own
# sender (G-87).
mkdir -p "$out"
keys="$out/udps-keys.txt"
{
  printf '1 %s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf '2 %s\n' "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
} > "$keys"
"$bin" conform --launch "$bin serve --udp 127.0.0.1:0 --udps 127.0.0.1:0 --key-file $keys --tcp 127.0.0.1:0 \
  --http 127.0.0.1:0 --db :memory:" --out "$out/conformance"
echo "main: scenario report in $(realpath "$out/scenarios/index.html")"
echo "main: conformance report in $(realpath "$out/conformance/index.html")"

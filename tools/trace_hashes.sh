#!/usr/bin/env bash
# Prints the trace hash of every scenario in scenarios/library and scenarios/regressions on
# seeds 1..3, one line `<file> <seed> <hash>`, sorted: a behaviour-preserving change (a refactor)
# must print the identical file before and after.
# Usage: tools/trace_hashes.sh [--swarm] [--seeds A..B] [MCPSIM]
#   MCPSIM   the binary (default build/release/tools/mcpsim)
#   --swarm  run each seed with the swarm's fault mix (crashes, restarts, disk faults, fault points)
#   --seeds  another inclusive seed range (default 1..3)
# A run that prints no trace-hash line (a usage or file error) prints `none:<exit status>`;
# a failing run still has a hash and prints it. Exit 0, or 2 on a usage error.
set -euo pipefail
cd "$(dirname "$0")/.."
swarm=()
seeds=1..3
bin=build/release/tools/mcpsim
while [ $# -gt 0 ]; do
  case "$1" in
    --swarm) swarm=(--swarm); shift ;;
    --seeds) seeds=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "trace_hashes.sh: unknown option $1" >&2; exit 2 ;;
    *) bin=$1; shift ;;
  esac
done
if [[ ! "$seeds" =~ ^([0-9]+)\.\.([0-9]+)$ ]]; then
  echo "trace_hashes.sh: --seeds wants A..B" >&2; exit 2
fi
first=${BASH_REMATCH[1]} last=${BASH_REMATCH[2]}
[ -x "$bin" ] || { echo "trace_hashes.sh: no binary at $bin" >&2; exit 2; }
for file in $(find scenarios/library scenarios/regressions -name '*.yaml' | LC_ALL=C sort); do
  for ((seed = first; seed <= last; seed++)); do
    status=0
    out=$("$bin" run "$file" --seed "$seed" "${swarm[@]}" 2>/dev/null) || status=$?
    hash=$(printf '%s\n' "$out" | sed -n 's/^trace-hash: //p' | tail -1)
    echo "$file $seed ${hash:-none:$status}"
  done
done | LC_ALL=C sort

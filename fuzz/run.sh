#!/usr/bin/env bash
# Usage: fuzz/run.sh [SECONDS]   (default 60)
# Builds the libFuzzer targets only (tools/build.sh fuzz -> build/fuzz, clang,
# -fsanitize=fuzzer,address,undefined), copies each seed corpus to a scratch
# directory and runs each target for SECONDS. Exits non-zero if a target
# crashes (the reproducer lands in build/fuzz/artifacts/). Without clang or
# libFuzzer it prints a notice and exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
case "$secs" in ''|*[!0-9]*) echo "usage: fuzz/run.sh [SECONDS]" >&2; exit 2 ;; esac

scratch=$(mktemp -d /tmp/mcpsim-fuzz-XXXXXX)
trap 'rm -rf "$scratch"' EXIT

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found; skipping fuzzing"
  exit 0
fi
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$scratch/probe.cc"
if ! clang++ -fsanitize=fuzzer,address,undefined "$scratch/probe.cc" -o "$scratch/probe" >/dev/null 2>&1; then
  echo "fuzz: clang++ lacks libFuzzer/sanitizer runtimes; skipping fuzzing"
  exit 0
fi

tools/build.sh fuzz
mkdir -p build/fuzz/artifacts
status=0
for target in wire; do
  corpus="$scratch/corpus-$target"
  cp -r "fuzz/corpus/$target" "$corpus"
  echo "fuzz: ${target}_fuzz for ${secs}s"
  if ! "build/fuzz/fuzz/${target}_fuzz" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
       -artifact_prefix="build/fuzz/artifacts/${target}-" "$corpus" 2>"$scratch/$target.log"; then
    tail -n 40 "$scratch/$target.log" >&2
    echo "fuzz: ${target}_fuzz FAILED (artifacts in build/fuzz/artifacts/)" >&2
    status=1
  else
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done' "$scratch/$target.log" || true
  fi
done
exit "$status"

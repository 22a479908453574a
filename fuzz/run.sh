#!/usr/bin/env bash
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (default 90 s, every target)
# Builds the libFuzzer targets only (tools/build.sh fuzz -> build/fuzz, clang,
# -fsanitize=fuzzer,address,undefined), copies each seed corpus to a scratch
# directory and runs the targets one after another, SECONDS in total split
# evenly (at least 5 s each). Prints each target's executions and the total
# (`fuzz: total executions N`). Exits non-zero if a target crashes (the
# reproducer lands in build/fuzz/artifacts/). Without clang or libFuzzer it
# prints a notice and exits 0. Targets: fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-90}
case "$secs" in ''|*[!0-9]*) echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;; esac
shift || true
all="wire stream http1 enc dp rs sg cs ms scenario faultspec"
targets=${*:-$all}
n=0
for t in $targets; do n=$((n + 1)); done
each=$((secs / n))
[ "$each" -lt 5 ] && each=5

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

flavour=${MCPSIM_FUZZ_FLAVOUR:-fuzz}
case "$flavour" in fuzz|san) ;; *) echo "fuzz: MCPSIM_FUZZ_FLAVOUR must be fuzz or san" >&2; exit 2 ;; esac
if [ "$flavour" = san ]; then tools/build.sh san fuzz_all; else tools/build.sh fuzz; fi
out="build/$flavour"
mkdir -p "$out/artifacts"
status=0
total=0
for target in $targets; do
  corpus="$scratch/corpus-$target"
  mkdir -p "$corpus"
  if [ -d "fuzz/corpus/$target" ]; then cp -r "fuzz/corpus/$target/." "$corpus/"; fi
  echo "fuzz: ${target}_fuzz for ${each}s"
  if ! "$out/fuzz/${target}_fuzz" -max_total_time="$each" -timeout=10 -rss_limit_mb=1024 \
       -print_final_stats=1 -artifact_prefix="$out/artifacts/${target}-" "$corpus" \
       2>"$scratch/$target.log"; then
    tail -n 40 "$scratch/$target.log" >&2
    echo "fuzz: ${target}_fuzz FAILED (artifacts in $out/artifacts/)" >&2
    status=1
  else
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done' "$scratch/$target.log" || true
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$target.log" | tail -1)
    total=$((total + ${execs:-0}))
  fi
done
echo "fuzz: total executions $total"
exit "$status"

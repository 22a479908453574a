#!/usr/bin/env bash
# Configures and builds one flavour of mcpsim.
# Usage: tools/build.sh [release|debug|asan|fuzz|san] [TARGET...]   (default: everything;
# `unit_tests` = only the executables of `unit`-labelled tests)
#   asan  GCC, AddressSanitizer + UBSan, the test suite
#   fuzz  clang, the libFuzzer targets only (`fuzz_all`)
#   san   clang, ASan + UBSan with libFuzzer coverage: the unit tests and the
#         fuzz targets from ONE compile of the libraries (what CI runs;
#         default targets `unit_tests fuzz_all`)
# Output goes to build/<flavour>/ (the binary: build/<flavour>/tools/mcpsim).
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
case "$flavour" in
  release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
  debug)   args=(-DCMAKE_BUILD_TYPE=Debug) ;;
  # GCC 12 reports -Wmaybe-uninitialized false positives inside libstdc++ at
  # -O2 with sanitizers; keep them visible but not fatal in this flavour only.
  # Sanitizer flavours compile at -O1 with line tables only (what the ASan
  # docs recommend: usable stack traces, ~2x faster to build than -O2 -g,
  # which matters on CI's 2 cores).
  asan)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCPSIM_SANITIZE=ON
                 "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
                 "-DCMAKE_CXX_FLAGS=-Wno-error=maybe-uninitialized") ;;
  fuzz)    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCPSIM_FUZZ=ON -DMCPSIM_TESTS=OFF
                 "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
                 -DCMAKE_CXX_COMPILER=clang++) ;;
  san)     args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMCPSIM_SANITIZE=ON -DMCPSIM_FUZZ=ON
                 "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
                 -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: tools/build.sh [release|debug|asan|fuzz|san]" >&2; exit 2 ;;
esac
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "build/$flavour" -G Ninja "${args[@]}" >/dev/null
if [ "$flavour" = fuzz ]; then
  # Only the libFuzzer targets (fuzz/CMakeLists.txt); the rest is built elsewhere.
  cmake --build "build/$flavour" -j "$jobs" --target fuzz_all
elif [ "$flavour" = san ] && [ $# -le 1 ]; then
  cmake --build "build/$flavour" -j "$jobs" --target unit_tests fuzz_all
elif [ $# -gt 1 ]; then
  shift
  cmake --build "build/$flavour" -j "$jobs" --target "$@"
else
  cmake --build "build/$flavour" -j "$jobs"
fi

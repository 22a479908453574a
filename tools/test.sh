#!/usr/bin/env bash
# The README's test command: installs what is missing, builds (Release) and
# runs the whole suite through ctest, ending with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh release
cd build/release
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)"

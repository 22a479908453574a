#!/usr/bin/env bash
# The README's main-job command: installs what is missing, builds (Release)
# and runs mcpsim's main job on its embedded defaults: the whole scenario
# library on a few seeds each, writing an HTML summary.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh release
bin=build/release/tools/mcpsim
out=${MCPSIM_REPORT_DIR:-mcpsim-report}
"$bin" --version
"$bin" run scenarios/library --seeds 1..3 --out "$out/scenarios"
echo "main: scenario report in $out/scenarios/index.html"

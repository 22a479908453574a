#!/usr/bin/env bash
# The README's main-job command: installs what is missing, builds (Release) and
# runs mcpsim's main job on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh release
bin=build/release/tools/mcpsim
"$bin" --version
"$bin" --help

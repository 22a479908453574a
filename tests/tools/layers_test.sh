#!/usr/bin/env bash
# The architecture rules a grep can check (README "Layout"; ctest Layers.*):
#   ARCH-1  Boost.Asio is included only under net/ (and tests/net/, which tests it).
#   ARCH-2  reference/ knows no simulator, driver or harness: it includes only
#           core/, wire/ and reference/ headers of this project.
#   ARCH-3  sim/ is protocol-agnostic: it includes only core/ and sim/.
#   ARCH-4  reference/ and sim/ never read a clock, start a thread or draw
#           unseeded randomness (time and randomness come from the caller/Env).
#   ARCH-5  the README layout table's "links" column names exactly the project
#           libraries of each folder's target_link_libraries(mcpsim_<folder> ...).
#   ARCH-6  errors are values in reference/ sim/ host/ scenarios/: no `throw`.
# Prints every offending line as `ARCH-N file:line: text` and exits 1 if any.
set -uo pipefail
cd "${1:-$(dirname "$0")/../..}"
bad=0
report() {  # $1 = rule, stdin = grep -n output
  while IFS= read -r line; do echo "$1 $line"; bad=1; done
}
src() { find "$@" -type f \( -name '*.cc' -o -name '*.h' \) 2>/dev/null; }

report ARCH-1 < <(src core reference sim host scenarios conformance reports tools interpose wire |
  xargs -r grep -n -E '#include[[:space:]]*[<"]boost/(asio|beast)')
report ARCH-2 < <(src reference |
  xargs -r grep -n -E '#include[[:space:]]*"[a-z_]+/' | grep -v -E '#include[[:space:]]*"(core|wire|reference)/')
report ARCH-3 < <(src sim |
  xargs -r grep -n -E '#include[[:space:]]*"[a-z_]+/' | grep -v -E '#include[[:space:]]*"(core|sim)/')
report ARCH-4 < <(src reference sim |
  xargs -r grep -n -E 'steady_clock|system_clock|high_resolution_clock|std::thread|std::random_device|gettimeofday|clock_gettime|[^a-z_]time\(|[^a-z_]rand\(' |
  grep -v -E '^[^:]+:[0-9]+:[[:space:]]*//')
# ARCH-5: README row "| `X/` | ... | a, b, c | ... |" against CMake's mcpsim_* links of mcpsim_X.
for dir in core reference sim host net interpose scenarios conformance reports; do
  cmake_links=$(awk -v t="target_link_libraries(mcpsim_$dir " 'index($0, t) { on = 1 } on { print; if (index($0, ")")) on = 0 }' \
                  "$dir/CMakeLists.txt" | grep -o -E 'mcpsim_[a-z]+' | grep -v -x "mcpsim_$dir" | sed 's/^mcpsim_//' | sort -u | tr '\n' ' ')
  readme_links=$(grep -E "^\| \`$dir/\` \|" README.md | awk -F'|' '{ print $4 }' | sed -E 's/\([^)]*\)//g; s/std only//' |
                   tr ',' '\n' | tr -d ' ' | grep -v '^$' | sort -u | tr '\n' ' ')
  if [ "$cmake_links" != "$readme_links" ]; then
    echo "ARCH-5 README.md layout row $dir/: links '$readme_links' but $dir/CMakeLists.txt links '$cmake_links'"
    bad=1
  fi
done
report ARCH-6 < <(src reference sim host scenarios | xargs -r grep -n -w 'throw' | grep -v -E '^[^:]+:[0-9]+:[[:space:]]*//')
if [ "$bad" = 0 ]; then echo "layers: OK (ARCH-1..6)"; fi
exit "$bad"

#!/usr/bin/env bash
# The Debian package end to end (ctest label `package`): builds
# mcpsim_<version>_<arch>.deb with CPack from the build folder, checks its
# metadata and files, installs it with `apt-get install ./mcpsim_….deb`, runs
# the installed `mcpsim --version`, one scenario of the installed library and
# a one-case conformance run (PROTOCOL.md found under /usr/share/mcpsim), then
# removes the package again if it was not installed before.
# Usage: package_test.sh BUILD_DIR VERSION. Skips (exit 77) without root or apt-get.
set -euo pipefail
build=$1
version=$2
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null || ! command -v dpkg-shlibdeps >/dev/null; then
  echo "package test skipped: needs root, apt-get and dpkg-dev" >&2
  exit 77
fi
work=$(mktemp -d /tmp/mcpsim-package-XXXXXX)
was_installed=0
# Installed means "install ok installed": a removed package whose config files
# remain ("deinstall ok config-files") must not count, or the test would leave
# its own install behind (and its Wireshark plugin clashes with the dissector
# tests' copy).
installed() { [ "$(dpkg-query -W -f='${Status}' mcpsim 2>/dev/null)" = "install ok installed" ]; }
installed && was_installed=1
cleanup() {
  if [ "$was_installed" = 0 ] && installed; then
    apt-get purge -y -qq -o DPkg::Lock::Timeout=120 mcpsim >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" >cpack.log 2>&1) || {
  cat "$work/cpack.log" >&2; exit 1; }
deb=$(ls "$work"/mcpsim_"$version"_*.deb)
echo "built $(basename "$deb")"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libsqlite3 libsodium libspdlog libyaml-cpp libgsm libssl libstdc++6 libc6; do
  case "$depends" in *"$lib"*) ;; *) echo "FAIL: Depends lacks $lib" >&2; exit 1 ;; esac
done
files=$(dpkg-deb -c "$deb")
for f in ./usr/bin/mcpsim ./usr/share/mcpsim/PROTOCOL.md ./usr/share/mcpsim/report.schema.json \
         ./usr/share/mcpsim/scenarios/library/register-ok.yaml ./usr/share/mcpsim/wireshark/mcp.lua \
         ./usr/share/doc/mcpsim/README.md; do
  grep -q " $f\$" <<<"$files" || { echo "FAIL: $f not in the package" >&2; exit 1; }
done
grep -q '/wireshark/plugins/mcp.lua$' <<<"$files" || { echo "FAIL: no Wireshark plugin path" >&2; exit 1; }

DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=120 "$deb" >"$work/apt.log" 2>&1 || {
  cat "$work/apt.log" >&2; exit 1; }
/usr/bin/mcpsim --version | tee "$work/version"
grep -q "^mcpsim $version (commit " "$work/version"
cd "$work"
/usr/bin/mcpsim run /usr/share/mcpsim/scenarios/library/register-ok.yaml --seed 3 | tee run.txt
grep -q '^PASS register-ok seed=3' run.txt
grep -q '^trace-hash: ' run.txt
/usr/bin/mcpsim conform --cases cs.rup.ok --launch '/usr/bin/mcpsim serve --udp 127.0.0.1:0 --db :memory:' \
  --out "$work/conf" | tail -1
python3 - "$work/conf/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["counts"] == {"OK": 1}, r["counts"]
assert len(r["clauses"]) > 100, "PROTOCOL.md not found by the installed mcpsim"
PY
echo "package test: OK"

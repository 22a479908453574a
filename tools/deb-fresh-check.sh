#!/usr/bin/env bash
# The .deb on a FRESH Debian 12: builds mcpsim_<version>_<arch>.deb with CPack
# from a Release build folder, bootstraps a minimal bookworm root with
# debootstrap (nothing of this machine's packages in it), installs the .deb
# there with apt-get (which must pull every dependency from the archive), and
# runs the installed binary: --version, one library scenario, a conformance
# case against the installed `mcpsim serve`. Manual (needs root, network to
# the Debian archive and ~5 minutes); not part of ctest or CI.
# Usage: tools/deb-fresh-check.sh [BUILD_DIR] [MIRROR]
#   BUILD_DIR default build/release; MIRROR default http://deb.debian.org/debian
# Exit: 0 the package installs and runs; 1 it does not; 2 cannot set up.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
mirror=${2:-http://deb.debian.org/debian}
if [ "$(id -u)" -ne 0 ]; then echo "deb-fresh-check: needs root (debootstrap, chroot)" >&2; exit 2; fi
command -v debootstrap >/dev/null || { echo "deb-fresh-check: apt-get install debootstrap" >&2; exit 2; }
[ -f "$build/CPackConfig.cmake" ] || { echo "deb-fresh-check: no $build/CPackConfig.cmake (tools/build.sh release)" >&2; exit 2; }
build=$(realpath "$build")
work=$(mktemp -d /tmp/mcpsim-fresh-XXXXXX)
root=$work/root
cleanup() {
  for m in proc dev/pts dev sys; do umount -l "$root/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" >cpack.log 2>&1) || {
  cat "$work/cpack.log" >&2; exit 2; }
deb=$(ls "$work"/mcpsim_*.deb)
echo "deb-fresh-check: built $(basename "$deb")"
echo "deb-fresh-check: bootstrapping a minimal bookworm in $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2; exit 2; }
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t sysfs sys "$root/sys"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive "$@"; }
in_root apt-get update -qq >/dev/null
echo "deb-fresh-check: packages in the fresh root before: $(in_root dpkg -l | grep -c '^ii')"
in_root apt-get install -y -qq "/tmp/$(basename "$deb")" >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; exit 1; }
echo "deb-fresh-check: packages after installing mcpsim: $(in_root dpkg -l | grep -c '^ii')"
fail=0
in_root /usr/bin/mcpsim --version || fail=1
in_root sh -c 'cd /tmp && /usr/bin/mcpsim run /usr/share/mcpsim/scenarios/library/register-ok.yaml --seed 3' \
  | tee "$work/run.txt" || fail=1
grep -q '^PASS register-ok seed=3' "$work/run.txt" || fail=1
in_root sh -c "cd /tmp && /usr/bin/mcpsim conform --cases 'cs.*,dp.*' --launch '/usr/bin/mcpsim serve --udp 127.0.0.1:0 --http 127.0.0.1:0 --db :memory:' --out /tmp/conf" \
  | tail -3 || fail=1
[ -s "$root/tmp/conf/report.json" ] || fail=1
if [ "$fail" = 0 ]; then echo "deb-fresh-check: OK"; else echo "deb-fresh-check: FAILED" >&2; fi
exit "$fail"

#!/usr/bin/env bash
# The Windows downloads, made on Linux (docs/windows.md):
#
#   target/windows/fanout-VERSION-setup.exe           per-user installer (NSIS)
#   target/windows/fanout-VERSION-windows-x86_64.zip  the exe and the licences,
#                                                     runs from its folder
#
# Builds the release fanout.exe for x86_64-pc-windows-gnu with mingw-w64
# (or takes FANOUT_EXE), packs the icon from assets/icons (windows/ico.py),
# and the setup with Debian's makensis (packaging/windows/fanout.nsi says
# what it installs). Needs: rustup target add x86_64-pc-windows-gnu;
# apt-get install mingw-w64 nsis.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target=x86_64-pc-windows-gnu
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
[ -n "$version" ] || { echo "packaging/windows.sh: no version in Cargo.toml" >&2; exit 1; }

exe=${FANOUT_EXE:-}
if [ -z "$exe" ]; then
  exe=$(cargo build --release --target $target --bin fanout --message-format=json |
    sed -n 's/.*"executable":"\([^"]*fanout\.exe\)".*/\1/p' | tail -1)
fi
[ -f "$exe" ] || { echo "packaging/windows.sh: no fanout.exe ($exe)" >&2; exit 1; }
exe=$(realpath "$exe")

out=$root/target/windows
mkdir -p "$out"
python3 packaging/windows/ico.py "$out/fanout.ico" assets/icons/16.png assets/icons/24.png \
  assets/icons/32.png assets/icons/48.png assets/icons/64.png assets/icons/128.png assets/icon.png

setup=$out/fanout-$version-setup.exe
makensis -V2 -DVERSION="$version" -DEXE="$exe" -DROOT="$root" -DOUT="$setup" \
  packaging/windows/fanout.nsi

name=fanout-$version-windows-x86_64
rm -rf "${out:?}/$name" "$out/$name.zip"
mkdir "$out/$name"
cp "$exe" "$out/$name/fanout.exe"
cp LICENSE-MIT LICENSE-APACHE "$out/$name/"
cp assets/fonts/OFL.txt "$out/$name/OFL.txt"
(cd "$out" && python3 -m zipfile -c "$name.zip" "$name")
rm -rf "${out:?}/$name"
ls -l "$setup" "$out/$name.zip"

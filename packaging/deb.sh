#!/usr/bin/env bash
# Builds fanout's Debian package in one command:
#
#   packaging/deb.sh        ->  target/debian/fanout_<version>-1_<arch>.deb
#
# (the package's path is the last line it prints).
#
# It builds the release binary, has it write the files made from its own
# definitions into target/package/ (the man page and the bash, zsh and fish
# completions from the clap definitions; the desktop entry filled from
# assets/fanout.desktop, the same template `fanout --install-desktop-entry`
# fills), then runs `cargo deb --no-build`, which reads the rest from
# [package.metadata.deb] in Cargo.toml. Extra arguments go to cargo deb
# (e.g. --fast, -o DIR).
#
# Needs cargo-deb (`cargo install --locked cargo-deb`) and dpkg-shlibdeps
# (`apt-get install dpkg-dev`), which computes Depends from what the binary
# links; without it cargo-deb would write a package with no Depends at all.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cargo-deb:"cargo install --locked cargo-deb" dpkg-shlibdeps:"apt-get install dpkg-dev"; do
  if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
    echo "packaging/deb.sh: ${tool%%:*} is not installed (${tool#*:})" >&2
    exit 1
  fi
done

cargo build --release --locked --bin fanout
# The binary just built, wherever CARGO_TARGET_DIR or a cargo config puts it.
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
fanout="$target_dir/release/fanout"

# Always target/package/ in the package's folder: cargo-deb reads every
# asset path but target/release/ relative to Cargo.toml.
out=target/package
rm -rf "$out"
mkdir -p "$out"
"$fanout" man >"$out/fanout.1"
"$fanout" completions bash >"$out/fanout.bash"
"$fanout" completions zsh >"$out/_fanout"
"$fanout" completions fish >"$out/fanout.fish"
"$fanout" desktop-entry >"$out/fanout.desktop"

# cargo-deb prints the path of the package it wrote.
deb=$(cargo deb --no-build --locked "$@" | tail -1)

# cargo-deb only warns when dpkg-shlibdeps fails; a package without
# Depends would install anywhere and then not start.
depends=$(dpkg-deb -f "$deb" Depends)
case "$depends" in
  *libc6*) echo "Depends: $depends" >&2 && echo "$deb" ;;
  *) echo "packaging/deb.sh: $deb has no libc6 in Depends ('$depends')" >&2; exit 1 ;;
esac

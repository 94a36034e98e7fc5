#!/usr/bin/env bash
# Makes the hicolor icon sizes the package installs (assets/icons/N.png) from
# the one master there is, assets/icon.png (256 px), with ImageMagick. Run
# once and commit the result; run again only when the master changes.
# 512 px is the master scaled up (no larger master exists): replace it when
# there is one. -strip: no timestamps, so a rerun changes no bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p assets/icons
for size in 16 24 32 48 64 128 512; do
  convert assets/icon.png -filter Lanczos -resize "${size}x${size}" -strip "PNG32:assets/icons/${size}.png"
done

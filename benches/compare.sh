#!/usr/bin/env bash
# Compare fanout with the note's Python versions, aria2c, curl and wget on the
# shared benchmark kit (../shared/bench). Every run checks every byte.
#
#   benches/compare.sh [album|swarm|big|capped ...]     (default: all four)
#
# Needs: `cargo build --release`, python3 with aiohttp and requests,
# aria2c, curl, wget and nginx (apt-get install -y aria2 nginx-light).
# Quote ratios, not seconds: the machines are shared and noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
kit=${BENCH_KIT:-../shared/bench}
bin=target/release/fanout
[ -x "$bin" ] || cargo build --release

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(album swarm big capped)
for s in "${scenarios[@]}"; do
  case $s in
    album)
      python3 "$kit/run.py" --scenario album \
        --cmd "fanout-sequential=$bin get -e sequential -i {urls} -o {out}" \
        --cmd "fanout-threads=$bin get -e threads -j {workers} -i {urls} -o {out}" \
        --cmd "fanout-async=$bin get -e async -j 64 -i {urls} -o {out}" ;;
    swarm)
      # One request after another over 2000 files is 40 s of waiting alone:
      # the one-thread clients sit this one out, as in the kit's README.
      python3 "$kit/run.py" --scenario swarm --clients py-threads,py-asyncio,aria2c,curl,wget \
        --cmd "fanout-threads=$bin get -e threads -j {workers} -i {urls} -o {out}" \
        --cmd "fanout-async=$bin get -e async -j 64 -i {urls} -o {out}" ;;
    big)
      # Segmented by default (8 connections for a file of 16 MiB or more);
      # -s 1 is the single stream.
      python3 "$kit/run.py" --scenario big --server nginx --clients py-asyncio,aria2c,curl,wget \
        --cmd "fanout-sequential=$bin get -e sequential -i {urls} -o {out}" \
        --cmd "fanout-threads=$bin get -e threads -i {urls} -o {out}" \
        --cmd "fanout-async=$bin get -e async -i {urls} -o {out}" \
        --cmd "fanout-async-s1=$bin get -e async -s 1 -i {urls} -o {out}" ;;
    capped)
      # 20 MB/s per connection: the kit runs aria2c with -x 8 -s 8.
      python3 "$kit/run.py" --scenario capped --server nginx --clients py-threads,aria2c,curl,wget \
        --cmd "fanout-threads-s8=$bin get -e threads -j 8 -s 8 -i {urls} -o {out}" \
        --cmd "fanout-async-s8=$bin get -e async -s 8 -i {urls} -o {out}" ;;
    *) echo "unknown scenario $s (album, swarm, big, capped)" >&2; exit 2 ;;
  esac
done

#!/usr/bin/env bash
# fanout beside curl (and aria2c, the note's Python versions) over HTTPS and
# HTTP/2, and on the plain scenarios, with every pair interleaved
# (curl, fanout, curl, fanout) so that the machine's drift and the ext4
# inode effect (see the README) hit both alike. Every run checks every byte.
#
#   benches/https.sh [OLD_BINARY]
#
# OLD_BINARY (a release build of an earlier commit) adds `old` rows to the
# plain scenarios, to show nothing got slower. Output goes to stdout; the
# README's HTTPS tables are its figures. Takes about 15 minutes.
# Needs what benches/compare.sh needs, and openssl (for the kit's --tls).
set -euo pipefail
cd "$(dirname "$0")/.."
kit=${BENCH_KIT:-../shared/bench}
N=target/release/fanout
[ -x "$N" ] || cargo build --release
O=${1:-}
C='curl -sS -Z --parallel-max {workers} --remote-name-all --output-dir {out} -K {curlcfg}'
C1='curl -sS -o {out}/13052_1.jpg {url}'
A="get -e async -j 64 -i {urls} -o {out}"
old() { [ -n "$O" ] && echo "--cmd" && echo "old-async=$O $1"; }
run() { echo "== $*"; python3 "$kit/run.py" "$@"; echo; }
pair() { echo --cmd "curl=$1" --cmd "fanout=$2" --cmd "curl-2=$1" --cmd "fanout-2=$2"; }

mapfile -t oldA < <(old "$A")
run --scenario album --tls --workers 64 --clients py-asyncio,aria2c --cmd "curl=$C" --cmd "fanout-async=$N $A" --cmd "curl-2=$C" --cmd "fanout-async-2=$N $A"
TMPDIR=/dev/shm run --scenario album --tls --workers 64 --clients none --cmd "curl=$C" --cmd "fanout-async=$N $A" --cmd "curl-2=$C" --cmd "fanout-async-2=$N $A"
run --scenario album --tls --clients py-threads,curl --cmd "fanout-threads=$N get -e threads -j 20 -i {urls} -o {out}" --cmd "fanout-async=$N $A"
for tmp in "" /dev/shm; do
  TMPDIR=${tmp:-${TMPDIR:-/tmp}} run --scenario swarm --tls --clients none --cmd "curl=$C" --cmd "fanout-async=$N $A" --cmd "curl-2=$C" --cmd "fanout-async-2=$N $A"
  TMPDIR=${tmp:-${TMPDIR:-/tmp}} run --scenario swarm --clients none --cmd "curl=$C" --cmd "fanout-async=$N $A" --cmd "curl-2=$C" --cmd "fanout-async-2=$N $A" "${oldA[@]}"
  TMPDIR=${tmp:-${TMPDIR:-/tmp}} run --scenario big --server nginx --tls --clients none --cmd "curl=$C1" \
    --cmd "fanout-async=$N get -e async -i {urls} -o {out}" --cmd "fanout-s1=$N get -e async -s 1 -i {urls} -o {out}" \
    --cmd "curl-2=$C1" --cmd "fanout-async-2=$N get -e async -i {urls} -o {out}" --cmd "fanout-s1-2=$N get -e async -s 1 -i {urls} -o {out}"
done
run --scenario capped --server nginx --tls --clients aria2c,curl \
  --cmd "fanout-async=$N get -e async -s 8 -i {urls} -o {out}" --cmd "fanout-threads=$N get -e threads -j 8 -s 8 -i {urls} -o {out}"
# One small file, the whole process: what a script that calls fanout once
# per file pays.
for tls in --tls ""; do
  run --files 1 --size 1000 --latency 0 --workers 1 --runs 15 $tls --clients none \
    --cmd "curl=$C1" --cmd "fanout=$N get -e async -i {urls} -o {out}" --cmd "curl-2=$C1" --cmd "fanout-2=$N get -e async -i {urls} -o {out}"
done

#!/usr/bin/env python3
"""Throughput against segment count, for the README's chart.

Runs the shared kit's `capped` scenario (one 200 MB file, nginx capping each
connection at 20 MB/s) once per segment count K, timing `fanout get -s K`
(async engine, -j K) and aria2c with -x K -s K (aria2c allows at most 16),
and draws MB/s against K into assets/segments.png. The kit checks every byte.

    python3 benches/segments.py            # from the repository root
    python3 benches/segments.py --runs 3 --counts 1,2,4,8

Needs what ../shared/bench/run.py needs (nginx, aria2c), matplotlib, and a
release build (cargo build --release).
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = os.path.join(ROOT, "..", "shared", "bench", "run.py")
FANOUT = os.path.join(ROOT, "target", "release", "fanout")
SIZE = 200_000_000


def measure(k, runs):
    """Median seconds per client for K segments, as run.py prints them."""
    cmd = [sys.executable, RUN, "--scenario", "capped", "--server", "nginx", "--workers", str(k),
           "--runs", str(runs), "--clients", "aria2c",
           "--cmd", f"fanout=target/release/fanout get -e async -j {k} -s {k} -i {{urls}} -o {{out}}"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    print(out, flush=True)
    times = {}
    for line in out.splitlines():
        m = re.match(r"^(\S+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+\s+[\d.]+$", line)
        if m:
            times[m.group(1)] = float(m.group(2))
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--counts", default="1,2,4,8,16,32")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "assets", "segments.png"))
    args = ap.parse_args()
    if not os.path.exists(FANOUT):
        sys.exit("build first: cargo build --release")
    counts = [int(k) for k in args.counts.split(",")]
    rows = []
    for k in counts:
        t = measure(k, args.runs)
        rows.append((k, t.get("fanout"), t.get("aria2c")))
    print("segments  fanout MB/s  aria2c MB/s")
    for k, f, a in rows:
        fmt = lambda s: f"{SIZE / s / 1e6:11.1f}" if s else "     failed"
        print(f"{k:8}  {fmt(f)}  {fmt(a)}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    ideal = [min(k * 20, 1000) for k in counts]
    ax.plot(counts, ideal, ":", color="grey", label="K x 20 MB/s (the server's cap per connection)")
    for idx, (name, colour) in enumerate([("fanout get -s K", "#1f77b4"), ("aria2c -x K -s K", "#d62728")]):
        xs = [k for k, *t in rows if t[idx]]
        ys = [SIZE / t[idx] / 1e6 for k, *t in rows if t[idx]]
        ax.plot(xs, ys, "o-", color=colour, label=name)
    ax.set_xscale("log", base=2)
    ax.set_xticks(counts, [str(k) for k in counts])
    ax.set_xlabel("connections (segments) for one 200 MB file")
    ax.set_ylabel("throughput, MB/s")
    ax.set_title("capped scenario: nginx at 20 MB/s per connection, loopback")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

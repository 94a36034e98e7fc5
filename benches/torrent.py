#!/usr/bin/env python3
"""How fast fanout leeches a big torrent, against aria2c, from one seeder.

Makes a file of --size MB (random bytes) and a single-file torrent of it
(--piece KiB pieces, made here with hashlib) that names a tracker of this
script's own on 127.0.0.1. One seeder serves it: aria2c (default) or
transmission-daemon (--seeder transmission), with DHT, local discovery and
peer exchange off. Each client then leeches it over interleaved rounds,
each into a fresh folder, finding the seeder at the tracker as a user's
client would:

    fanout get --no-dht -o OUT FILE.torrent
    aria2c --enable-dht=false --bt-enable-lpd=false --enable-peer-exchange=false
           --seed-time=0 -d OUT FILE.torrent

and the output is checked byte for byte (SHA-256). Prints the median wall
seconds, CPU seconds (wait4) and peak RSS (GNU time) of each, and the ratio to aria2c's
median time. Quote ratios, not seconds: the machine is shared and noisy.

Target (the issue's): fanout <= 1.0x aria2c's time, peak RSS < 64 MiB.

    python3 benches/torrent.py target/release/fanout            # 3 rounds, 300 MB
    python3 benches/torrent.py target/release/fanout 5 --size 100 --seeder transmission

Needs aria2c (apt-get install aria2), GNU time (/usr/bin/time), and transmission-daemon and
transmission-remote for --seeder transmission. Everything stays on loopback.
"""
import argparse
import hashlib
import http.server
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse


# ------------------------------------------------------------------ bencode
def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    if isinstance(v, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, x) for k, x in v.items())
        return b"d" + b"".join(bencode(k) + bencode(x) for k, x in items) + b"e"
    raise TypeError(type(v))


def make_torrent(path, piece, tracker):
    pieces = bytearray()
    with open(path, "rb") as f:
        while True:
            block = f.read(piece)
            if not block:
                break
            pieces += hashlib.sha1(block).digest()
    info = {
        "name": os.path.basename(path),
        "length": os.path.getsize(path),
        "piece length": piece,
        "pieces": bytes(pieces),
    }
    torrent = {"announce": tracker, "info": info}
    return bencode(torrent), hashlib.sha1(bencode(info)).digest()


# ------------------------------------------------------------------ tracker
class Swarm:
    def __init__(self):
        self.lock = threading.Lock()
        self.peers = {}  # info_hash -> {port}


def tracker(swarm):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query, keep_blank_values=True,
                                      encoding="latin-1")
            h = q.get("info_hash", [""])[0].encode("latin-1")
            port = int(q.get("port", ["0"])[0])
            event = q.get("event", [""])[0]
            with swarm.lock:
                known = swarm.peers.setdefault(h, set())
                others = [p for p in known if p != port]
                if event == "stopped":
                    known.discard(port)
                elif port:
                    known.add(port)
            compact = b"".join(socket.inet_aton("127.0.0.1") + p.to_bytes(2, "big") for p in others)
            body = bencode({"interval": 5, "min interval": 1, "peers": compact})
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    sys.exit(f"nothing listens on {port}")


# ------------------------------------------------------------------ seeders
QUIET_ARIA2 = ["--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
               "--enable-peer-exchange=false", "--no-conf=true", "--console-log-level=warn",
               "--summary-interval=0"]


def seed_aria2c(tmp, data_dir, torrent):
    port = free_port()
    p = subprocess.Popen(["aria2c", *QUIET_ARIA2, "--check-integrity=true", "--seed-ratio=0.0",
                          f"--listen-port={port}", "-d", data_dir, torrent],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return p, port


def seed_transmission(tmp, data_dir, torrent):
    rpc, peer = free_port(), free_port()
    conf = os.path.join(tmp, "transmission")
    os.makedirs(conf)
    settings = {"dht-enabled": False, "lpd-enabled": False, "pex-enabled": False,
                "utp-enabled": False, "port-forwarding-enabled": False, "encryption": 0,
                "peer-port": peer, "peer-port-random-on-start": False,
                "bind-address-ipv4": "127.0.0.1", "rpc-port": rpc,
                "rpc-authentication-required": False, "rpc-whitelist": "127.0.0.1",
                "ratio-limit-enabled": False, "download-dir": data_dir,
                "speed-limit-up-enabled": False}
    with open(os.path.join(conf, "settings.json"), "w") as f:
        json.dump(settings, f)
    p = subprocess.Popen(["transmission-daemon", "--foreground", "--config-dir", conf],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(rpc)
    remote = ["transmission-remote", f"127.0.0.1:{rpc}"]
    subprocess.run([*remote, "--add", torrent, "--download-dir", data_dir], check=True,
                   stdout=subprocess.DEVNULL)
    deadline = time.time() + 600
    while time.time() < deadline:
        info = subprocess.run([*remote, "-t", "all", "-i"], capture_output=True, text=True).stdout
        if "Percent Done: 100%" in info and ("State: Seeding" in info or "State: Idle" in info):
            return p, peer
        time.sleep(0.5)
    sys.exit("transmission never seeded")


# ------------------------------------------------------------------ runs
def run(cmd, tmp):
    """Wall and CPU seconds (wait4), peak RSS in MiB (GNU time: wait4's
    would count this Python process, which the child starts as a copy of),
    exit code and stderr."""
    rss_file = os.path.join(tmp, "rss")
    started = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file, *cmd],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - started
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    with open(rss_file) as f:
        rss = int(f.read().split()[-1]) / 1024
    return wall, usage.ru_utime + usage.ru_stime, rss, code, err


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("fanout")
    ap.add_argument("rounds", type=int, nargs="?", default=3)
    ap.add_argument("--size", type=int, default=300, help="MB (10^6 bytes)")
    ap.add_argument("--piece", type=int, default=512, help="KiB")
    ap.add_argument("--seeder", choices=["aria2c", "transmission"], default="aria2c")
    args = ap.parse_args()
    fanout = os.path.abspath(args.fanout)
    tmp = tempfile.mkdtemp(prefix="fanout-bt-bench-")
    try:
        data = os.path.join(tmp, "seed")
        os.makedirs(data)
        big = os.path.join(data, "big.bin")
        with open(big, "wb") as f:
            left = args.size * 1_000_000
            while left:
                n = min(left, 1 << 24)
                f.write(os.urandom(n))
                left -= n
        want = sha256(big)
        swarm = Swarm()
        server = tracker(swarm)
        announce = f"http://127.0.0.1:{server.server_address[1]}/announce"
        torrent_bytes, _ = make_torrent(big, args.piece * 1024, announce)
        torrent = os.path.join(tmp, "big.torrent")
        with open(torrent, "wb") as f:
            f.write(torrent_bytes)
        seeder, port = (seed_aria2c if args.seeder == "aria2c" else seed_transmission)(tmp, data, torrent)
        print(f"{args.size} MB, {args.piece} KiB pieces, seeded by {args.seeder} on 127.0.0.1:{port}",
              file=sys.stderr)
        clients = {
            "fanout": lambda out: [fanout, "get", "--no-dht", "-o", out, torrent],
            "aria2c": lambda out: ["aria2c", *QUIET_ARIA2, "--seed-time=0",
                                   f"--listen-port={free_port()}", "-d", out, torrent],
        }
        results = {name: [] for name in clients}
        try:
            for r in range(args.rounds):
                for name, cmd in clients.items():
                    out = os.path.join(tmp, f"{name}-{r}")
                    os.makedirs(out)
                    wall, cpu, rss, code, err = run(cmd(out), tmp)
                    got = os.path.join(out, "big.bin")
                    ok = code == 0 and os.path.exists(got) and sha256(got) == want
                    print(f"round {r + 1} {name:7} {wall:7.2f} s  cpu {cpu:6.2f} s  "
                          f"rss {rss:6.1f} MiB  {'ok' if ok else 'FAIL ' + err[-300:]}", file=sys.stderr)
                    results[name].append((wall, cpu, rss, ok))
                    shutil.rmtree(out, ignore_errors=True)
        finally:
            seeder.terminate()
            seeder.wait()
            server.shutdown()
        base = statistics.median(w for w, _, _, _ in results["aria2c"])
        print(f"\n{args.size} MB torrent, one {args.seeder} seeder on loopback, "
              f"median of {args.rounds} interleaved rounds\n")
        print("| leecher | wall | CPU | peak RSS | vs aria2c |")
        print("|---|---|---|---|---|")
        for name, runs in results.items():
            wall = statistics.median(w for w, _, _, _ in runs)
            cpu = statistics.median(c for _, c, _, _ in runs)
            rss = max(m for _, _, m, _ in runs)
            fails = sum(1 for *_, ok in runs if not ok)
            note = f" ({fails} FAILED)" if fails else ""
            print(f"| {name} | {wall:.2f} s | {cpu:.2f} s | {rss:.0f} MiB | {wall / base:.2f}x{note} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

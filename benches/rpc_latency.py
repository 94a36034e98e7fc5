#!/usr/bin/env python3
# The real window under Xvfb: idle memory with and without the RPC server,
# and the time from aria2.addUri to its answer (the row exists by then),
# with the real eframe loop.
import json, os, subprocess, sys, tempfile, time, urllib.request, statistics

BIN = sys.argv[1]
def rss(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])  # KiB

def run(enabled, port):
    home = tempfile.mkdtemp()
    cfg = os.path.join(home, "config", "fanout"); os.makedirs(cfg)
    json.dump({"download_dir": os.path.join(home, "dl"), "language": "En",
               "rpc": {"enabled": enabled, "port": port}}, open(os.path.join(cfg, "settings.json"), "w"))
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"), XDG_RUNTIME_DIR=home, DISPLAY=":77")
    env.pop("WAYLAND_DISPLAY", None)
    p = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(8)
    idle = rss(p.pid)
    lat = []
    if enabled:
        secret = json.load(open(os.path.join(cfg, "secrets.json")))["rpc-secret"]
        for i in range(100):
            body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "aria2.addUri",
                               "params": ["token:" + secret, [f"http://127.0.0.1:9/{i}.bin"], {"pause": "true"}]}).encode()
            t = time.perf_counter()
            r = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/jsonrpc", body))
            json.load(r)
            lat.append((time.perf_counter() - t) * 1000)
    p.terminate(); p.wait()
    return idle, lat

for rnd in range(2):
    off, _ = run(False, 16899)
    on, lat = run(True, 16899)
    lat.sort()
    print(f"idle RSS: RPC off {off/1024:.1f} MiB, on {on/1024:.1f} MiB; addUri->row median {statistics.median(lat):.2f} ms, p95 {lat[94]:.2f} ms")

#!/usr/bin/env python3
"""How fast a downloads service answers aria2's RPC: `fanout serve` (no
window), the window (shown, and started hidden) and `aria2c --enable-rpc`,
on loopback, with paused downloads so nothing is fetched. Issue 24's
targets: addUri median < 2 ms and p99 < 10 ms; 8 clients x 100 addUri < 1 s;
one multicall of 10,000 addUri < 0.5 s, window shown or hidden.

    Xvfb :77 &      # for the window rows (skipped without DISPLAY)
    DISPLAY=:77 python3 benches/rpc_serve.py target/release/fanout [ROUNDS]
"""
import json, os, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request

BIN = sys.argv[1]
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
SECRET = "bench-secret"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def call(port, secret, method, params, rid=1):
    body = json.dumps({"jsonrpc": "2.0", "id": rid, "method": method,
                       "params": ["token:" + secret] + params}).encode()
    r = urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{port}/jsonrpc", body, {"Content-Type": "application/json"}))
    return json.load(r)


def wait_port(port):
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close(); return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def start_fanout(home, port):
    secret = os.path.join(home, "secret"); open(secret, "w").write(SECRET + "\n")
    env = dict(os.environ, HOME=home, RUST_LOG="off")
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        env.pop(k, None)
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent"
    return subprocess.Popen([BIN, "serve", "--rpc-listen", f"127.0.0.1:{port}", "--rpc-secret-file", secret,
                             "-o", os.path.join(home, "dl")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), SECRET


def start_window(home, port, hidden):
    """The real window on the X display in $DISPLAY, serving RPC on `port`;
    its secret is made at start and kept in its file (no keyring here)."""
    cfg = os.path.join(home, "config", "fanout"); os.makedirs(cfg)
    json.dump({"download_dir": os.path.join(home, "dl"), "language": "En",
               "rpc": {"enabled": True, "port": port}}, open(os.path.join(cfg, "settings.json"), "w"))
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"), XDG_RUNTIME_DIR=home, RUST_LOG="off")
    env.pop("WAYLAND_DISPLAY", None)
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent"
    p = subprocess.Popen([BIN] + (["--hidden"] if hidden else []), env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    secrets = os.path.join(cfg, "secrets.json")
    deadline = time.time() + 20
    while not os.path.exists(secrets) and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    return p, json.load(open(secrets))["rpc-secret"]


def start_aria2c(home, port):
    return subprocess.Popen(["aria2c", "--enable-rpc", f"--rpc-listen-port={port}", f"--rpc-secret={SECRET}",
                             "--no-conf", "-d", os.path.join(home, "dl"), "--max-download-result=100000",
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), SECRET


def measure(start, name):
    home = tempfile.mkdtemp()
    port = free_port()
    p, secret = start(home, port)
    try:
        wait_port(port)
        url = lambda i: f"http://127.0.0.1:9/{name}/{i}.bin"
        lat = []
        for i in range(200):
            t = time.perf_counter()
            call(port, secret, "aria2.addUri", [[url(i)], {"pause": "true"}], i)
            lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        t = time.perf_counter()
        def client(c):
            for i in range(100):
                call(port, secret, "aria2.addUri", [[url(1000 + c * 100 + i)], {"pause": "true"}])
        ts = [threading.Thread(target=client, args=(c,)) for c in range(8)]
        [x.start() for x in ts]; [x.join() for x in ts]
        eight = time.perf_counter() - t
        calls = [{"methodName": "aria2.addUri", "params": ["token:" + secret, [url(5000 + i)], {"pause": "true"}]}
                 for i in range(10000)]
        body = json.dumps({"jsonrpc": "2.0", "id": "m", "method": "system.multicall", "params": [calls]}).encode()
        t = time.perf_counter()
        r = json.load(urllib.request.urlopen(urllib.request.Request(
            f"http://127.0.0.1:{port}/jsonrpc", body, {"Content-Type": "application/json"})))
        multi = time.perf_counter() - t
        assert len(r["result"]) == 10000, r
        return lat[len(lat) // 2], lat[int(len(lat) * 0.99) - 1], eight, multi
    finally:
        p.terminate(); p.wait(); shutil.rmtree(home, ignore_errors=True)


print("| service | addUri median | addUri p99 | 8 clients x 100 | multicall of 10,000 |")
print("|---|---|---|---|---|")
faces = [("fanout serve", start_fanout)]
if os.environ.get("DISPLAY"):
    faces += [("fanout window, shown", lambda h, p: start_window(h, p, False)),
              ("fanout window, hidden", lambda h, p: start_window(h, p, True))]
if shutil.which("aria2c"):
    faces.append(("aria2c", start_aria2c))
for _ in range(ROUNDS):
    for name, start in faces:
        med, p99, eight, multi = measure(start, name.split()[0])
        print(f"| {name} | {med:.2f} ms | {p99:.2f} ms | {eight:.2f} s | {multi:.2f} s |", flush=True)

#!/usr/bin/env python3
"""How fast fanout downloads an HLS stream, against yt-dlp and ffmpeg.

Makes one real stream with ffmpeg (testsrc2 video + sine audio, x264/aac,
HLS-TS in 2-second segments, VOD, AES-128 with no IV= so each segment's IV is
its media sequence number, or --iv for one fixed IV) plus a master playlist
with one variant, and serves it from a threaded HTTP/1.1 server in this
process on 127.0.0.1 that waits --latency ms before every answer and counts
the segment (.ts) requests in flight. Then times each client over interleaved
rounds, each into a fresh folder: median wall seconds, CPU seconds (wait4),
peak RSS (GNU time), the most segment requests in flight at once.
fanout's file must equal the decrypted segments joined in order, byte for
byte; yt-dlp's and ffmpeg's (they remux) must last as long as the source
within 0.5 s (ffprobe). A client whose output is wrong shows FAIL.
Quote ratios, not seconds: the machine is shared and noisy.

Targets (the issue's): fanout <= 0.4x ffmpeg's time and <= 0.3x yt-dlp's;
-j 8 never has more than 8 segment requests in flight, -e sequential 1.

    python3 benches/streams.py target/release/fanout            # 3 rounds
    python3 benches/streams.py target/release/fanout 5 --with-seq --master
    python3 benches/streams.py target/release/fanout --latency 100 --seconds 48 --iv

Needs ffmpeg/ffprobe (apt-get install ffmpeg), yt-dlp with pycryptodomex (pip
install yt-dlp pycryptodomex: without it yt-dlp hands AES-128 streams to ffmpeg,
one segment at a time, whatever -N says), GNU time (/usr/bin/time) for peak RSS,
and python3's `cryptography` (else the openssl CLI) to decrypt the reference.
Everything stays on loopback.
"""
import argparse
import contextlib
import http.server
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

KEY = bytes(range(0x10, 0x20))        # the AES-128 key, fixed so runs are comparable
FIXED_IV = bytes(range(0xa0, 0xb0))   # used only with --iv
SEGMENT_SECONDS = 2
JOBS = 8


# ---------------------------------------------------------------- the stream

def make_stream(root, seconds, size, fixed_iv):
    """Encode the test stream into root: media.m3u8, seg000.ts..., key.bin, master.m3u8."""
    with open(os.path.join(root, "key.bin"), "wb") as f:
        f.write(KEY)
    # key info file: the key's URI as the playlist names it, the key file, then the IV (optional:
    # without it each segment's IV should be its media sequence number, see iv_by_sequence)
    info = os.path.join(root, "..", "keyinfo")
    with open(info, "w") as f:
        f.write("key.bin\n" + os.path.join(root, "key.bin") + "\n" + (FIXED_IV.hex() + "\n" if fixed_iv else ""))
    fps = 25
    subprocess.run(["ffmpeg", "-v", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", str(seconds), "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
                    # a keyframe every 2 s exactly, so every segment is 2 s long
                    "-g", str(fps * SEGMENT_SECONDS), "-keyint_min", str(fps * SEGMENT_SECONDS),
                    "-sc_threshold", "0", "-c:a", "aac", "-b:a", "96k",
                    "-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod",
                    "-hls_list_size", "0", "-hls_key_info_file", info,
                    "-hls_segment_filename", os.path.join(root, "seg%03d.ts"),
                    os.path.join(root, "media.m3u8")], check=True)
    if not fixed_iv:
        iv_by_sequence(root)
    segs = [n for n in sorted(os.listdir(root)) if n.endswith(".ts")]
    bits = sum(os.path.getsize(os.path.join(root, n)) for n in segs) * 8
    with open(os.path.join(root, "master.m3u8"), "w") as f:
        f.write("#EXTM3U\n#EXT-X-VERSION:3\n"
                f"#EXT-X-STREAM-INF:BANDWIDTH={int(bits / seconds * 1.1)},RESOLUTION={size}\n"
                "media.m3u8\n")


def aes(data, iv, encrypt):
    """AES-128-CBC with PKCS#7 padding under KEY, as HLS's METHOD=AES-128."""
    try:
        from cryptography.hazmat.primitives import padding
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    except ImportError:
        return subprocess.run(["openssl", "enc", "-e" if encrypt else "-d", "-aes-128-cbc", "-K", KEY.hex(),
                               "-iv", iv.hex()], input=data, capture_output=True, check=True).stdout
    c = Cipher(algorithms.AES(KEY), modes.CBC(iv))
    if encrypt:
        p = padding.PKCS7(128).padder()
        e = c.encryptor()
        return e.update(p.update(data) + p.finalize()) + e.finalize()
    d, u = c.decryptor(), padding.PKCS7(128).unpadder()
    return u.update(d.update(data) + d.finalize()) + u.finalize()


def segments(root):
    """(file name, media sequence number, IV) of each segment of media.m3u8, in order; the IV is
    the key's IV= attribute, else the media sequence number as a 16-byte big-endian integer."""
    seq, iv = 0, None
    for line in open(os.path.join(root, "media.m3u8")).read().splitlines():
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            seq = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-KEY:"):
            m = re.search(r"IV=0[xX]([0-9a-fA-F]{32})", line)
            iv = bytes.fromhex(m.group(1)) if m else None
        elif line and not line.startswith("#"):
            yield line, seq, iv or seq.to_bytes(16, "big")
            seq += 1


def iv_by_sequence(root):
    """ffmpeg (5.1 at least), given no IV, encrypts every segment with the first one's media
    sequence number and writes it as IV=; the HLS default (no IV=, each segment's IV its own
    media sequence number) is made here: decrypt, encrypt again, drop IV= from the playlist."""
    for name, seq, iv in list(segments(root)):
        path = os.path.join(root, name)
        plain = aes(open(path, "rb").read(), iv, False)
        with open(path, "wb") as f:
            f.write(aes(plain, seq.to_bytes(16, "big"), True))
    playlist = os.path.join(root, "media.m3u8")
    text = re.sub(r",IV=0[xX][0-9a-fA-F]+", "", open(playlist).read())
    with open(playlist, "w") as f:
        f.write(text)


def expected_bytes(root):
    """The segments decrypted and joined in order (what fanout must write), and how many."""
    parts = [aes(open(os.path.join(root, n), "rb").read(), iv, False) for n, _, iv in segments(root)]
    return b"".join(parts), len(parts)


def probe_seconds(path):
    """The container's duration by ffprobe, or None."""
    p = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                       capture_output=True, text=True)
    try:
        return float(p.stdout.strip())
    except ValueError:
        return None


# ---------------------------------------------------------------- the server

class Stats:
    """Segment requests in flight now, the most at once, and how many were made;
    `with stats:` around each segment's answer."""
    def __init__(self):
        self.lock, self.now, self.peak, self.count = threading.Lock(), 0, 0, 0

    def reset(self):
        with self.lock:
            self.now = self.peak = self.count = 0

    def __enter__(self):
        with self.lock:
            self.now, self.count = self.now + 1, self.count + 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc):
        with self.lock:
            self.now -= 1


def make_handler(root, latency, stats):
    files = {"/" + n: open(os.path.join(root, n), "rb").read() for n in os.listdir(root)}
    types = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"   # keep-alive; every answer carries Content-Length

        def do_HEAD(self):
            self.answer(body=False)

        def do_GET(self):
            self.answer(body=True)

        def answer(self, body):
            path = self.path.split("?", 1)[0]
            with stats if path.endswith(".ts") else contextlib.nullcontext():
                time.sleep(latency)
                data = files.get(path)
                if data is None:
                    return self.reply(404, b"not found\n", body)
                ctype = types.get(os.path.splitext(path)[1], "application/octet-stream")
                # one range, bytes=A- or bytes=A-B; anything else gets the whole file
                m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if m and int(m.group(1)) < len(data):
                    a, b = int(m.group(1)), min(int(m.group(2) or len(data) - 1), len(data) - 1)
                    return self.reply(206, data[a:b + 1], body, ctype, f"bytes {a}-{b}/{len(data)}")
                self.reply(200, data, body, ctype)

        def reply(self, code, data, body, ctype="text/plain", content_range=None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Accept-Ranges", "bytes")
            if content_range:
                self.send_header("Content-Range", content_range)
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


def serve(root, latency, stats):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(root, latency, stats))
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # a client hung up (or was killed) mid-answer
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


# ---------------------------------------------------------------- the clients

def yt_dlp():
    """yt-dlp's own script, not pyenv's shim (whose bash start-up would count against it)."""
    beside = os.path.join(os.path.dirname(sys.executable), "yt-dlp")
    return beside if os.path.exists(beside) else (shutil.which("yt-dlp") or "yt-dlp")


def yt_dlp_decrypts():
    """Whether yt-dlp's own HLS downloader can decrypt AES-128 (it needs pycryptodomex)."""
    script = yt_dlp()
    if not os.path.isfile(script) or open(script, "rb").read(2) != b"#!":
        return True  # not a script: can't tell
    python = open(script).readline()[2:].split()[0]
    return subprocess.run([python, "-c", "import Cryptodome"], capture_output=True).returncode == 0


def clients(fanout, with_seq):
    """name -> (command template, how its output is checked)."""
    c = {"fanout": (f"{fanout} get -e async -j {JOBS} {{url}} -o {{out}}", "bytes")}
    if with_seq:
        c["fanout-seq"] = (f"{fanout} get -e sequential {{url}} -o {{out}}", "bytes")
    # --force-generic-extractor: the URL is a bare playlist; --ignore-config/--no-cache-dir keep
    # the user's files out; --hls-prefer-native: yt-dlp's own fragment downloader (-N in parallel)
    c["yt-dlp"] = (f"{yt_dlp()} --ignore-config --no-cache-dir --force-generic-extractor "
                   f"-N {JOBS} --hls-prefer-native --no-part --no-warnings --quiet "
                   "-o {out}/v.%(ext)s {url}", "duration")
    c["ffmpeg"] = ("ffmpeg -nostdin -v error -y -i {url} -c copy {out}/v.ts", "duration")
    return c


def run_once(template, url, stats, timeout):
    """Run one client into a fresh folder: (wall s, CPU s, peak RSS KiB, peak in flight,
    segment requests, output folder, error text or '')."""
    out = tempfile.mkdtemp(prefix="streams-out-")
    cmd = shlex.split(template.format(url=url, out=out))
    # a child forked from this runner starts with our RSS as its peak, so GNU time (small)
    # starts the client and reports its own peak RSS, as ../shared/bench/run.py does
    rss_file = out + ".rss"
    if os.path.exists("/usr/bin/time"):
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    err = tempfile.TemporaryFile()
    stats.reset()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                         start_new_session=True)
    timer = threading.Timer(timeout, os.killpg, (p.pid, 9))
    timer.start()
    # wait4's rusage counts the child and the children it waited for (time's client, yt-dlp's ffmpeg)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    rss = ru.ru_maxrss  # without GNU time (or if it was killed): floored at this runner's RSS
    with contextlib.suppress(OSError, ValueError, IndexError):
        rss = int(open(rss_file).read().split()[-1])
    with contextlib.suppress(OSError):
        os.remove(rss_file)
    err.seek(0)
    tail = err.read().decode(errors="replace").strip()[-300:]
    why = "" if p.returncode == 0 else f"killed after {timeout:g} s" if wall >= timeout else \
        f"exit {p.returncode}: {tail}"
    return wall, ru.ru_utime + ru.ru_stime, rss, stats.peak, stats.count, out, why


def check(out, kind, expected, seconds):
    """'' when the output in `out` is right, else why not."""
    files = [os.path.join(d, n) for d, _, ns in os.walk(out) for n in ns]
    if not files:
        return "no file written"
    main = max(files, key=os.path.getsize)
    if kind == "bytes":
        if len(files) != 1:
            return f"{len(files)} files written, not one"
        got = open(main, "rb").read()
        if got != expected:
            return f"{os.path.basename(main)}: {len(got)} bytes differ from the expected {len(expected)}"
        return ""
    d = probe_seconds(main)
    if d is None or abs(d - seconds) > 0.5:
        return f"{os.path.basename(main)} lasts {d} s, not {seconds} s"
    return ""


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fanout", help="fanout's binary, e.g. target/release/fanout")
    ap.add_argument("rounds", type=int, nargs="?", default=3, help="interleaved rounds (default 3)")
    ap.add_argument("--seconds", type=int, default=24, help="the stream's length (default 24: 12 segments)")
    ap.add_argument("--size", default="1280x720", help="the video's size (default 1280x720)")
    ap.add_argument("--latency", type=float, default=60, help="ms the server waits before each answer")
    ap.add_argument("--master", action="store_true", help="give the clients master.m3u8, not media.m3u8")
    ap.add_argument("--iv", action="store_true", help="a fixed IV in the playlist (default: none, so "
                    "each segment's IV is its media sequence number)")
    ap.add_argument("--with-seq", action="store_true", help="also time fanout -e sequential")
    ap.add_argument("--clients", help="comma-separated subset of fanout,fanout-seq,yt-dlp,ffmpeg")
    ap.add_argument("--timeout", type=float, default=120, help="kill a client after this many seconds")
    args = ap.parse_args()
    if not (shutil.which("ffmpeg") and shutil.which("ffprobe")):
        sys.exit("streams.py: needs ffmpeg and ffprobe (apt-get install ffmpeg)")

    tmp = tempfile.mkdtemp(prefix="streams-")
    os.mkdir(root := os.path.join(tmp, "www"))
    try:
        t0 = time.perf_counter()
        make_stream(root, args.seconds, args.size, args.iv)
        expected, nseg = expected_bytes(root)
        source = probe_seconds(os.path.join(root, "media.m3u8")) or args.seconds
        print(f"stream: {args.seconds} s of {args.size} testsrc2 + sine, x264/aac, {nseg} HLS-TS segments of "
              f"{SEGMENT_SECONDS} s, AES-128 ({'fixed IV' if args.iv else 'IV = media sequence'}), "
              f"{len(expected) / 2**20:.1f} MiB decrypted, made in {time.perf_counter() - t0:.1f} s")

        stats = Stats()
        server, port = serve(root, args.latency / 1000, stats)
        url = f"http://127.0.0.1:{port}/{'master' if args.master else 'media'}.m3u8"
        todo = clients(os.path.abspath(args.fanout), args.with_seq)
        if args.clients:
            todo = {k: v for k, v in todo.items() if k in args.clients.split(",")}
        if "yt-dlp" in todo and not yt_dlp_decrypts():
            print("note: yt-dlp lacks pycryptodomex, so it hands this stream to ffmpeg (pip install pycryptodomex)")
        print(f"served at {url} with {args.latency:g} ms latency per answer; {args.rounds} interleaved rounds\n")

        runs = {name: [] for name in todo}   # name -> [(wall, cpu, rss KiB, peak, count, error)]
        for _ in range(args.rounds):
            for name, (template, kind) in todo.items():
                wall, cpu, rss, peak, count, out, why = run_once(template, url, stats, args.timeout)
                why = why or check(out, kind, expected, source)
                shutil.rmtree(out, ignore_errors=True)
                runs[name].append((wall, cpu, rss, peak, count, why))
        server.shutdown()

        med = {n: statistics.median(r[0] for r in rs) for n, rs in runs.items()}
        ok = {n: not any(r[5] for r in rs) for n, rs in runs.items()}
        peak = {n: max(r[3] for r in rs) for n, rs in runs.items()}

        def ratio(n, base):
            return f"{med[n] / med[base]:.2f}x" if base in med and ok.get(base) and ok[n] else "-"

        print("| client | median wall s | min–max s | CPU s | peak RSS MiB | max in flight | segment requests "
              "| x ffmpeg | x yt-dlp | check |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for n, rs in runs.items():
            walls = [r[0] for r in rs]
            print(f"| {n} | {med[n]:.3f} | {min(walls):.3f}–{max(walls):.3f} "
                  f"| {statistics.median(r[1] for r in rs):.2f} | {max(r[2] for r in rs) / 1024:.1f} "
                  f"| {peak[n]} | {max(r[4] for r in rs)} | {ratio(n, 'ffmpeg')} | {ratio(n, 'yt-dlp')} "
                  f"| {'OK' if ok[n] else 'FAIL'} |")
        print("")
        for n, rs in runs.items():
            for why in sorted({r[5] for r in rs if r[5]}):
                print(f"{n} FAIL: {why}")
        print("\n" + shlex.join([os.path.basename(sys.argv[0])] + sys.argv[1:]))
        for n, (template, _) in todo.items():
            print(f"  {n}: {template}")

        print("\nthe issue's targets:")

        def target(text, met):
            print(f"  [{'met' if met else 'NOT met' if met is not None else 'n/a'}] {text}")

        def under(base, limit):
            if "fanout" in med and base in med and ok["fanout"] and ok[base]:
                return med["fanout"] / med[base] <= limit
            return False if "fanout" in med and not ok["fanout"] else None

        target("fanout <= 0.4x ffmpeg's time", under("ffmpeg", 0.4))
        target("fanout <= 0.3x yt-dlp's time", under("yt-dlp", 0.3))
        target(f"fanout -j {JOBS}: at most {JOBS} segment requests in flight",
               (ok["fanout"] and 1 <= peak["fanout"] <= JOBS) if "fanout" in peak else None)
        target("fanout -e sequential: exactly 1 segment request in flight",
               (ok["fanout-seq"] and peak["fanout-seq"] == 1) if "fanout-seq" in peak else None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

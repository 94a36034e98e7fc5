//! Streams through `fanout get` as a script runs it: killed with SIGKILL
//! and run again (only the missing segments are fetched), a live playlist
//! recorded for `--duration`, and real streams that ffmpeg makes in the
//! test (HLS-TS with AES-128, HLS-fMP4, DASH with separate video and
//! audio), checked with ffprobe and a silent decode.

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fanout::engine::{BackendKind, Engine, EngineConfig, Event, Job};
use serde_json::json;
use support::programs::{Killed, fanout, hermetic, require};
use support::serve::Serve;
use support::streaming::{Site, encrypt, segment_bytes, sequence_iv};
use support::wait::until;
use support::{control_files, files_in, user_files};

/// An encrypted HLS playlist of `n` segments at `/NAME.m3u8`; the bytes
/// fanout must join.
fn vod_at(site: &Site, name: &str, n: usize) -> Vec<u8> {
    let key = [0x5Au8; 16];
    site.put("/key.bin", key.to_vec(), "application/octet-stream");
    let mut playlist = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n");
    playlist += "#EXT-X-KEY:METHOD=AES-128,URI=\"/key.bin\"\n";
    let mut plain = Vec::new();
    for i in 0..n {
        let bytes = segment_bytes(name, i, 30_000);
        let sealed = encrypt(&key, &sequence_iv(100 + i as u64), &bytes);
        site.put(&format!("/{name}/{i}.ts"), sealed, "video/mp2t");
        plain.extend(bytes);
        playlist += &format!("#EXTINF:2,\n/{name}/{i}.ts\n");
    }
    site.put(
        &format!("/{name}.m3u8"),
        playlist + "#EXT-X-ENDLIST\n",
        "application/vnd.apple.mpegurl",
    );
    plain
}

fn vod(site: &Site, n: usize) -> Vec<u8> {
    vod_at(site, "vod", n)
}

/// Starts `fanout get ARGS`; once the part's record says 8 segments are
/// joined, kills it with SIGKILL (nothing flushed or renamed).
fn kill_after_8_segments(dir: &Path, args: &[&str]) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fanout"));
    hermetic(&mut command);
    let child = command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while joined(dir) < 8 {
        assert!(
            Instant::now() < deadline,
            "no progress recorded: {:?}",
            user_files(dir)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.0.kill().unwrap();
    child.0.wait().unwrap();
}

/// The pieces a stream's record beside its part says are joined.
fn joined(dir: &Path) -> usize {
    control_files(dir)
        .iter()
        .filter_map(|name| std::fs::read_to_string(dir.join(name)).ok())
        .filter_map(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .filter_map(|v| v["stream"][0].as_u64())
        .max()
        .unwrap_or(0) as usize
}

/// `-e` and `-j` for an engine, as a script writes them.
fn engine_args(kind: &BackendKind) -> Vec<String> {
    let (name, lanes) = match kind {
        BackendKind::Sequential => ("sequential", 1),
        BackendKind::Threads { workers } => ("threads", *workers),
        BackendKind::Async { limit } => ("async", *limit),
        BackendKind::Aria2 { .. } => unreachable!("streams run on fanout's own engines"),
    };
    vec!["-e".into(), name.into(), "-j".into(), lanes.to_string()]
}

/// Killed with SIGKILL while one segment hangs, then run again: every
/// segment that had arrived whole (joined, or waiting in the reorder buffer
/// for the one that hangs) is kept, so the rerun asks only for those that
/// never arrived whole, at most the lanes' worth of them asked twice.
fn killed_then_run_again_asks_only_for_what_never_arrived_whole(kind: BackendKind) {
    const SEGMENTS: usize = 12;
    const HANGS: usize = 6;
    let site = Site::start();
    site.set_latency(Duration::from_millis(300));
    let plain = vod(&site, SEGMENTS);
    let segment = |i: usize| format!("/vod/{i}.ts");
    site.set_slow(&segment(HANGS), Duration::from_secs(60));
    let dir = tempfile::tempdir().unwrap();
    let (url, out) = (site.url("/vod.m3u8"), dir.path().to_str().unwrap());
    let mut args = vec!["get".to_string()];
    args.extend(engine_args(&kind));
    args.extend([url, "-o".into(), out.into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let served = || {
        (0..SEGMENTS)
            .map(|i| site.served(&segment(i)))
            .collect::<Vec<_>>()
    };
    let asked = || (0..SEGMENTS).map(|i| site.hits(&segment(i))).collect::<Vec<_>>();

    let mut command = Command::new(env!("CARGO_BIN_EXE_fanout"));
    hermetic(&mut command);
    let child = command
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    // The segment that hangs is asked for, and everything the lanes could
    // fetch meanwhile has arrived (nothing more for a while): kill.
    let (mut last, mut since) = (served(), Instant::now());
    let deadline = Instant::now() + Duration::from_secs(30);
    while site.hits(&segment(HANGS)) == 0 || since.elapsed() < Duration::from_millis(900) {
        assert!(Instant::now() < deadline, "stuck at {last:?}");
        std::thread::sleep(Duration::from_millis(20));
        let now = served();
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
    let (whole, before) = (served(), asked());
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    assert!(
        !user_files(dir.path()).contains(&"vod.ts".to_string()),
        "a killed run named its file"
    );
    assert!(whole.iter().sum::<usize>() >= HANGS, "{whole:?}");
    // The segments waiting for the one that hangs are kept beside the part.
    let aside: Vec<String> = control_files(dir.path())
        .into_iter()
        .filter(|n| n.contains(".piece-"))
        .collect();
    let waiting = (HANGS + 1..SEGMENTS).filter(|&i| whole[i] > 0).count();
    assert_eq!(aside.len(), waiting, "{aside:?}");
    // A segment a killed run was writing has only its temporary name: the
    // rerun never takes it for the segment.
    if let Some(name) = aside.first() {
        let (prefix, _) = name.rsplit_once('-').unwrap();
        let half = &segment_bytes("vod", SEGMENTS - 1, 30_000)[..1000];
        std::fs::write(dir.path().join(format!("{prefix}-{}.tmp", SEGMENTS - 1)), half).unwrap();
    }

    site.set_slow(&segment(HANGS), Duration::ZERO);
    let again = fanout(&args, None, &[]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        std::fs::read(dir.path().join("vod.ts")).unwrap() == plain,
        "the resumed file differs"
    );
    // Nothing left beside it: no part, no record, no segment kept aside.
    assert_eq!(files_in(dir.path()), vec!["vod.ts".to_string()]);
    let rerun: Vec<usize> = asked().iter().zip(&before).map(|(a, b)| a - b).collect();
    let fetched_again: Vec<usize> = (0..SEGMENTS).filter(|&i| whole[i] > 0 && rerun[i] > 0).collect();
    assert!(
        fetched_again.is_empty(),
        "segments {fetched_again:?} had arrived whole before the kill and were fetched again \
         (served before: {whole:?}, asked by the rerun: {rerun:?})"
    );
    let missing: Vec<usize> = (0..SEGMENTS).filter(|&i| whole[i] == 0).collect();
    assert!(
        missing.iter().all(|&i| rerun[i] == 1),
        "the rerun asked {rerun:?} for the missing {missing:?}"
    );
    let lanes: usize = engine_args(&kind)[3].parse().unwrap();
    let asked_twice = (0..SEGMENTS).filter(|&i| before[i] > 0 && rerun[i] > 0).count();
    assert!(
        asked_twice <= lanes,
        "{asked_twice} segments asked for again on {lanes} lanes"
    );
}

each_backend!(killed_then_run_again_asks_only_for_what_never_arrived_whole, 2);

#[test]
fn a_live_playlist_is_recorded_for_its_duration() {
    let site = Site::start();
    // A live window of 4 one-second segments that moves on every second.
    let live = |first: usize| {
        let mut text = format!("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:{first}\n");
        for n in first..first + 4 {
            text += &format!("#EXTINF:1.0,\nlive{n}.ts\n");
        }
        text
    };
    for n in 0..40 {
        site.put(
            &format!("/live{n}.ts"),
            segment_bytes("live", n, 5_000),
            "video/mp2t",
        );
    }
    site.put("/live.m3u8", live(0), "application/vnd.apple.mpegurl");
    let (url, dir) = (site.url("/live.m3u8"), tempfile::tempdir().unwrap());
    let out = dir.path().to_str().unwrap().to_string();
    let got = std::thread::scope(|s| {
        let run = s.spawn(|| {
            fanout(
                &[
                    "get",
                    "-e",
                    "async",
                    "-j",
                    "4",
                    "--duration",
                    "6",
                    &url,
                    "-o",
                    &out,
                ],
                None,
                &[],
            )
        });
        // The playlist moves on, one segment a second, as a live one does.
        let mut first = 0;
        while !run.is_finished() && first < 30 {
            std::thread::sleep(Duration::from_secs(1));
            first += 1;
            site.put("/live.m3u8", live(first), "application/vnd.apple.mpegurl");
        }
        run.join().unwrap()
    });
    assert!(got.status.success(), "{}", String::from_utf8_lossy(&got.stderr));
    let file = std::fs::read(dir.path().join("live.ts")).unwrap();
    // Six seconds of media: six consecutive segments, from three behind the
    // live edge at the start (ffmpeg's choice), each once.
    let first = (0..40)
        .find(|&n| file.starts_with(&segment_bytes("live", n, 5_000)))
        .expect("starts with a segment");
    assert_eq!(
        first, 1,
        "the recording starts three segments behind the live edge"
    );
    let want: Vec<u8> = (first..first + 6)
        .flat_map(|n| segment_bytes("live", n, 5_000))
        .collect();
    assert!(
        file == want,
        "{} bytes recorded; not six consecutive segments",
        file.len()
    );
    assert!(site.hits("/live.m3u8") >= 3, "the live playlist was reloaded");
}

/// ffmpeg's HLS muxer as a site's video on demand: 2-second segments, all
/// listed, ended.
const VOD_HLS: [&str; 8] = [
    "-f",
    "hls",
    "-hls_time",
    "2",
    "-hls_list_size",
    "0",
    "-hls_playlist_type",
    "vod",
];

/// Makes a 20-second test stream with ffmpeg in `dir`; false when ffmpeg is
/// not installed (skipped, or failed in CI).
fn ffmpeg(dir: &Path, args: &[&str]) -> bool {
    if !require(&[("ffmpeg", "ffmpeg"), ("ffprobe", "ffmpeg")]) {
        return false;
    }
    let made = Command::new("ffmpeg")
        .current_dir(dir)
        .args([
            "-v",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=20",
        ])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=20"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "50",
            "-c:a",
            "aac",
            "-shortest",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    true
}

/// Downloads `url` with `fanout get` and checks what ffmpeg makes of the
/// result: its duration within 0.5 s of 20 s, and a silent decode.
fn fetched_plays(url: &str, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let got = fanout(&["get", "-e", "async", "-j", "8", url, "-o", out], None, &[]);
    assert!(got.status.success(), "{}", String::from_utf8_lossy(&got.stderr));
    assert_eq!(user_files(dir.path()), vec![name.to_string()]);
    let file = dir.path().join(name);
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "csv=p=0",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let seconds: f64 = String::from_utf8_lossy(&probe.stdout).trim().parse().unwrap();
    assert!((seconds - 20.0).abs() <= 0.5, "{name}: {seconds} s");
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(&file)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        decode.status.success() && decode.stderr.is_empty(),
        "{name}: {}",
        String::from_utf8_lossy(&decode.stderr)
    );
}

#[test]
fn an_encrypted_hls_ts_stream_made_by_ffmpeg_plays() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("enc.key"), [0x42u8; 16]).unwrap();
    std::fs::write(dir.path().join("keyinfo"), "enc.key\nenc.key\n").unwrap();
    let hls = [&VOD_HLS[..], &["-hls_key_info_file", "keyinfo", "index.m3u8"]].concat();
    if !ffmpeg(dir.path(), &hls) {
        return;
    }
    let site = Site::start();
    site.set_latency(Duration::from_millis(20));
    site.put_dir("/hls/", dir.path());
    fetched_plays(&site.url("/hls/index.m3u8"), "index.ts");
}

#[test]
fn an_hls_fmp4_stream_made_by_ffmpeg_plays() {
    let dir = tempfile::tempdir().unwrap();
    let hls = [&VOD_HLS[..], &["-hls_segment_type", "fmp4", "index.m3u8"]].concat();
    if !ffmpeg(dir.path(), &hls) {
        return;
    }
    let site = Site::start();
    site.put_dir("/f/", dir.path());
    fetched_plays(&site.url("/f/index.m3u8"), "index.mp4");
}

#[test]
fn a_dash_stream_made_by_ffmpeg_is_muxed_into_one_file_that_plays() {
    let dir = tempfile::tempdir().unwrap();
    let dash = [
        "-f",
        "dash",
        "-seg_duration",
        "2",
        "-use_template",
        "1",
        "-use_timeline",
        "1",
        "manifest.mpd",
    ];
    if !ffmpeg(dir.path(), &dash) {
        return;
    }
    let site = Site::start();
    site.put_dir("/d/", dir.path());
    fetched_plays(&site.url("/d/manifest.mpd"), "manifest.mp4");
}

/// What a browser extension sends: a playlist URL with the page's Referer
/// and a header of its own, over aria2's RPC to `fanout serve`.
#[test]
fn an_rpc_client_s_playlist_url_with_its_referer_is_a_stream() {
    let site = Site::start();
    site.require_referer("https://site.example/page");
    let plain = vod(&site, 6);
    let home = tempfile::tempdir().unwrap();
    let s = Serve::start_in(home.path(), &[]);
    let options = json!({"referer": "https://site.example/page", "header": ["X-Extension: 1"]});
    let gid = s
        .call("aria2.addUri", json!([[site.url("/vod.m3u8")], options]))
        .unwrap();
    let st = until("the stream ends", || {
        let st = s.call("aria2.tellStatus", json!([gid])).unwrap();
        (st["status"] == "complete" || st["status"] == "error").then_some(st)
    });
    assert_eq!(st["status"], "complete", "{st}");
    assert_eq!(st["completedLength"], plain.len().to_string(), "{st}");
    assert_eq!(st["totalLength"], plain.len().to_string(), "{st}");
    let path = st["files"][0]["path"].as_str().unwrap();
    assert!(path.ends_with("/vod.ts"), "{path}");
    assert!(std::fs::read(path).unwrap() == plain);
}

/// Pausing a live recording stops it, and what it recorded is the file.
#[test]
fn pausing_a_live_recording_keeps_what_it_recorded() {
    let site = Site::start();
    let mut text = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:20\n");
    for n in 20..25 {
        site.put(&format!("/l{n}.ts"), segment_bytes("rec", n, 4_000), "video/mp2t");
        text += &format!("#EXTINF:1,\nl{n}.ts\n");
    }
    site.put("/rec.m3u8", text, "application/vnd.apple.mpegurl");
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = crossbeam_channel::unbounded();
    let config = EngineConfig::new(BackendKind::Async { limit: 4 });
    let engine = Engine::new(config, tx, std::sync::Arc::new(|| {})).unwrap();
    let index = engine.submit(Job::new(site.url("/rec.m3u8"), dir.path()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut paused = false;
    let result = loop {
        let event = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("events");
        match event {
            // Three segments behind the edge are in: the user stops it.
            Event::Pieces { done, .. } if done >= 3 && !paused => {
                paused = engine.pause(index);
            }
            Event::Finished(r) => break r,
            _ => {}
        }
    };
    let path = result
        .outcome
        .as_ref()
        .map(|s| s.path.clone())
        .expect("a recording");
    let want: Vec<u8> = (22..25).flat_map(|n| segment_bytes("rec", n, 4_000)).collect();
    assert!(std::fs::read(&path).unwrap() == want, "{}", path.display());
    assert_eq!(user_files(dir.path()), vec!["rec.ts".to_string()]);
}

/// Ctrl+C ends a recording that `fanout get` makes of a live stream, and
/// what it recorded is kept under its name.
#[test]
fn ctrl_c_ends_a_live_recording_and_keeps_it() {
    let site = Site::start();
    let mut text = String::from("#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:50\n");
    for n in 50..54 {
        site.put(
            &format!("/c{n}.ts"),
            segment_bytes("ctrl", n, 3_000),
            "video/mp2t",
        );
        text += &format!("#EXTINF:1,\nc{n}.ts\n");
    }
    site.put("/onair.m3u8", text, "application/vnd.apple.mpegurl");
    let dir = tempfile::tempdir().unwrap();
    let (url, out) = (site.url("/onair.m3u8"), dir.path().to_str().unwrap());
    let mut command = Command::new(env!("CARGO_BIN_EXE_fanout"));
    hermetic(&mut command);
    let child = command
        .args(["get", "-e", "async", &url, "-o", out])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    until("three segments are recorded", || {
        (joined(dir.path()) >= 3).then_some(())
    });
    let sent = Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.0.wait().unwrap();
    let mut said = String::new();
    std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut said).unwrap();
    assert!(status.success(), "{status}: {said}");
    let want: Vec<u8> = (51..54).flat_map(|n| segment_bytes("ctrl", n, 3_000)).collect();
    assert!(
        std::fs::read(dir.path().join("onair.ts")).unwrap() == want,
        "{said}"
    );
    assert_eq!(user_files(dir.path()), vec!["onair.ts".to_string()]);
}

/// A part left by one variant is never continued by another: killed while
/// fetching variant 2, then asked for variant 1, the file is variant 1's.
#[test]
fn another_variant_never_continues_a_part_left_by_the_first() {
    let site = Site::start();
    site.set_latency(Duration::from_millis(60));
    let low = vod_at(&site, "low", 20);
    vod_at(&site, "high", 20);
    site.put(
        "/show",
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=500000\n/low.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=900000\n/high.m3u8\n",
        "text/plain",
    );
    let dir = tempfile::tempdir().unwrap();
    let (url, out) = (site.url("/show"), dir.path().to_str().unwrap());
    kill_after_8_segments(
        dir.path(),
        &["get", "-e", "async", "-j", "2", "--variant", "2", &url, "-o", out],
    );
    let again = fanout(&["get", "--json", "--variant", "1", &url, "-o", out], None, &[]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    let path = line["path"].as_str().unwrap();
    assert!(
        std::fs::read(path).unwrap() == low,
        "{path} is not variant 1's stream"
    );
    assert_eq!(site.hits("/low/0.ts"), 1);
}

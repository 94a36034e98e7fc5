//! Torrents on every engine, from a seeder of the tests' own on 127.0.0.1
//! (DHT and local discovery off on both sides, the seeder given with
//! `--peer`): a `.torrent` file, a magnet link and a URL serving a torrent
//! land as the torrent's folder, byte for byte; `--select` writes only the
//! chosen files; seeding goes on to the ratio (a second peer gets the
//! torrent from fanout alone) or the time; a hostile torrent's paths write
//! nothing anywhere; pause keeps the verified pieces, cancel the files;
//! the speed limit holds; after `kill -9` the same command continues;
//! `fanout get --json` lists the files.

use crate::support;

use std::path::Path;
use std::time::Duration;

use std::time::Instant;

use fanout::engine::{
    BackendKind, Engine, EngineConfig, Event, FetchError, Job, SeedLimits, TaskResult, TorrentError,
};
use support::programs::free_port;
use support::run::run_jobs;
use support::streaming::Site;
use support::torrent::{NAME, Seeder, bt_engine, files, leech_from};
use support::user_files;
use support::wait::{error_of, saved_path};

fn config(kind: BackendKind) -> EngineConfig {
    let mut config = EngineConfig {
        retry_delay: Duration::from_millis(10),
        retries: 1,
        ..EngineConfig::new(kind)
    };
    // Nothing may leave loopback: no DHT bootstrap, no LAN multicast.
    config.torrent.dht = false;
    config
}

fn job(source: &str, out: &Path, seeder: &Seeder) -> Job {
    let mut job = Job::new(source, out);
    job.torrent.peers = vec![seeder.addr];
    job
}

fn one(kind: BackendKind, job: Job) -> TaskResult {
    let (results, _) = run_jobs(config(kind), vec![job]);
    results.into_iter().next().unwrap()
}

/// Every file of the torrent is in `folder`, byte for byte.
fn assert_whole(folder: &Path) {
    for (path, bytes) in files() {
        let got = std::fs::read(folder.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            got == bytes,
            "{path}: {} bytes, not the seeder's {}",
            got.len(),
            bytes.len()
        );
    }
}

fn by_torrent_file(kind: BackendKind) {
    let seeder = Seeder::start(&files());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("set.torrent");
    std::fs::write(&file, &seeder.torrent).unwrap();
    let out = tmp.path().join("out");
    let r = one(kind, job(file.to_str().unwrap(), &out, &seeder));
    assert_eq!(saved_path(&r), out.join(NAME));
    assert_whole(&out.join(NAME));
    let saved = r.outcome.as_ref().unwrap();
    assert_eq!(saved.files.len(), 3);
    assert_eq!(r.bytes, files().iter().map(|(_, b)| b.len() as u64).sum::<u64>());
}
each_backend!(by_torrent_file, 2);

fn by_magnet(kind: BackendKind) {
    let seeder = Seeder::start(&files());
    let out = tempfile::tempdir().unwrap();
    let r = one(kind, job(&seeder.magnet, out.path(), &seeder));
    assert_eq!(saved_path(&r), out.path().join(NAME));
    assert_whole(&out.path().join(NAME));
}
each_backend!(by_magnet, 2);

/// An http(s) URL whose body is a torrent (no `.torrent` in its name, a
/// generic type) is the torrent, not a file to save.
fn from_a_url_serving_a_torrent(kind: BackendKind) {
    let seeder = Seeder::start(&files());
    let site = Site::start();
    site.put("/download/42", seeder.torrent.clone(), "application/octet-stream");
    let out = tempfile::tempdir().unwrap();
    let r = one(kind, job(&site.url("/download/42"), out.path(), &seeder));
    assert_eq!(saved_path(&r), out.path().join(NAME));
    assert_whole(&out.path().join(NAME));
    assert_eq!(user_files(out.path()), [NAME]);
}
each_backend!(from_a_url_serving_a_torrent, 2);

/// Starts `job` on an engine whose BitTorrent port is `port`; its events,
/// and when the torrent was complete (its last progress).
fn until_complete(job: Job, port: u16) -> (Engine, crossbeam_channel::Receiver<Event>, Instant) {
    let (engine, rx) = bt_engine(Some(port), |_| {});
    engine.submit(job);
    support::torrent::until_complete(&rx);
    (engine, rx, Instant::now())
}

fn finished(rx: &crossbeam_channel::Receiver<Event>, within: Duration) -> TaskResult {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Event::Finished(r)) => return r,
            Ok(_) => {}
            Err(_) => panic!("not finished within {within:?}"),
        }
    }
}

/// With a seed ratio, the task goes on after completion until it has
/// uploaded that much: a peer that only knows fanout gets the whole
/// torrent from it, and then the task ends.
#[test]
fn seeding_goes_on_until_the_ratio() {
    let seeder = Seeder::start(&files());
    let out = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut job = job(&seeder.magnet, out.path(), &seeder);
    job.torrent.seed = SeedLimits {
        ratio_milli: Some(1000),
        time: None,
    };
    let (_engine, rx, _) = until_complete(job, port);
    // Only fanout has the torrent now.
    let torrent = seeder.torrent.clone();
    drop(seeder);
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !rx.try_iter().any(|e| matches!(e, Event::Finished(_))),
        "stopped seeding before the ratio"
    );
    let second = tempfile::tempdir().unwrap();
    let peer = format!("127.0.0.1:{port}").parse().unwrap();
    let got = leech_from(&torrent, peer, second.path()).unwrap();
    assert_whole(second.path());
    assert_eq!(got, files().iter().map(|(_, b)| b.len() as u64).sum::<u64>());
    let r = finished(&rx, Duration::from_secs(10));
    assert!(r.is_ok(), "{r:?}");
}

/// With a seed time and nobody to seed to, the task ends that long after
/// completion.
#[test]
fn seeding_ends_at_the_time() {
    let seeder = Seeder::start(&files());
    let out = tempfile::tempdir().unwrap();
    let mut job = job(&seeder.magnet, out.path(), &seeder);
    let seed_time = Duration::from_secs(2);
    job.torrent.seed = SeedLimits {
        ratio_milli: Some(1000),
        time: Some(seed_time),
    };
    let (_engine, rx, complete) = until_complete(job, free_port());
    let r = finished(&rx, seed_time + Duration::from_secs(10));
    let seeded = complete.elapsed();
    assert!(r.is_ok(), "{r:?}");
    assert!(
        seeded >= seed_time,
        "seeding ended after {seeded:?}, not {seed_time:?}"
    );
    assert_whole(&out.path().join(NAME));
}

/// A single-file torrent is its file, in the output folder.
#[test]
fn a_single_file_torrent_is_its_file() {
    let (name, bytes) = ("disc 1.iso", files().remove(0).1);
    let seeder = Seeder::start(&[(name, bytes.clone())]);
    let out = tempfile::tempdir().unwrap();
    let r = one(
        BackendKind::Threads { workers: 2 },
        job(&seeder.magnet, out.path(), &seeder),
    );
    assert_eq!(saved_path(&r), out.path().join(name));
    assert!(std::fs::read(out.path().join(name)).unwrap() == bytes);
    assert_eq!(user_files(out.path()), [name]);
}

/// A folder of the torrent's name that is not its own is kept: the
/// torrent goes beside it as `NAME (1)`, as an HTTP download's name clash
/// does; with `--if-exists skip` nothing is fetched.
#[test]
fn a_taken_name_is_kept() {
    let seeder = Seeder::start(&files());
    let out = tempfile::tempdir().unwrap();
    let mine = out.path().join(NAME).join("a.bin");
    std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
    std::fs::write(&mine, b"the user's own file").unwrap();
    let r = one(BackendKind::Sequential, job(&seeder.magnet, out.path(), &seeder));
    let beside = out.path().join(format!("{NAME} (1)"));
    assert_eq!(saved_path(&r), beside);
    assert_whole(&beside);
    assert_eq!(std::fs::read(&mine).unwrap(), b"the user's own file");
    assert_eq!(user_files(out.path()), [NAME.to_string(), format!("{NAME} (1)")]);

    let mut config = config(BackendKind::Sequential);
    config.if_exists = fanout::engine::IfExists::Skip;
    let (results, _) = run_jobs(config, vec![job(&seeder.magnet, out.path(), &seeder)]);
    let saved = results[0].outcome.as_ref().unwrap();
    assert!(saved.skipped, "{saved:?}");
    assert_eq!(saved.path, out.path().join(NAME));
    assert_eq!(std::fs::read(&mine).unwrap(), b"the user's own file");
}

#[test]
fn select_writes_only_the_chosen_files() {
    let seeder = Seeder::start(&files());
    let out = tempfile::tempdir().unwrap();
    let mut job = job(&seeder.magnet, out.path(), &seeder);
    // --select 1,3: a.bin and the non-ASCII one, not sub/b.txt.
    job.torrent.select = Some(vec![0, 2]);
    let r = one(BackendKind::Async { limit: 2 }, job);
    let folder = saved_path(&r).to_path_buf();
    let all = files();
    for (path, bytes) in [&all[0], &all[2]] {
        assert!(std::fs::read(folder.join(path)).unwrap() == *bytes, "{path}");
    }
    assert!(
        !folder.join("sub/b.txt").exists(),
        "an unselected file was written"
    );
    assert_eq!(r.outcome.as_ref().unwrap().files.len(), 2);
}

/// A bencoded torrent whose one file is at `path` (its components).
fn hostile_torrent(name: &str, path: &[&str]) -> Vec<u8> {
    let s = |t: &str| format!("{}:{t}", t.len());
    let list: String = path.iter().map(|c| s(c)).collect();
    let pieces = "x".repeat(20);
    format!(
        "d4:infod5:filesld6:lengthi5e4:pathl{list}eee4:name{}12:piece lengthi16384e6:pieces{}ee",
        s(name),
        s(&pieces)
    )
    .into_bytes()
}

#[test]
fn a_hostile_torrent_writes_nothing_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let cases: [(&str, &[&str]); 4] = [
        ("set", &["..", "evil.txt"]),
        ("set", &["", "etc", "evil.txt"]),
        ("..", &["evil.txt"]),
        ("set", &["CON"]),
    ];
    let mut jobs = Vec::new();
    for (i, (name, path)) in cases.iter().enumerate() {
        let file = tmp.path().join(format!("hostile{i}.torrent"));
        // Two files, so the name is a folder too.
        let mut t = hostile_torrent(name, path);
        let ok = "d6:lengthi5e4:pathl2:okee";
        let at = t.windows(6).position(|w| w == b"filesl").unwrap() + 6;
        t.splice(at..at, ok.bytes());
        std::fs::write(&file, t).unwrap();
        let mut job = Job::new(file.to_str().unwrap(), &out);
        job.torrent.peers = vec!["127.0.0.1:9".parse().unwrap()];
        jobs.push(job);
    }
    let (results, _) = run_jobs(config(BackendKind::Async { limit: 4 }), jobs);
    for r in &results {
        assert!(
            matches!(error_of(r), FetchError::Torrent(TorrentError::Refused { .. })),
            "{}: {:?}",
            r.url,
            r.outcome
        );
    }
    let mut left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "hostile0.torrent",
            "hostile1.torrent",
            "hostile2.torrent",
            "hostile3.torrent",
            "out"
        ]
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "something was written"
    );
}

#[test]
fn fanout_get_json_lists_the_files() {
    let seeder = Seeder::start(&files());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("set.torrent");
    std::fs::write(&file, &seeder.torrent).unwrap();
    let out = tmp.path().join("out");
    let peer = seeder.addr.to_string();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args([
            "get", "--json", "--no-dht", "--select", "2-3", "--peer", &peer, "-o",
        ])
        .arg(&out)
        .arg(&file)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let line: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(line["status"], "ok");
    assert_eq!(line["path"], out.join(NAME).to_str().unwrap());
    let listed: Vec<(String, u64)> = line["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    let all = files();
    let want: Vec<(String, u64)> = all[1..]
        .iter()
        .map(|(p, b)| {
            (
                out.join(NAME).join(p).to_string_lossy().into_owned(),
                b.len() as u64,
            )
        })
        .collect();
    assert_eq!(listed, want);
    assert_eq!(line["bytes"], want.iter().map(|(_, b)| b).sum::<u64>());
    assert!(!out.join(NAME).join("a.bin").exists());
}

/// The names of a process's threads (Linux's /proc).
#[cfg(target_os = "linux")]
fn threads_of(pid: u32) -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .collect()
}

/// Whether `fanout get SOURCE` has a BitTorrent thread within its first
/// second (it is still running then: the source is slow, or its one peer
/// never answers).
#[cfg(target_os = "linux")]
fn starts_bittorrent(source: &str) -> bool {
    let out = tempfile::tempdir().unwrap();
    // Connections to it are made (the backlog takes them), never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let peer = silent.local_addr().unwrap().to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(["get", "--no-dht", "--peer", &peer, "-o"])
        .arg(out.path())
        .arg(source)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(1);
    let mut seen = false;
    while Instant::now() < deadline && !seen {
        seen = threads_of(child.id()).iter().any(|n| n.starts_with("fanout-bt"));
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "{source} ended too soon to tell"
    );
    child.kill().unwrap();
    let _ = child.wait();
    seen
}

/// An HTTP download starts nothing BitTorrent (no session, no listen
/// port, no threads); a magnet does, at once.
#[cfg(target_os = "linux")]
#[test]
fn only_a_torrent_starts_bittorrent() {
    let server = support::TestServer::start();
    // 64 KiB a second for a megabyte: still running when looked at.
    let slow = server.url("/slow.bin?size=1048576&pace=250");
    assert!(!starts_bittorrent(&slow), "an HTTP download started BitTorrent");
    let magnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567";
    assert!(starts_bittorrent(magnet), "a magnet did not start BitTorrent");
}

/// Starts `job` (slowed by its rate limit) and waits until `at_least`
/// bytes of it are in.
fn started(job: Job) -> (Engine, crossbeam_channel::Receiver<Event>, u64) {
    let (engine, rx) = bt_engine(None, |_| {});
    engine.submit(job);
    loop {
        match rx.recv_timeout(Duration::from_secs(30)).unwrap() {
            Event::Progress {
                bytes,
                total: Some(t),
                ..
            } if bytes >= 100_000 && bytes < t => return (engine, rx, bytes),
            Event::Finished(r) => panic!("finished before it could be paused: {r:?}"),
            _ => {}
        }
    }
}

/// Paused halfway, a torrent keeps its files; resumed, it continues with
/// the pieces it has (the seeder does not send them again) and ends whole.
#[test]
fn pause_keeps_the_pieces_and_resume_continues() {
    let seeder = Seeder::start(&files());
    let total: u64 = files().iter().map(|(_, b)| b.len() as u64).sum();
    let out = tempfile::tempdir().unwrap();
    let mut job = job(&seeder.magnet, out.path(), &seeder);
    job.rate_limit = Some(150_000);
    let (engine, rx, before) = started(job);
    assert!(engine.pause(0));
    loop {
        match rx.recv_timeout(Duration::from_secs(10)).unwrap() {
            Event::Paused { .. } => break,
            Event::Finished(r) => panic!("ended instead of pausing: {r:?}"),
            _ => {}
        }
    }
    assert!(
        out.path().join(NAME).join("a.bin").exists(),
        "the paused torrent's files are gone"
    );
    assert!(engine.resume(0));
    let r = finished(&rx, Duration::from_secs(30));
    assert!(r.is_ok(), "{r:?}");
    assert_whole(&out.path().join(NAME));
    let sent = seeder.uploaded();
    assert!(
        sent < total + before / 2,
        "the seeder sent {sent} bytes for {total}: the {before} bytes before the pause were fetched again"
    );
}

/// Cancelled halfway, a torrent leaves nothing behind.
#[test]
fn cancel_removes_the_files() {
    let seeder = Seeder::start(&files());
    let out = tempfile::tempdir().unwrap();
    let mut job = job(&seeder.magnet, out.path(), &seeder);
    job.rate_limit = Some(150_000);
    let (engine, rx, _) = started(job);
    assert!(engine.cancel(0));
    let r = finished(&rx, Duration::from_secs(10));
    assert!(matches!(error_of(&r), FetchError::Cancelled), "{r:?}");
    let left: Vec<_> = walk(out.path());
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Every file under `dir`, however deep.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The task's speed limit holds a torrent's download down too.
#[test]
fn the_speed_limit_holds_a_torrent() {
    let seeder = Seeder::start(&files());
    let total: u64 = files().iter().map(|(_, b)| b.len() as u64).sum();
    let out = tempfile::tempdir().unwrap();
    let mut job = job(&seeder.magnet, out.path(), &seeder);
    let limit = 200_000;
    job.rate_limit = Some(limit);
    let began = Instant::now();
    let r = one(BackendKind::Async { limit: 2 }, job);
    let took = began.elapsed();
    assert!(r.is_ok(), "{r:?}");
    // One second's worth may come as a burst; the rest at the limit.
    let least = Duration::from_secs_f64((total - limit) as f64 / limit as f64);
    assert!(took >= least, "{total} bytes at {limit} B/s took {took:?}");
}

/// The seeder's piece length.
const PIECE: u64 = 32 * 1024;

/// `kill -9` halfway through `fanout get`, then the same command again:
/// it checks the files it left and fetches only what is missing.
#[test]
fn after_kill_9_the_same_command_continues() {
    // Slow at the seeder's end: what it sent has arrived.
    let seeder = Seeder::start_limited(&files(), Some(150_000));
    let total: u64 = files().iter().map(|(_, b)| b.len() as u64).sum();
    let out = tempfile::tempdir().unwrap();
    let peer = seeder.addr.to_string();
    let get = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_fanout"));
        c.args(["get", "--no-dht", "--peer", &peer, "-o"])
            .arg(out.path())
            .arg(&seeder.magnet)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        c
    };
    let mut first = get().spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seeder.uploaded() < 250_000 {
        assert!(Instant::now() < deadline, "the first run got nothing");
        std::thread::sleep(Duration::from_millis(10));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let before = seeder.uploaded();
    assert!(before < total, "the first run finished before it was killed");
    let second = get().stderr(std::process::Stdio::piped()).output().unwrap();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_whole(&out.path().join(NAME));
    // Pieces are checked whole, and librqbit asks for several at once, so
    // many of what the first run got are partial pieces, fetched again;
    // the whole ones it had are not.
    let again = seeder.uploaded() - before;
    assert!(
        again <= total - PIECE,
        "the second run fetched {again} bytes of {total}: nothing of the first run's {before} was kept"
    );
}

/// A magnet whose only peer refuses (no DHT, no tracker) fails at once,
/// saying so, rather than waiting for ever.
#[test]
fn a_magnet_nobody_serves_fails_with_its_reason() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let out = tempfile::tempdir().unwrap();
    let mut job = Job::new(
        "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567",
        out.path(),
    );
    job.torrent.peers = vec![closed];
    let r = one(BackendKind::Async { limit: 2 }, job);
    assert!(
        matches!(error_of(&r), FetchError::Torrent(TorrentError::NoMetadata(_))),
        "{:?}",
        r.outcome
    );
    assert!(walk(out.path()).is_empty());
}

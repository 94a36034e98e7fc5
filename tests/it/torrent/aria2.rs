//! fanout and aria2c as Debian ships it (`apt-get install aria2`; skipped
//! with a printed reason where absent, a failure in CI), byte for byte,
//! DHT, local discovery and peer exchange off on both sides: fanout
//! leeches from aria2c (given with `--peer`) by `.torrent` and by magnet,
//! and seeds to aria2c, which finds it through a tracker on loopback
//! (aria2c takes no peer by hand). Last, fanout's aria2 engine hands a
//! `.torrent` and a magnet to an aria2c daemon, which leeches them from
//! the tests' seeder through the tracker.

use crate::support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fanout::engine::{Event, Job, SeedLimits};
use support::programs::{Killed, free_port, log_tail, require};
use support::torrent::{NAME, Seeder, bt_engine, files, get_whole, make_torrent, until_complete};
use support::tracker::Tracker;
use support::wait::until;

/// aria2c seeding the torrent in `dir` (its data already there) on `port`.
fn aria2c_seeding(dir: &std::path::Path, torrent: &std::path::Path, port: u16) -> Killed {
    let child = Command::new("aria2c")
        .args([
            "--enable-dht=false",
            "--enable-dht6=false",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--check-integrity=true",
            "--seed-ratio=0.0",
            "--no-conf=true",
        ])
        .arg(format!("--listen-port={port}"))
        .arg("-d")
        .arg(dir)
        .arg(torrent)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let seeding = Killed(child);
    // Listening once it has checked its files.
    until(&format!("aria2c listening on {port}"), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    seeding
}

fn get(source: &str, peer: u16, out: &std::path::Path) {
    get_whole(source, &["--peer", &format!("127.0.0.1:{peer}")], out, "aria2c");
}

#[test]
fn leeching_from_aria2c() {
    if !require(&[("aria2c", "aria2")]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let seed = tmp.path().join("seed");
    let (torrent, hash) = make_torrent(&seed, &files());
    let file = tmp.path().join("set.torrent");
    std::fs::write(&file, torrent).unwrap();
    let port = free_port();
    let _aria2c = aria2c_seeding(&seed, &file, port);
    get(file.to_str().unwrap(), port, &tmp.path().join("by-file"));
    get(
        &format!("magnet:?xt=urn:btih:{hash}"),
        port,
        &tmp.path().join("by-magnet"),
    );
}

#[test]
fn seeding_to_aria2c() {
    if !require(&[("aria2c", "aria2")]) {
        return;
    }
    let tracker = Tracker::start();
    let seeder = Seeder::with_tracker(&files(), &tracker.announce_url());
    let tmp = tempfile::tempdir().unwrap();
    // fanout gets the torrent first, then seeds it to a ratio of 1.
    let port = free_port();
    let (engine, rx) = bt_engine(Some(port), |_| {});
    let mut job = Job::new(&seeder.magnet, tmp.path().join("fanout"));
    job.torrent.peers = vec![seeder.addr];
    job.torrent.seed = SeedLimits {
        ratio_milli: Some(1000),
        time: None,
    };
    engine.submit(job);
    until_complete(&rx);
    // Only fanout has it now.
    let torrent = seeder.torrent.clone();
    drop(seeder);
    let file = tmp.path().join("set.torrent");
    std::fs::write(&file, torrent).unwrap();
    let out = tmp.path().join("aria2c");
    // Its log, shown if it does not finish.
    let log = tmp.path().join("aria2c.log");
    let mut leech = Command::new("aria2c");
    leech
        .args([
            "--enable-dht=false",
            "--enable-dht6=false",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--seed-time=0",
            "--no-conf=true",
            "--log-level=info",
        ])
        .arg(format!("--log={}", log.display()))
        .arg(format!("--listen-port={}", free_port()))
        .arg("-d")
        .arg(&out)
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut leech = Killed(leech.spawn().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = leech.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "aria2c did not finish in 60 s; its log ends:\n{}",
            log_tail(&log, 60)
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "aria2c: {status}");
    for (path, bytes) in files() {
        assert!(
            std::fs::read(out.join(NAME).join(path)).unwrap() == bytes,
            "{path}"
        );
    }
    // fanout's seeding ends at the ratio, after aria2c has it all.
    let result = loop {
        if let Event::Finished(r) = rx.recv_timeout(Duration::from_secs(20)).unwrap() {
            break r;
        }
    };
    assert!(result.is_ok(), "{result:?}");
}

/// An aria2c daemon for torrents: DHT, local discovery and peer exchange
/// off, listening for peers on a port of the test's.
fn torrent_daemon() -> Option<support::aria2::Daemon> {
    if !require(&[("aria2c", "aria2")]) {
        return None;
    }
    let port = format!("--listen-port={}", free_port());
    support::aria2::Daemon::start_with(&[
        "--enable-dht=false",
        "--enable-dht6=false",
        "--bt-enable-lpd=false",
        "--enable-peer-exchange=false",
        &port,
    ])
}

#[test]
fn the_aria2_engine_hands_torrents_and_magnets_to_the_daemon() {
    use support::aria2::Rpcd;
    let Some(daemon) = torrent_daemon() else {
        return;
    };
    let tracker = Tracker::start();
    let seeder = Seeder::with_tracker(&files(), &tracker.announce_url());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("set.torrent");
    std::fs::write(&file, &seeder.torrent).unwrap();
    let (engine, rx) = daemon.engine(2);
    let by_file = daemon.folder().join("by-file");
    let by_magnet = daemon.folder().join("by-magnet");
    let mut chosen = Job::new(file.to_str().unwrap(), &by_file);
    chosen.torrent.select = Some(vec![0, 2]);
    // One after the other: aria2 holds one download of an info hash.
    let mut results = Vec::new();
    for job in [chosen, Job::new(&seeder.magnet, &by_magnet)] {
        engine.submit(job);
        let deadline = Instant::now() + Duration::from_secs(60);
        let r = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if let Event::Finished(r) = rx.recv_timeout(left).expect("the torrent ends within 60 s") {
                break r;
            }
        };
        assert!(r.outcome.is_ok(), "{r:?}");
        results.push(r);
    }
    // Where aria2 saved each: the torrent's folder.
    let saved = |i: usize| results[i].outcome.as_ref().unwrap().path.clone();
    assert_eq!(saved(0), by_file.join(NAME));
    assert_eq!(saved(1), by_magnet.join(NAME));
    for (path, bytes) in files() {
        assert!(
            std::fs::read(by_magnet.join(NAME).join(path)).unwrap() == bytes,
            "{path}"
        );
        // Only the chosen files are whole (aria2 may leave the others'
        // shared pieces).
        let got = std::fs::read(by_file.join(NAME).join(path));
        if path != "sub/b.txt" {
            assert!(got.unwrap() == bytes, "{path}");
        } else {
            assert!(
                got.map_or(true, |g| g != bytes),
                "{path} was not chosen, yet whole"
            );
        }
    }
}

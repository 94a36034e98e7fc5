//! fanout leeches from aria2c as Debian ships it (`apt-get install aria2`;
//! skipped with a printed reason where absent, a failure in CI), by
//! `.torrent` and by magnet, byte for byte: aria2c seeds on a loopback
//! port with DHT, local discovery and peer exchange off, and fanout is
//! given it with `--peer`.
#![allow(clippy::unwrap_used)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::programs::{Killed, free_port, require};
use support::torrent::{NAME, files, make_torrent};

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
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aria2c never listened on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    seeding
}

fn get(source: &str, peer: u16, out: &std::path::Path) {
    let run = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(["get", "--no-dht", "--peer", &format!("127.0.0.1:{peer}"), "-o"])
        .arg(out)
        .arg(source)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for (path, bytes) in files() {
        let got = std::fs::read(out.join(NAME).join(path)).unwrap();
        assert!(
            got == bytes,
            "{path}: {} bytes, not aria2c's {}",
            got.len(),
            bytes.len()
        );
    }
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

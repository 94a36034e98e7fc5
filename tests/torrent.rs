//! Torrents on every engine, from a seeder of the tests' own on 127.0.0.1
//! (DHT and local discovery off on both sides, the seeder given with
//! `--peer`): a `.torrent` file and a magnet link land as the torrent's
//! folder, byte for byte; `--select` writes only the chosen files; a
//! hostile torrent's paths write nothing anywhere; `fanout get --json`
//! lists the files.
#![allow(clippy::unwrap_used)]

#[macro_use]
mod support;

use std::path::Path;
use std::time::Duration;

use fanout::engine::{BackendKind, EngineConfig, FetchError, Job, TaskResult, TorrentError};
use support::run::run_jobs;
use support::torrent::{NAME, Seeder, files};
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
            matches!(
                error_of(r),
                FetchError::Torrent(TorrentError::Invalid(_) | TorrentError::UnsafePath(_))
            ),
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

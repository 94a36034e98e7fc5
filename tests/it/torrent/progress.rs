//! A torrent's progress is the bytes it has: not the bytes librqbit has
//! checked while it looks at the files already on disk. (The seeding
//! interop tests waited for the progress to reach the size, then took the
//! only seeder away: under load, the end of that check looked complete,
//! and aria2c and transmission were left with a peer that had nothing.)

use crate::support;

use std::time::{Duration, Instant};

use fanout::engine::{Event, IfExists, Job};
use support::torrent::bt_engine;

/// A single-file torrent of `len` bytes in 1 MiB pieces whose hashes no
/// data has: every piece on disk fails its check.
fn torrent_of_nothing(name: &str, len: u64) -> Vec<u8> {
    let piece = 1u64 << 20;
    let pieces = len.div_ceil(piece) as usize;
    let mut t = format!(
        "d4:infod6:lengthi{len}e4:name{}:{name}12:piece lengthi{piece}e6:pieces{}:",
        name.len(),
        pieces * 20
    )
    .into_bytes();
    t.extend(std::iter::repeat_n(b'x', pieces * 20));
    t.extend_from_slice(b"ee");
    t
}

#[test]
fn checking_the_files_on_disk_is_not_progress() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    // 16 MiB already there (zeros), none of it the torrent's: checking
    // them takes many progress ticks (about a second), and finds nothing.
    let len = 16u64 << 20;
    std::fs::File::create(out.join("big.bin"))
        .unwrap()
        .set_len(len)
        .unwrap();
    let file = tmp.path().join("big.torrent");
    std::fs::write(&file, torrent_of_nothing("big.bin", len)).unwrap();
    // `--if-exists update`: librqbit checks what is there.
    let (engine, rx) = bt_engine(None, |c| c.if_exists = IfExists::Update);
    let mut job = Job::new(file.to_str().unwrap(), &out);
    job.torrent.peers = vec!["127.0.0.1:9".parse().unwrap()];
    engine.submit(job);
    // Until the check is over (the swarm's files are known then).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reported = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left).expect("the check never ended") {
            Event::Progress { bytes, .. } => reported.push(bytes),
            Event::Swarm { swarm, .. } if !swarm.file_done.is_empty() => break,
            Event::Finished(r) => panic!("it ended: {r:?}"),
            _ => {}
        }
    }
    assert!(
        reported.iter().all(|&b| b == 0),
        "progress reported while it had nothing: {reported:?}"
    );
}

//! Torrents through a tracker of the tests' own on 127.0.0.1 (no `--peer`,
//! no DHT): fanout finds the seeder by announcing, from a `.torrent`
//! whose announce URL it is and from a magnet's `tr=`, on every engine.

use crate::support;

use std::time::Duration;

use fanout::engine::{BackendKind, EngineConfig, Job};
use support::programs::free_port;
use support::run::run_jobs;
use support::torrent::{NAME, Seeder, files};
use support::tracker::Tracker;
use support::wait::saved_path;

fn config(kind: BackendKind, port: u16) -> EngineConfig {
    let mut config = EngineConfig {
        retry_delay: Duration::from_millis(10),
        retries: 1,
        ..EngineConfig::new(kind)
    };
    config.torrent.dht = false;
    config.torrent.port = Some(port);
    config
}

/// Leeches `source` (a magnet or a `.torrent` path) with only the
/// tracker to find peers; the tracker heard fanout announce its port.
fn through_the_tracker(kind: BackendKind, magnet: bool) {
    let tracker = Tracker::start();
    let seeder = Seeder::with_tracker(&files(), &tracker.announce_url());
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("set.torrent");
    std::fs::write(&file, &seeder.torrent).unwrap();
    let source = match magnet {
        true => seeder.magnet.clone(),
        false => file.to_string_lossy().into_owned(),
    };
    // The seeder announces as it starts; fanout learns of it from there.
    let wait = std::time::Instant::now() + Duration::from_secs(10);
    while tracker.heard_from(seeder.addr.port()) == 0 {
        assert!(std::time::Instant::now() < wait, "the seeder never announced");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = tmp.path().join("out");
    let port = free_port();
    let (results, _) = run_jobs(config(kind, port), vec![Job::new(source, &out)]);
    let folder = saved_path(&results[0]).to_path_buf();
    assert_eq!(folder, out.join(NAME));
    for (path, bytes) in files() {
        assert!(std::fs::read(folder.join(path)).unwrap() == bytes, "{path}");
    }
    assert!(
        tracker.heard_from(port) > 0,
        "fanout never announced its port {port}"
    );
}

fn torrent_file(kind: BackendKind) {
    through_the_tracker(kind, false);
}
each_backend!(torrent_file, 2);

fn magnet(kind: BackendKind) {
    through_the_tracker(kind, true);
}
each_backend!(magnet, 2);

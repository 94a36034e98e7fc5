//! The BitTorrent session's life in one engine: its listen port is open
//! while a torrent downloads or seeds, closed once the last one ends, and
//! open again for the next (issue 25: the listen port and the DHT are on
//! only while a torrent is active or seeding). DHT off, all on loopback.

use crate::support;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use fanout::engine::{Event, Job, SeedLimits};
use support::programs::free_port;
use support::torrent::{Seeder, bt_engine, files, until_complete, wait_for};

fn open(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

#[test]
fn the_port_is_open_only_while_a_torrent_runs() {
    let seeder = Seeder::start(&files());
    let port = free_port();
    let (engine, rx) = bt_engine(Some(port), |_| {});
    assert!(!open(port), "open before any torrent");
    let out = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let mut job = Job::new(&seeder.magnet, out.path().join(round.to_string()));
        job.torrent.peers = vec![seeder.addr];
        // Seeding a moment, to look at the port while it runs.
        job.torrent.seed = SeedLimits {
            ratio_milli: None,
            time: Some(Duration::from_secs(1)),
        };
        engine.submit(job);
        until_complete(&rx);
        assert!(open(port), "round {round}: closed while seeding");
        let r = wait_for(&rx, |e| match e {
            Event::Finished(r) => Some(r),
            _ => None,
        });
        assert!(r.is_ok(), "{r:?}");
        let deadline = Instant::now() + Duration::from_secs(5);
        while open(port) {
            assert!(
                Instant::now() < deadline,
                "round {round}: still open after the torrent ended"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

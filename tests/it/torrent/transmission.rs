//! fanout and transmission-daemon 3.00 as Debian ships it (`apt-get
//! install transmission-daemon`; skipped with a printed reason where
//! absent, a failure in CI), byte for byte, with DHT, local discovery,
//! peer exchange, uTP and port mapping off on transmission's side and
//! `--no-dht` on fanout's: fanout leeches a torrent transmission seeds,
//! given its address with `--peer`, and one transmission made itself
//! (`transmission-create`) through a tracker on loopback, where fanout
//! must dial out (transmission never dials a peer on 127.x); and fanout
//! seeds to transmission through the tracker.

use crate::support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fanout::engine::{Event, Job, SeedLimits};
use support::programs::{Killed, free_port, log_tail, require};
use support::torrent::{NAME, Seeder, bt_engine, files, get_whole, make_torrent, until_complete};
use support::tracker::Tracker;
use support::wait::until;

/// A transmission-daemon on loopback, its RPC on `rpc`, peers on `peer`.
struct Transmission {
    _daemon: Killed,
    rpc: u16,
    peer: u16,
    /// Its log (peers, trackers, errors), shown when a test gives up.
    log: std::path::PathBuf,
}

impl Transmission {
    /// Starts a daemon with a config of its own in `home`.
    fn start(home: &Path) -> Transmission {
        let (rpc, peer) = (free_port(), free_port());
        let config = home.join("config");
        std::fs::create_dir_all(&config).unwrap();
        // What the flags cannot say: no peer exchange, no uTP, and plain
        // handshakes tolerated (fanout's library has no encrypted one).
        let settings = serde_json::json!({
            "dht-enabled": false,
            "lpd-enabled": false,
            "pex-enabled": false,
            "utp-enabled": false,
            "port-forwarding-enabled": false,
            "encryption": 0,
            "peer-port": peer,
            "peer-port-random-on-start": false,
            "bind-address-ipv4": "127.0.0.1",
            "rpc-port": rpc,
            "rpc-bind-address": "127.0.0.1",
            "rpc-authentication-required": false,
            "rpc-whitelist": "127.0.0.1",
            "ratio-limit-enabled": false,
            "download-dir": home.join("downloads"),
            "message-level": 2,
        });
        std::fs::write(config.join("settings.json"), settings.to_string()).unwrap();
        let log = home.join("transmission.log");
        let child = Command::new("transmission-daemon")
            .args(["--foreground", "--config-dir"])
            .arg(&config)
            .arg("--logfile")
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let daemon = Killed(child);
        until(&format!("transmission-daemon listening on {rpc}"), || {
            std::net::TcpStream::connect(("127.0.0.1", rpc)).ok()
        });
        Transmission {
            _daemon: daemon,
            rpc,
            peer,
            log,
        }
    }

    fn remote(&self, args: &[&str]) -> String {
        let out = Command::new("transmission-remote")
            .arg(format!("127.0.0.1:{}", self.rpc))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Adds `torrent` with its data already in `dir`, and waits until
    /// transmission has checked it and seeds it.
    fn seed(&self, torrent: &Path, dir: &Path) {
        self.remote(&[
            "--add",
            torrent.to_str().unwrap(),
            "--download-dir",
            dir.to_str().unwrap(),
        ]);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let info = self.remote(&["--torrent", "all", "--info"]);
            // Checked and running: "Seeding", or "Idle" with no peer yet.
            let running = info.contains("State: Seeding") || info.contains("State: Idle");
            if info.contains("Percent Done: 100%") && running {
                return;
            }
            assert!(Instant::now() < deadline, "transmission never seeded:\n{info}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[test]
fn leeching_from_transmission_given_its_address() {
    if !require(&[
        ("transmission-daemon", "transmission-daemon"),
        ("transmission-remote", "transmission-cli"),
    ]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let seed = tmp.path().join("seed");
    let (torrent, _) = make_torrent(&seed, &files());
    let file = tmp.path().join("set.torrent");
    std::fs::write(&file, torrent).unwrap();
    let transmission = Transmission::start(&tmp.path().join("transmission"));
    transmission.seed(&file, &seed);
    let peer = format!("127.0.0.1:{}", transmission.peer);
    get_whole(
        file.to_str().unwrap(),
        &["--peer", &peer],
        &tmp.path().join("out"),
        "transmission",
    );
}

#[test]
fn leeching_from_transmission_through_a_tracker() {
    if !require(&[
        ("transmission-daemon", "transmission-daemon"),
        ("transmission-remote", "transmission-cli"),
        ("transmission-create", "transmission-cli"),
    ]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let tracker = Tracker::start();
    // transmission makes the torrent, with the tracker in it.
    let seed = tmp.path().join("seed");
    for (path, bytes) in files() {
        let p = seed.join(NAME).join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let file = tmp.path().join("set.torrent");
    let made = Command::new("transmission-create")
        .arg("-o")
        .arg(&file)
        .args(["-t", &tracker.announce_url()])
        .arg(seed.join(NAME))
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let transmission = Transmission::start(&tmp.path().join("transmission"));
    transmission.seed(&file, &seed);
    // Seeding is announced; fanout finds it at the tracker only.
    let deadline = Instant::now() + Duration::from_secs(30);
    while tracker.heard_from(transmission.peer) == 0 {
        assert!(Instant::now() < deadline, "transmission never announced");
        std::thread::sleep(Duration::from_millis(100));
    }
    get_whole(
        file.to_str().unwrap(),
        &[],
        &tmp.path().join("out"),
        "transmission",
    );
}

/// fanout seeds to transmission: it gets the torrent from a seeder of the
/// tests' own, which then leaves; transmission, finding fanout at the
/// tracker, gets the whole torrent from it (fanout dials it: transmission
/// does not dial peers on 127.x).
#[test]
fn seeding_to_transmission_through_a_tracker() {
    if !require(&[
        ("transmission-daemon", "transmission-daemon"),
        ("transmission-remote", "transmission-cli"),
    ]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let tracker = Tracker::start();
    let seeder = Seeder::with_tracker(&files(), &tracker.announce_url());
    let (engine, rx) = bt_engine(None, |_| {});
    let mut job = Job::new(&seeder.magnet, tmp.path().join("fanout"));
    job.torrent.peers = vec![seeder.addr];
    job.torrent.seed = SeedLimits {
        ratio_milli: Some(1000),
        time: None,
    };
    engine.submit(job);
    until_complete(&rx);
    // Only fanout has it now.
    let file = tmp.path().join("set.torrent");
    std::fs::write(&file, &seeder.torrent).unwrap();
    drop(seeder);
    let transmission = Transmission::start(&tmp.path().join("transmission"));
    let leech = tmp.path().join("leech");
    std::fs::create_dir_all(&leech).unwrap();
    transmission.remote(&[
        "--add",
        file.to_str().unwrap(),
        "--download-dir",
        leech.to_str().unwrap(),
    ]);
    // Done when fanout has uploaded the whole torrent once (its ratio).
    let deadline = Instant::now() + Duration::from_secs(30);
    let r = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Event::Finished(r)) => break r,
            Ok(_) => {}
            Err(_) => panic!(
                "fanout did not finish seeding in 30 s; transmission's log ends:\n{}",
                log_tail(&transmission.log, 60)
            ),
        }
    };
    assert!(r.is_ok(), "{r:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !transmission
        .remote(&["--torrent", "all", "--info"])
        .contains("Percent Done: 100%")
    {
        assert!(
            Instant::now() < deadline,
            "transmission did not finish; its log ends:\n{}",
            log_tail(&transmission.log, 60)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    for (path, bytes) in files() {
        assert!(
            std::fs::read(leech.join(NAME).join(path)).unwrap() == bytes,
            "{path}: not fanout's bytes"
        );
    }
}

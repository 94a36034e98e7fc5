//! What a running torrent shows and what can be changed while it runs,
//! from a seeder of the tests' own on 127.0.0.1 (DHT and local discovery
//! off): its metadata (files, sizes, where they go) and its swarm (the
//! seeder among its peers, seeding once complete); files chosen anew while
//! it runs; the upload limit, measured from a leecher's side; and a file
//! damaged on disk, whose bad pieces are fetched again.

use crate::support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fanout::engine::{
    Engine, Event, IfExists, Job, SeedLimits, SwarmNow, TaskResult, TorrentMeta, TorrentOptions,
};
use support::programs::free_port;
use support::torrent::{NAME, Seeder, bt_engine, files, leech_from, wait_for};

fn engine(port: Option<u16>, upload_limit: Option<u64>) -> (Engine, crossbeam_channel::Receiver<Event>) {
    bt_engine(port, |config| {
        config.torrent.upload_limit = upload_limit;
        config.if_exists = IfExists::Update;
    })
}

fn job(source: &str, out: &Path, seeder: &Seeder) -> Job {
    let mut job = Job::new(source, out);
    job.torrent.peers = vec![seeder.addr];
    job
}

fn finished(rx: &crossbeam_channel::Receiver<Event>) -> TaskResult {
    wait_for(rx, |e| match e {
        Event::Finished(r) => Some(r),
        _ => None,
    })
}

/// The metadata lists every file with its size and where it goes; the
/// swarm shows the seeder as a seeding peer, and the torrent itself
/// seeding once complete.
#[test]
fn a_torrent_shows_its_files_and_its_swarm() {
    // Slow enough to be seen in the swarm while it downloads (a complete
    // torrent drops its connections to seeders).
    let seeder = Seeder::start_limited(&files(), Some(200_000));
    let out = tempfile::tempdir().unwrap();
    let (engine, rx) = engine(None, None);
    let mut job = job(&seeder.magnet, out.path(), &seeder);
    job.torrent.seed = SeedLimits {
        ratio_milli: Some(0),
        time: Some(Duration::from_secs(3)),
    };
    engine.submit(job);
    let meta: Arc<TorrentMeta> = wait_for(&rx, |e| match e {
        Event::Torrent { meta, .. } => Some(meta),
        _ => None,
    });
    assert_eq!(meta.name, NAME);
    assert!(meta.multi_file);
    assert_eq!(meta.info_hash.len(), 40);
    let listed: Vec<(String, u64, bool)> = meta
        .files
        .iter()
        .map(|f| (f.name.clone(), f.length, f.selected))
        .collect();
    let wanted: Vec<(String, u64, bool)> = files()
        .iter()
        .map(|(p, b)| (p.to_string(), b.len() as u64, true))
        .collect();
    assert_eq!(listed, wanted);
    assert_eq!(meta.files[1].path, out.path().join(NAME).join("sub/b.txt"));
    // The seeder is among the peers, and once its bitfield has come (the
    // first report may be from before it), shown as a seeder.
    let mut last = None;
    let swarm: Arc<SwarmNow> = wait_for(&rx, |e| match e {
        Event::Swarm { swarm, .. } => {
            let seen = swarm.peers.iter().any(|p| p.addr == seeder.addr && p.seeder);
            last = Some(swarm.clone());
            seen.then_some(swarm)
        }
        Event::Finished(_) => panic!("finished before the seeder was seen: {last:?}"),
        _ => None,
    });
    assert_eq!(swarm.seeders, 1, "{swarm:?}");
    // Complete, it seeds until the time.
    let seeding: Arc<SwarmNow> = wait_for(&rx, |e| match e {
        Event::Swarm { swarm, .. } if swarm.seeding => Some(swarm),
        _ => None,
    });
    let total: u64 = files().iter().map(|(_, b)| b.len() as u64).sum();
    assert_eq!(seeding.file_done.iter().sum::<u64>(), total);
    assert!(finished(&rx).is_ok());
}

/// A torrent from a seeder held to `bps`, started with its second file
/// only, then told to take the third too while it runs: what it runs on,
/// and the metadata it reported before and after.
struct Rechosen {
    _seeder: Seeder,
    out: tempfile::TempDir,
    engine: Engine,
    rx: crossbeam_channel::Receiver<Event>,
    index: usize,
    first: Arc<TorrentMeta>,
    again: Arc<TorrentMeta>,
}

fn rechosen(bps: u32) -> Rechosen {
    let seeder = Seeder::start_limited(&files(), Some(bps));
    let out = tempfile::tempdir().unwrap();
    let (engine, rx) = engine(None, None);
    let mut job = job(&seeder.magnet, out.path(), &seeder);
    job.torrent.select = Some(vec![1]);
    let index = engine.submit(job);
    let meta = |rx: &crossbeam_channel::Receiver<Event>| -> Arc<TorrentMeta> {
        wait_for(rx, |e| match e {
            Event::Torrent { meta, .. } => Some(meta),
            _ => None,
        })
    };
    let first = meta(&rx);
    assert!(engine.select_files(index, Some(vec![1, 2])));
    let again = meta(&rx);
    Rechosen {
        _seeder: seeder,
        out,
        engine,
        rx,
        index,
        first,
        again,
    }
}

impl Rechosen {
    /// Done, with the two chosen files whole and the first never written.
    fn ends_with_the_chosen_files(&self) {
        let r = finished(&self.rx);
        assert!(r.is_ok(), "{r:?}");
        let root = self.out.path().join(NAME);
        for (i, (path, bytes)) in files().into_iter().enumerate() {
            match i {
                0 => assert!(!root.join(path).exists(), "{path} was not chosen"),
                _ => assert_eq!(std::fs::read(root.join(path)).unwrap(), bytes, "{path}"),
            }
        }
    }
}

/// A running torrent's files chosen anew: the one added is written, and
/// the ones kept are not fetched again.
#[test]
fn files_chosen_anew_while_it_runs() {
    // Slow enough that the torrent is still running when chosen anew.
    let t = rechosen(200_000);
    let chosen = |m: &TorrentMeta| m.files.iter().map(|f| f.selected).collect::<Vec<_>>();
    assert_eq!(chosen(&t.first), [false, true, false]);
    assert_eq!(chosen(&t.again), [false, true, true]);
    t.ends_with_the_chosen_files();
}

/// Seeds a torrent with the engine's upload limit `limit`, given at its
/// start or set once it seeds, then has a leecher that can only get the
/// torrent from fanout do so: it gets it whole, no faster than the limit.
fn a_leecher_is_held_to(limit: u64, at_start: bool) {
    let seeder = Seeder::start(&files());
    let out = tempfile::tempdir().unwrap();
    let port = free_port();
    let (mut engine, rx) = engine(Some(port), at_start.then_some(limit));
    let mut job = job(&seeder.magnet, out.path(), &seeder);
    job.torrent.seed = SeedLimits {
        ratio_milli: Some(0),
        time: Some(Duration::from_secs(60)),
    };
    engine.submit(job);
    wait_for(&rx, |e| match e {
        Event::Swarm { swarm, .. } if swarm.seeding => Some(()),
        _ => None,
    });
    if !at_start {
        let mut config = engine.config().clone();
        config.torrent.upload_limit = Some(limit);
        engine.reconfigure(config).unwrap();
    }
    let torrent = seeder.torrent.clone();
    drop(seeder);
    let second = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let got = leech_from(
        &torrent,
        format!("127.0.0.1:{port}").parse().unwrap(),
        second.path(),
    )
    .unwrap();
    let took = started.elapsed();
    // The limit's bucket starts full: one second's worth comes at once,
    // the rest at the limit (unlimited, it all comes in a fraction of a
    // second).
    let rate = got.saturating_sub(limit) as f64 / took.as_secs_f64();
    eprintln!("leecher got {got} bytes in {took:?}: {rate:.0} B/s after the first second's, limit {limit}");
    assert!(
        rate <= limit as f64 * 1.15,
        "{rate:.0} B/s from fanout, over its limit of {limit}"
    );
    let total: u64 = files().iter().map(|(_, b)| b.len() as u64).sum();
    assert_eq!(got, total);
}

/// With an upload limit, a leecher that gets the torrent from fanout alone
/// gets it no faster than the limit.
#[test]
fn the_upload_limit_holds_for_a_leecher() {
    a_leecher_is_held_to(150_000, true);
}

/// The limit over all torrents, set while one seeds, holds at once.
#[test]
fn an_upload_limit_set_while_it_seeds_holds() {
    a_leecher_is_held_to(150_000, false);
}

/// A finished torrent's file damaged on disk: fetched again over it
/// (`--if-exists update`), only the bad pieces come anew and the file is
/// whole again.
#[test]
fn damaged_pieces_are_fetched_again() {
    let seeder = Seeder::start(&files());
    let out = tempfile::tempdir().unwrap();
    {
        let (engine, rx) = engine(None, None);
        engine.submit(job(&seeder.magnet, out.path(), &seeder));
        assert!(finished(&rx).is_ok());
    }
    let a = out.path().join(NAME).join("a.bin");
    let mut bytes = std::fs::read(&a).unwrap();
    for b in &mut bytes[100_000..100_100] {
        *b ^= 0xff;
    }
    std::fs::write(&a, &bytes).unwrap();
    let before = seeder.uploaded();
    let (engine, rx) = engine(None, None);
    engine.submit(job(&seeder.magnet, out.path(), &seeder));
    let r = finished(&rx);
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(std::fs::read(&a).unwrap(), files()[0].1, "a.bin is whole again");
    let fetched = seeder.uploaded() - before;
    let total: u64 = files().iter().map(|(_, b)| b.len() as u64).sum();
    assert!(
        fetched > 0 && fetched < total / 2,
        "fetched {fetched} of {total} bytes again for one bad piece"
    );
}

/// A torrent from `seeder` into `out`, seeding for ten minutes once
/// complete: its engine, events and index, once it seeds.
fn seeding(
    seeder: &Seeder,
    out: &Path,
) -> (Engine, crossbeam_channel::Receiver<Event>, usize, TorrentOptions) {
    let (engine, rx) = engine(None, None);
    let mut job = job(&seeder.magnet, out, seeder);
    job.torrent.seed = SeedLimits {
        ratio_milli: Some(0),
        time: Some(Duration::from_secs(600)),
    };
    let options = job.torrent.clone();
    let index = engine.submit(job);
    wait_for(&rx, |e| match e {
        Event::Swarm { swarm, .. } if swarm.seeding => Some(()),
        _ => None,
    });
    (engine, rx, index, options)
}

/// Removing a torrent while it seeds ends the seeding and keeps its
/// files: the download is done, not cancelled.
#[test]
fn removing_a_seeding_torrent_keeps_its_files() {
    let seeder = Seeder::start(&files());
    let out = tempfile::tempdir().unwrap();
    let (engine, rx, index, _) = seeding(&seeder, out.path());
    assert!(engine.cancel(index));
    let r = finished(&rx);
    assert!(r.is_ok(), "{r:?}");
    for (path, bytes) in files() {
        assert_eq!(
            std::fs::read(out.path().join(NAME).join(path)).unwrap(),
            bytes,
            "{path}"
        );
    }
}

/// Seeding limits changed while a torrent seeds take effect at once: a
/// torrent told to seed for ten minutes, then for none, ends.
#[test]
fn seeding_limits_changed_while_it_seeds_take_effect() {
    let seeder = Seeder::start(&files());
    let out = tempfile::tempdir().unwrap();
    let (engine, rx, index, mut changed) = seeding(&seeder, out.path());
    changed.seed.time = Some(Duration::ZERO);
    assert!(engine.set_torrent_options(index, changed));
    let r = finished(&rx);
    assert!(r.is_ok(), "{r:?}");
}

/// Files chosen while a torrent runs stay chosen when it is paused and
/// resumed: its task starts again with them, not with the first choice.
#[test]
fn files_chosen_while_it_runs_stay_chosen_after_a_pause() {
    let t = rechosen(60_000);
    assert!(t.again.files[2].selected);
    assert!(t.engine.pause(t.index));
    wait_for(&t.rx, |e| matches!(e, Event::Paused { .. }).then_some(()));
    assert!(t.engine.resume(t.index));
    t.ends_with_the_chosen_files();
}

//! A BitTorrent seeder of the tests' own: a librqbit session on 127.0.0.1
//! with the DHT and local discovery off (as librqbit's own end-to-end
//! tests seed), on its own runtime thread, serving a folder of three files
//! (one in a subfolder, one with a non-ASCII name). Nothing leaves
//! loopback.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use librqbit::{AddTorrent, AddTorrentOptions, ListenerOptions, Session, SessionOptions};

/// The torrent's name, and its files' paths inside it with their bytes.
pub const NAME: &str = "set";

pub fn files() -> Vec<(&'static str, Vec<u8>)> {
    let bytes = |n: usize, seed: u8| {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    };
    vec![
        ("a.bin", bytes(300_000, 1)),
        ("sub/b.txt", bytes(70_001, 2)),
        ("名前 é.dat", bytes(123_457, 3)),
    ]
}

pub struct Seeder {
    /// Its runtime: dropping it ends the session's tasks and listener.
    _rt: tokio::runtime::Runtime,
    session: Arc<Session>,
    pub addr: SocketAddr,
    /// The `.torrent` file's bytes.
    pub torrent: Vec<u8>,
    /// `magnet:?xt=urn:btih:…` without trackers.
    pub magnet: String,
    _dir: tempfile::TempDir,
}

impl Seeder {
    /// Seeds `files` as the multi-file torrent [`NAME`] (one file alone:
    /// a single-file torrent, named as that file).
    pub fn start(files: &[(&str, Vec<u8>)]) -> Seeder {
        Seeder::start_limited(files, None)
    }

    /// The same, uploading at most `bps` bytes a second: what it has sent
    /// is then about what a leecher has received (not in flight).
    pub fn start_limited(files: &[(&str, Vec<u8>)], bps: Option<u32>) -> Seeder {
        Seeder::start_with(files, bps, None)
    }

    /// Seeds `files` with `tracker` in the torrent (and in the magnet),
    /// announcing its real port there (librqbit announces 4240 for a
    /// loopback listener unless told).
    pub fn with_tracker(files: &[(&str, Vec<u8>)], tracker: &str) -> Seeder {
        Seeder::start_with(files, None, Some(tracker))
    }

    /// Both: found through `tracker`, uploading at most `bps` a second.
    pub fn with_tracker_limited(files: &[(&str, Vec<u8>)], tracker: &str, bps: u32) -> Seeder {
        Seeder::start_with(files, Some(bps), Some(tracker))
    }

    fn start_with(files: &[(&str, Vec<u8>)], bps: Option<u32>, tracker: Option<&str>) -> Seeder {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(NAME);
        for (path, bytes) in files {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        // One file is its own torrent; several are the folder's.
        let made_of = match files {
            [(one, _)] => root.join(one),
            _ => root.clone(),
        };
        let (session, addr, torrent, magnet) = rt.block_on(seed(dir.path(), &made_of, root, bps, tracker));
        Seeder {
            _rt: rt,
            session,
            addr,
            torrent,
            magnet,
            _dir: dir,
        }
    }

    /// Bytes uploaded so far, over every torrent it seeds.
    pub fn uploaded(&self) -> u64 {
        self.session
            .with_torrents(|ts| ts.map(|(_, t)| t.stats().uploaded_bytes).sum())
    }
}

async fn seed(
    dir: &Path,
    made_of: &Path,
    root: PathBuf,
    bps: Option<u32>,
    tracker: Option<&str>,
) -> (Arc<Session>, SocketAddr, Vec<u8>, String) {
    // librqbit's session builds a reqwest client, which needs a TLS provider.
    fanout::engine::crypto_provider();
    let spawner = librqbit::spawn_utils::BlockingSpawner::new(1);
    let made = librqbit::create_torrent(
        made_of,
        librqbit::CreateTorrentOptions {
            piece_length: Some(32 * 1024),
            trackers: tracker.into_iter().map(str::to_string).collect(),
            ..Default::default()
        },
        &spawner,
    )
    .await
    .unwrap();
    let torrent = made.as_bytes().unwrap().to_vec();
    let trackers = tracker.into_iter().map(str::to_string).collect();
    let magnet = librqbit_core::magnet::Magnet::from_id20(made.info_hash(), trackers, None).to_string();
    // A tracker must be told the port it is reached on.
    let port = match tracker {
        Some(_) => std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port(),
        None => 0,
    };
    let session = Session::new_with_opts(
        dir.join("unused"),
        SessionOptions {
            dht: None,
            disable_local_service_discovery: true,
            listen: Some(ListenerOptions {
                listen_addr: (Ipv4Addr::LOCALHOST, port).into(),
                announce_port: tracker.map(|_| port),
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let handle = session
        .add_torrent(
            AddTorrent::from_bytes(torrent.clone()),
            Some(AddTorrentOptions {
                overwrite: true,
                output_folder: Some(root.to_string_lossy().into_owned()),
                ratelimits: librqbit::limits::LimitsConfig {
                    upload_bps: bps.and_then(std::num::NonZeroU32::new),
                    download_bps: None,
                },
                ..Default::default()
            }),
        )
        .await
        .unwrap()
        .into_handle()
        .unwrap();
    // Seeding once its own files are checked.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !handle.stats().finished {
        assert!(
            std::time::Instant::now() < deadline,
            "the seeder never finished checking"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let addr = session.listen_addr().expect("the seeder listens");
    (session, addr, torrent, magnet)
}

/// Downloads `torrent` from `peer` alone into `out` with a librqbit
/// session of the test's own (DHT, discovery and listening off): whether
/// that peer seeds. The bytes it got from the peer, or why not.
pub fn leech_from(torrent: &[u8], peer: SocketAddr, out: &Path) -> Result<u64, String> {
    fanout::engine::crypto_provider();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let session = Session::new_with_opts(
            out.to_path_buf(),
            SessionOptions {
                dht: None,
                disable_local_service_discovery: true,
                listen: None,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("{e:#}"))?;
        let handle = session
            .add_torrent(
                AddTorrent::from_bytes(torrent.to_vec()),
                Some(AddTorrentOptions {
                    initial_peers: Some(vec![peer]),
                    output_folder: Some(out.to_string_lossy().into_owned()),
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| format!("{e:#}"))?
            .into_handle()
            .ok_or("not added")?;
        tokio::time::timeout(Duration::from_secs(30), handle.wait_until_completed())
            .await
            .map_err(|_| format!("not complete after 30 s: {}", handle.stats()))?
            .map_err(|e| format!("{e:#}"))?;
        Ok(handle.stats().progress_bytes)
    })
}

/// Writes `files` under `dir/NAME` and makes their torrent (32 KiB
/// pieces): its bytes and its info hash in hex, for seeders other than
/// librqbit.
pub fn make_torrent(dir: &Path, files: &[(&str, Vec<u8>)]) -> (Vec<u8>, String) {
    let root = dir.join(NAME);
    for (path, bytes) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let spawner = librqbit::spawn_utils::BlockingSpawner::new(1);
        let options = librqbit::CreateTorrentOptions {
            piece_length: Some(32 * 1024),
            ..Default::default()
        };
        let made = librqbit::create_torrent(&root, options, &spawner).await.unwrap();
        (made.as_bytes().unwrap().to_vec(), made.info_hash().as_string())
    })
}

/// An engine of async tasks for torrents, nothing leaving loopback (no
/// DHT, no local discovery), its BitTorrent port `port` (else one the
/// system picks), set up further by `adjust`; and its events.
pub fn bt_engine(
    port: Option<u16>,
    adjust: impl FnOnce(&mut fanout::engine::EngineConfig),
) -> (
    fanout::engine::Engine,
    crossbeam_channel::Receiver<fanout::engine::Event>,
) {
    let mut config = fanout::engine::EngineConfig::new(fanout::engine::BackendKind::Async { limit: 2 });
    config.torrent.dht = false;
    config.torrent.port = port;
    adjust(&mut config);
    let (tx, rx) = crossbeam_channel::unbounded();
    (
        fanout::engine::Engine::new(config, tx, Arc::new(|| {})).unwrap(),
        rx,
    )
}

/// Events until `pick` gives something, within 30 s.
pub fn wait_for<T>(
    rx: &crossbeam_channel::Receiver<fanout::engine::Event>,
    mut pick: impl FnMut(fanout::engine::Event) -> Option<T>,
) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let event = rx.recv_timeout(left).expect("no such event within 30 s");
        if let Some(t) = pick(event) {
            return t;
        }
    }
}

/// Waits (30 s at most between events) until a torrent's progress reaches
/// its size; panics if it finishes first.
pub fn until_complete(rx: &crossbeam_channel::Receiver<fanout::engine::Event>) {
    use fanout::engine::Event;
    loop {
        match rx.recv_timeout(Duration::from_secs(30)).unwrap() {
            Event::Progress {
                bytes,
                total: Some(t),
                ..
            } if bytes == t => return,
            Event::Finished(r) => panic!("finished before it was complete: {r:?}"),
            _ => {}
        }
    }
}

/// `fanout get --no-dht -o OUT ARGS SOURCE`, and every file of [`files`]
/// under `out/NAME`, byte for byte as `seeder` (who seeded) has it.
pub fn get_whole(source: &str, args: &[&str], out: &Path, seeder: &str) {
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(["get", "--no-dht", "-o"])
        .arg(out)
        .args(args)
        .arg(source)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    for (path, bytes) in files() {
        let got = std::fs::read(out.join(NAME).join(path)).unwrap();
        assert!(
            got == bytes,
            "{path}: {} bytes, not {seeder}'s {}",
            got.len(),
            bytes.len()
        );
    }
}

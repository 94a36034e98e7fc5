//! A torrent as the front ends see it ([`crate::bt`]), made from
//! librqbit's listing and statistics.
//!
//! librqbit counts the seeders among the live peers but does not say which
//! peers they are. A peer is shown as a seeder when every live peer is one,
//! or else when it is among the `seeders` peers that sent the most bytes
//! (a seeder is who pieces come from); with no seeder, none is.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use librqbit::ManagedTorrent;

use super::plan::{Listed, Plan};
use crate::bt::{PeerNow, SwarmNow, TorrentFile, TorrentMeta};

/// The metadata of a listed torrent, its files planned by `all` (every
/// file's path) and chosen by `select`.
pub(super) fn meta(
    info_hash: String,
    torrent_bytes: &[u8],
    listed: &[Listed],
    all: &Plan,
    select: Option<&[usize]>,
    piece_length: u64,
    pieces: u32,
) -> TorrentMeta {
    let parsed = librqbit_core::torrent_metainfo::torrent_from_bytes(torrent_bytes).ok();
    let announce = parsed.as_ref().map_or_else(Vec::new, |t| {
        let tiers: Vec<Vec<String>> = t
            .announce_list
            .iter()
            .map(|tier| tier.iter().map(text).collect())
            .filter(|tier: &Vec<String>| !tier.is_empty())
            .collect();
        match (&t.announce, tiers.is_empty()) {
            (Some(one), true) => vec![vec![text(one)]],
            _ => tiers,
        }
    });
    TorrentMeta {
        info_hash,
        name: all.name.clone(),
        files: listed
            .iter()
            .zip(&all.paths)
            .enumerate()
            .map(|(i, (f, path))| TorrentFile {
                name: f.components.join("/"),
                path: path.clone().unwrap_or_default(),
                length: f.len,
                selected: select.is_none_or(|s| s.contains(&i)),
            })
            .collect(),
        announce,
        comment: parsed.as_ref().and_then(|t| t.comment.as_ref().map(text)),
        created: parsed
            .as_ref()
            .and_then(|t| t.creation_date)
            .and_then(|d| i64::try_from(d).ok()),
        multi_file: listed.len() > 1,
        piece_length,
        pieces,
    }
}

/// Bytes of a torrent's text field, as text.
fn text(b: &impl AsRef<[u8]>) -> String {
    String::from_utf8_lossy(b.as_ref()).into_owned()
}

/// Each peer's byte counters at the last look, for its speeds.
pub(super) struct Speeds {
    at: Instant,
    counters: HashMap<String, (u64, u64)>,
}

impl Speeds {
    pub(super) fn new() -> Speeds {
        Speeds {
            at: Instant::now(),
            counters: HashMap::new(),
        }
    }

    /// The swarm now; `seeding` as the driver knows it.
    pub(super) fn swarm(&mut self, handle: &ManagedTorrent, seeding: bool) -> SwarmNow {
        let stats = handle.stats();
        let per_second = |mbps: f64| (mbps * 1024.0 * 1024.0).max(0.0) as u64;
        let (down, up, seeders) = stats.live.as_ref().map_or((0, 0, 0), |l| {
            (
                per_second(l.download_speed.mbps),
                per_second(l.upload_speed.mbps),
                l.snapshot.peer_stats.live_seeders as usize,
            )
        });
        let now = Instant::now();
        let secs = now.duration_since(self.at).as_secs_f64().max(0.001);
        self.at = now;
        // The default filter is the live peers (librqbit does not export
        // its type's name).
        let snapshot = handle
            .live()
            .map(|l| l.per_peer_stats_snapshot(Default::default()));
        let mut counters = HashMap::new();
        let mut peers: Vec<(PeerNow, u64)> = Vec::new();
        for (addr, p) in snapshot.map(|s| s.peers).unwrap_or_default() {
            let (fetched, uploaded) = (p.counters.fetched_bytes, p.counters.uploaded_bytes);
            let (f0, u0) = self.counters.get(&addr).copied().unwrap_or((fetched, uploaded));
            counters.insert(addr.clone(), (fetched, uploaded));
            let Ok(addr) = addr.parse::<SocketAddr>() else {
                continue;
            };
            let speed = |now: u64, then: u64| (now.saturating_sub(then) as f64 / secs) as u64;
            peers.push((
                PeerNow {
                    addr,
                    client: p.client_name,
                    download_speed: speed(fetched, f0),
                    upload_speed: speed(uploaded, u0),
                    seeder: false,
                },
                fetched,
            ));
        }
        self.counters = counters;
        // See the module's note: the most giving peers are the seeders.
        peers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.addr.cmp(&b.0.addr)));
        let all = seeders >= peers.len();
        for (k, (peer, _)) in peers.iter_mut().enumerate() {
            peer.seeder = all && seeders > 0 || k < seeders;
        }
        let mut peers: Vec<PeerNow> = peers.into_iter().map(|(p, _)| p).collect();
        peers.sort_by_key(|p| p.addr);
        SwarmNow {
            peers,
            seeders,
            download_speed: down,
            upload_speed: up,
            uploaded: stats.uploaded_bytes,
            seeding,
            file_done: stats.file_progress,
        }
    }
}

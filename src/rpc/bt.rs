//! A torrent in aria2's words: a magnet's two downloads (see
//! [`Part`]), `tellStatus`'s BitTorrent fields, one `files` entry per file
//! of the torrent, and `getPeers`' peers, all read from the engine's
//! [`crate::engine::TorrentMeta`] and [`crate::engine::SwarmNow`].

use serde_json::{Value, json};

use super::status::{Download, Gids, Part, Status};

pub use crate::engine::is_magnet;

/// Whether a task's URL names a torrent before anything is fetched: a
/// magnet, or a `.torrent` file (a path or a `file:` URL).
pub fn is_torrent_source(url: &str) -> bool {
    is_magnet(url)
        || url
            .rsplit(['/', '\\'])
            .next()
            .is_some_and(|name| name.to_ascii_lowercase().ends_with(".torrent"))
            && !url.starts_with("http://")
            && !url.starts_with("https://")
}

/// aria2's downloads of one task: a magnet whose metadata is known is two
/// (its metadata, complete, then the real download); any other task is
/// itself.
pub fn views(d: Download) -> Vec<Download> {
    if !is_magnet(&d.url) || d.torrent.is_none() {
        return vec![d];
    }
    let metadata = Download {
        status: Status::Complete,
        total: Some(0),
        done: 0,
        speed: 0,
        connections: 0,
        path: None,
        error: None,
        swarm: None,
        part: Part::Metadata,
        ..d.clone()
    };
    vec![
        metadata,
        Download {
            part: Part::Following,
            ..d
        },
    ]
}

/// The view of `d` a gid names (`following`: its second gid); `None` when
/// it names no download (a second gid of a task that has none).
pub fn view(d: Download, following: bool) -> Option<Download> {
    let mut all = views(d);
    match (following, all.len()) {
        (false, _) => Some(all.remove(0)),
        (true, 2) => all.pop(),
        (true, _) => None,
    }
}

/// The info hash of a magnet (`xt=urn:btih:` in hex), before its metadata
/// is known.
fn magnet_hash(url: &str) -> Option<String> {
    let at = url.to_ascii_lowercase().find("urn:btih:")? + "urn:btih:".len();
    let hash: String = url[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    (hash.len() == 40 && hash.chars().all(|c| c.is_ascii_hexdigit())).then(|| hash.to_ascii_lowercase())
}

/// `tellStatus`'s fields of a torrent (none for another download), put
/// over the plain ones.
pub fn status(d: &Download, gids: &Gids) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let hash = d
        .torrent
        .as_ref()
        .map(|t| t.info_hash.clone())
        .or_else(|| magnet_hash(&d.url));
    if let Some(hash) = hash {
        out.push(("infoHash", json!(hash)));
    }
    match d.part {
        Part::Metadata => out.push(("followedBy", json!([gids.of(d.index, Part::Following)]))),
        Part::Following => out.push(("following", json!(gids.of(d.index, Part::Task)))),
        Part::Task => {}
    }
    let Some(meta) = &d.torrent else {
        return out;
    };
    let mut bittorrent = json!({ "announceList": meta.announce });
    if d.part != Part::Metadata {
        bittorrent["mode"] = json!(if meta.multi_file { "multi" } else { "single" });
        bittorrent["info"] = json!({ "name": meta.name });
        if let Some(c) = &meta.comment {
            bittorrent["comment"] = json!(c);
        }
        if let Some(t) = meta.created {
            bittorrent["creationDate"] = json!(t);
        }
    }
    out.push(("bittorrent", bittorrent));
    if d.part == Part::Metadata {
        out.extend([("numSeeders", json!("0")), ("seeder", json!("false"))]);
        return out;
    }
    let swarm = d.swarm.as_deref().cloned().unwrap_or_default();
    let running = d.status == Status::Active;
    let speed = |s: u64| json!(if running { s } else { 0 }.to_string());
    let seeder = d.status == Status::Complete || (running && swarm.seeding);
    out.extend([
        ("uploadLength", json!(swarm.uploaded.to_string())),
        ("downloadSpeed", speed(swarm.download_speed)),
        ("uploadSpeed", speed(swarm.upload_speed)),
        (
            "connections",
            json!(if running { swarm.peers.len() } else { 0 }.to_string()),
        ),
        (
            "numSeeders",
            json!(if running { swarm.seeders } else { 0 }.to_string()),
        ),
        ("seeder", json!(seeder.to_string())),
        ("numPieces", json!(meta.pieces.to_string())),
        ("pieceLength", json!(meta.piece_length.to_string())),
    ]);
    out
}

/// `getFiles` (and `tellStatus`'s `files`) of a torrent: every file of
/// it, 1-based, selected or not; `None` for another download.
pub fn files(d: &Download) -> Option<Value> {
    if d.part == Part::Metadata {
        let name = d
            .torrent
            .as_ref()
            .map(|t| t.info_hash.clone())
            .unwrap_or_default();
        return Some(json!([{
            "index": "1",
            "path": format!("[METADATA]{name}"),
            "length": "0",
            "completedLength": "0",
            "selected": "true",
            "uris": [],
        }]));
    }
    let meta = d.torrent.as_ref()?;
    let done = d.swarm.as_ref().map(|s| s.file_done.clone()).unwrap_or_default();
    let whole = d.status == Status::Complete;
    let files: Vec<Value> = meta
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let completed = match done.get(i) {
                _ if whole && f.selected => f.length,
                Some(&n) => n.min(f.length),
                None => 0,
            };
            json!({
                "index": (i + 1).to_string(),
                "path": f.path.display().to_string(),
                "length": f.length.to_string(),
                "completedLength": completed.to_string(),
                "selected": f.selected.to_string(),
                "uris": [],
            })
        })
        .collect();
    Some(Value::Array(files))
}

/// `getPeers`: the peers connected now. What the engine does not know is
/// given as aria2 would for a peer that told nothing: `peerId` empty (the
/// peer's id is not kept), a seeder's `bitfield` all pieces, another's
/// none (which pieces it has is not kept), and the choking flags read
/// from the data flowing (a peer sending to us does not choke us).
pub fn peers(d: &Download) -> Value {
    let (Some(meta), Some(swarm)) = (&d.torrent, &d.swarm) else {
        return json!([]);
    };
    if d.status != Status::Active || d.part == Part::Metadata {
        return json!([]);
    }
    let peers: Vec<Value> = swarm
        .peers
        .iter()
        .map(|p| {
            json!({
                "peerId": "",
                "ip": p.addr.ip().to_string(),
                "port": p.addr.port().to_string(),
                "bitfield": bitfield(meta.pieces, p.seeder),
                "amChoking": (p.upload_speed == 0).to_string(),
                "peerChoking": (p.download_speed == 0).to_string(),
                "downloadSpeed": p.download_speed.to_string(),
                "uploadSpeed": p.upload_speed.to_string(),
                "seeder": p.seeder.to_string(),
            })
        })
        .collect();
    Value::Array(peers)
}

/// A bitfield of `pieces` in hex, every piece set or none.
fn bitfield(pieces: u32, all: bool) -> String {
    let bytes = pieces.div_ceil(8) as usize;
    let mut hex = String::with_capacity(bytes * 2);
    for i in 0..bytes {
        let byte = match (all, i + 1 == bytes && !pieces.is_multiple_of(8)) {
            (false, _) => 0u8,
            (true, false) => 0xff,
            (true, true) => 0xffu8 << (8 - pieces % 8),
        };
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeders_bitfield_has_every_piece_and_no_more() {
        assert_eq!(bitfield(8, true), "ff");
        assert_eq!(bitfield(10, true), "ffc0");
        assert_eq!(bitfield(10, false), "0000");
        assert_eq!(bitfield(0, true), "");
    }

    #[test]
    fn torrents_are_known_by_their_url() {
        assert!(is_torrent_source("magnet:?xt=urn:btih:ab"));
        assert!(is_torrent_source("file:///tmp/a.torrent"));
        assert!(!is_torrent_source("https://h/a.torrent"));
        assert!(!is_torrent_source("https://h/a.iso"));
        let hash = "AB".repeat(20);
        assert_eq!(
            magnet_hash(&format!("magnet:?xt=urn:btih:{hash}&dn=x")),
            Some(hash.to_lowercase())
        );
        assert!(is_torrent_source("/dl/a.torrent"));
    }
}

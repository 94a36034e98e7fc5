//! What a torrent shows its front ends, in the engine's own types (no
//! librqbit type leaves the transfer): its metadata once known, and its
//! swarm every second while it runs. The window's row and file list, and
//! the RPC's `tellStatus`, `getFiles` and `getPeers`, read these.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A torrent's metadata: for a magnet, once its peers sent it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TorrentMeta {
    /// The v1 info hash, 40 lower-case hex digits.
    pub info_hash: String,
    /// The torrent's name (its `info.name`).
    pub name: String,
    /// Every file in the torrent's order, selected or not.
    pub files: Vec<TorrentFile>,
    /// The trackers, in tiers (`announce-list`, or the one `announce`).
    pub announce: Vec<Vec<String>>,
    pub comment: Option<String>,
    /// Seconds since the epoch (`creation date`).
    pub created: Option<i64>,
    /// Several files in a folder of the torrent's name (aria2's `multi`
    /// mode), or one file (`single`).
    pub multi_file: bool,
    pub piece_length: u64,
    pub pieces: u32,
}

impl TorrentMeta {
    /// The bytes of the selected files.
    pub fn selected_bytes(&self) -> u64 {
        self.files.iter().filter(|f| f.selected).map(|f| f.length).sum()
    }
}

/// One file of a torrent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TorrentFile {
    /// Its path inside the torrent, as the torrent names it (`/`-joined).
    pub name: String,
    /// Where it is (or would be) written.
    pub path: PathBuf,
    pub length: u64,
    pub selected: bool,
}

/// A running torrent's swarm now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SwarmNow {
    /// The peers connected now.
    pub peers: Vec<PeerNow>,
    /// How many of them have the whole torrent.
    pub seeders: usize,
    /// Bytes per second, over the last second or so.
    pub download_speed: u64,
    pub upload_speed: u64,
    /// Bytes uploaded since the torrent started in this run.
    pub uploaded: u64,
    /// Complete, and kept up for others (the seeding limits not reached).
    pub seeding: bool,
    /// Verified bytes of each file, in the torrent's order.
    pub file_done: Vec<u64>,
}

impl SwarmNow {
    /// Uploaded over `size`, as clients show a ratio.
    pub fn ratio(&self, size: u64) -> f64 {
        self.uploaded as f64 / size.max(1) as f64
    }
}

/// One connected peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerNow {
    pub addr: SocketAddr,
    /// Its client, as it named itself, when it did.
    pub client: Option<String>,
    /// Bytes per second from it and to it.
    pub download_speed: u64,
    pub upload_speed: u64,
    /// Whether it has the whole torrent (see `transfer::torrent::view` for
    /// how far that is known).
    pub seeder: bool,
}

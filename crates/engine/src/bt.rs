//! What a torrent shows its front ends, in the engine's own types (no
//! librqbit type leaves the transfer): its metadata once known, and its
//! swarm every second while it runs. The window's row and file list, and
//! the RPC's `tellStatus`, `getFiles` and `getPeers`, read these. Also
//! the words a torrent's choices are written in, as aria2 writes them
//! (`select-file=1,3-4`, `seed-ratio=1.5`, `seed-time=30`), for the CLI,
//! the options on a line of an input file and the RPC alike.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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

/// `1,3-4` (1-based files, as aria2's `select-file`) into 0-based indexes,
/// in order, without repeats; `None` if it is not such a list.
pub fn parse_select(text: &str) -> Option<Vec<usize>> {
    let mut out: Vec<usize> = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let a: usize = a.trim().parse().ok()?;
        let b: usize = b.trim().parse().ok()?;
        if a == 0 || b < a || b - a > 1 << 20 {
            return None;
        }
        out.extend((a..=b).map(|n| n - 1));
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// 0-based indexes written back as [`parse_select`] reads them
/// (`[0, 2, 3]` is `1,3-4`).
pub fn select_text(select: &[usize]) -> String {
    let mut sorted = select.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        while i + 1 < sorted.len() && sorted[i + 1] == sorted[i] + 1 {
            i += 1;
        }
        parts.push(match sorted[i] {
            end if end == start => (start + 1).to_string(),
            end => format!("{}-{}", start + 1, end + 1),
        });
        i += 1;
    }
    parts.join(",")
}

/// A seeding ratio (`1.5`, `0.0`) in thousandths; `None` if it is not a
/// number of 0 or more.
pub fn parse_ratio(text: &str) -> Option<u64> {
    let r: f64 = text.trim().parse().ok()?;
    // Rounded to thousandths: finer ratios mean nothing for seeding.
    (r.is_finite() && r >= 0.0).then(|| (r * 1000.0).round() as u64)
}

/// A ratio in thousandths as [`parse_ratio`] reads it (`1500` is `1.5`).
pub fn ratio_text(milli: u64) -> String {
    let whole = format!("{}.{:03}", milli / 1000, milli % 1000);
    let trimmed = whole.trim_end_matches('0');
    trimmed
        .strip_suffix('.')
        .map_or(trimmed.to_string(), |t| format!("{t}.0"))
}

/// Minutes, maybe fractional, as aria2's `seed-time`; `None` if it is not
/// a time of 0 or more.
pub fn parse_minutes(text: &str) -> Option<Duration> {
    let m: f64 = text.trim().parse().ok()?;
    (m.is_finite() && (0.0..1e9).contains(&m)).then(|| Duration::from_secs_f64(m * 60.0))
}

/// A time as [`parse_minutes`] reads it.
pub fn minutes_text(time: Duration) -> String {
    (time.as_secs_f64() / 60.0).to_string()
}

/// A peer as `HOST:PORT` (a name is looked up).
pub fn parse_peer(text: &str) -> Option<SocketAddr> {
    use std::net::ToSocketAddrs;
    text.trim().to_socket_addrs().ok()?.next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_read_back_as_written() {
        assert_eq!(parse_select("1,3-4"), Some(vec![0, 2, 3]));
        assert_eq!(parse_select("2, 2,1"), Some(vec![0, 1]));
        for bad in ["0", "3-1", "a", ""] {
            assert_eq!(parse_select(bad), None, "{bad}");
        }
        assert_eq!(select_text(&[0, 2, 3]), "1,3-4");
        assert_eq!(select_text(&[4]), "5");
        assert_eq!(parse_ratio("1.5"), Some(1500));
        assert_eq!(parse_ratio("-1"), None);
        for r in [0, 1, 1000, 1500, 2250] {
            assert_eq!(parse_ratio(&ratio_text(r)), Some(r), "{r}");
        }
        assert_eq!(ratio_text(1000), "1.0");
        assert_eq!(parse_minutes("0.5"), Some(Duration::from_secs(30)));
        assert_eq!(
            parse_minutes(&minutes_text(Duration::from_secs(90))),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_peer("127.0.0.1:6881"),
            Some("127.0.0.1:6881".parse().unwrap())
        );
        assert_eq!(parse_peer("nope"), None);
    }
}

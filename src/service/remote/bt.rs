//! A server's torrent in the engine's own types: `tellStatus`'s
//! BitTorrent fields (`infoHash`, `bittorrent`, `files` with their sizes
//! and choice, the swarm's numbers) read into the [`TorrentMeta`] and
//! [`SwarmNow`] a row of fanout's own would have, so the window's file
//! list and swarm columns draw a server's torrent as they draw a local one.
//! No network here.
//!
//! Choices where the issue is silent:
//! - The peers stay empty: they would take a `getPeers` per torrent every
//!   poll; the seeders' count comes with the status.
//! - Only a torrent whose metadata is known has these (a magnet's metadata
//!   download, `[METADATA]…`, has no files to choose).
//! - A field that does not fit (a size that is not a number) leaves the
//!   download without its torrent view, not the whole list unread: the
//!   download itself is still shown from its plain fields.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::engine::{SwarmNow, TorrentFile, TorrentMeta};
use aria2_rpc::types::{DownloadStatus, Status, string_number};

/// What the remote view asks of every download besides
/// [`Status::LISTED_KEYS`]: a torrent's own fields.
pub(super) const KEYS: [&str; 8] = [
    "infoHash",
    "uploadLength",
    "downloadSpeed",
    "uploadSpeed",
    "numSeeders",
    "seeder",
    "numPieces",
    "pieceLength",
];

/// The keys asked of every download: the plain ones and a torrent's.
pub(super) fn listed_keys() -> Vec<&'static str> {
    let mut keys = Status::LISTED_KEYS.to_vec();
    keys.extend(KEYS);
    keys
}

/// A torrent's fields of one `tellStatus` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Bt {
    #[serde(default)]
    info_hash: Option<String>,
    #[serde(default)]
    bittorrent: Option<BtFields>,
    #[serde(default)]
    files: Vec<BtFile>,
    #[serde(default, deserialize_with = "number")]
    upload_length: u64,
    #[serde(default, deserialize_with = "number")]
    download_speed: u64,
    #[serde(default, deserialize_with = "number")]
    upload_speed: u64,
    #[serde(default, deserialize_with = "number")]
    num_seeders: u64,
    #[serde(default)]
    seeder: Option<String>,
    #[serde(default, deserialize_with = "number")]
    num_pieces: u64,
    #[serde(default, deserialize_with = "number")]
    piece_length: u64,
}

/// `bittorrent` of `tellStatus`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BtFields {
    #[serde(default)]
    announce_list: Vec<Vec<String>>,
    #[serde(default)]
    comment: Option<String>,
    /// aria2 sends a number; a string of digits is taken too.
    #[serde(default)]
    creation_date: Option<Value>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    info: Option<BtInfoName>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
struct BtInfoName {
    name: String,
}

/// One file of `files`, as aria2 gives a torrent's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BtFile {
    #[serde(default)]
    path: String,
    #[serde(default, deserialize_with = "number")]
    length: u64,
    #[serde(default, deserialize_with = "number")]
    completed_length: u64,
    #[serde(default)]
    selected: Option<String>,
}

/// aria2's number in a string, strictly.
fn number<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    string_number::deserialize(d)
}

impl Bt {
    /// The torrent fields of one entry of a list; `None` for a download
    /// that is no torrent (or whose torrent is not known yet), or whose
    /// fields do not fit.
    pub(super) fn read(entry: &Value) -> Option<Bt> {
        entry.get("infoHash")?;
        let info = entry.get("bittorrent")?.get("info")?;
        info.get("name")?;
        match serde_json::from_value::<Bt>(entry.clone()) {
            Ok(bt) => Some(bt),
            Err(e) => {
                tracing::debug!(error = %e, "a torrent's fields do not fit: shown without them");
                None
            }
        }
    }

    /// The torrent's metadata and its files as the server lists them;
    /// `None` for a magnet's metadata download.
    pub(super) fn meta(&self, status: &Status) -> Option<TorrentMeta> {
        if status.is_metadata() {
            return None;
        }
        let fields = self.bittorrent.as_ref()?;
        let name = fields.info.as_ref()?.name.clone();
        let multi_file = match fields.mode.as_deref() {
            Some(mode) => mode == "multi",
            None => self.files.len() > 1,
        };
        let dir = status.dir.as_deref().unwrap_or("");
        let files = self
            .files
            .iter()
            .map(|f| TorrentFile {
                name: inside(&f.path, dir, &name, multi_file),
                path: f.path.clone().into(),
                length: f.length,
                // aria2 says "true" or "false"; a server that says nothing
                // downloads every file.
                selected: f.selected.as_deref() != Some("false"),
            })
            .collect();
        let created = fields.creation_date.as_ref().and_then(|d| match d {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
        Some(TorrentMeta {
            info_hash: self.info_hash.clone().unwrap_or_default().to_ascii_lowercase(),
            name,
            files,
            announce: fields.announce_list.clone(),
            comment: fields.comment.clone().filter(|c| !c.is_empty()),
            created,
            multi_file,
            piece_length: self.piece_length,
            pieces: u32::try_from(self.num_pieces).unwrap_or(u32::MAX),
        })
    }

    /// The swarm now, as the server counts it: seeding while it runs
    /// complete (aria2's `seeder` of an active download).
    pub(super) fn swarm(&self, status: &Status) -> SwarmNow {
        let active = status.status == DownloadStatus::Active;
        SwarmNow {
            peers: Vec::new(),
            seeders: usize::try_from(self.num_seeders).unwrap_or(usize::MAX),
            download_speed: self.download_speed,
            upload_speed: self.upload_speed,
            uploaded: self.upload_length,
            seeding: active && self.seeder.as_deref() == Some("true"),
            file_done: self.files.iter().map(|f| f.completed_length).collect(),
        }
    }
}

/// A file's path inside the torrent (`/`-joined), from where the server
/// writes it: its folder, and a multi-file torrent's own folder, taken
/// off. A path elsewhere (a server that moved it) keeps its file name.
fn inside(path: &str, dir: &str, name: &str, multi_file: bool) -> String {
    let path = path.replace('\\', "/");
    let dir = dir.replace('\\', "/");
    let dir = dir.trim_end_matches('/');
    let rest = match path.strip_prefix(dir) {
        Some(rest) if !dir.is_empty() && rest.starts_with('/') => rest.trim_start_matches('/'),
        _ => return path.rsplit('/').next().unwrap_or(&path).to_string(),
    };
    if multi_file
        && let Some(inner) = rest.strip_prefix(name)
        && let Some(inner) = inner.strip_prefix('/')
    {
        return inner.to_string();
    }
    rest.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_place_inside_the_torrent_is_its_path_less_the_folders() {
        assert_eq!(inside("/srv/dl/T/sub/b.txt", "/srv/dl", "T", true), "sub/b.txt");
        assert_eq!(inside("/srv/dl/T/a.bin", "/srv/dl/", "T", true), "a.bin");
        assert_eq!(inside("/srv/dl/one.iso", "/srv/dl", "one.iso", false), "one.iso");
        assert_eq!(inside(r"C:\dl\T\x\y.txt", r"C:\dl", "T", true), "x/y.txt");
        assert_eq!(inside("/elsewhere/T/a.bin", "/srv/dl", "T", true), "a.bin");
        // A folder whose name only starts as the download folder's.
        assert_eq!(inside("/srv/dl2/T/a.bin", "/srv/dl", "T", true), "a.bin");
    }
}

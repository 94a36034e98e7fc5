//! aria2's JSON-RPC replies as types: its status words as an enum, and its
//! numbers (which it sends as strings) read strictly into numbers. A reply
//! that does not fit is an error, never a zero.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A download's state, in aria2's words (fanout's RPC server answers in
/// them too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DownloadStatus {
    Active,
    Waiting,
    Paused,
    Error,
    Complete,
    Removed,
}

impl DownloadStatus {
    /// Ended: done, failed or removed (what `tellStopped` lists).
    pub fn stopped(self) -> bool {
        matches!(self, Self::Complete | Self::Error | Self::Removed)
    }
}

/// One file of a download (`files` of `aria2.tellStatus`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    pub path: String,
    /// Where it comes from (the remote view lists downloads it did not add).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uris: Vec<UriInfo>,
}

/// One source of a file (`uris` of a `files` entry).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UriInfo {
    pub uri: String,
}

/// What `aria2.tellStatus` answers for the keys fanout asks ([`Status::KEYS`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub gid: String,
    pub status: DownloadStatus,
    #[serde(with = "string_number")]
    pub total_length: u64,
    #[serde(with = "string_number")]
    pub completed_length: u64,
    #[serde(default, with = "opt_string_number", skip_serializing_if = "Option::is_none")]
    pub connections: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default)]
    pub files: Vec<FileInfo>,
    /// The folder it saves into, on the daemon's machine.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// A magnet's metadata download, complete: the gid of the torrent's
    /// real download, which goes on in its place.
    #[serde(default, rename = "followedBy", skip_serializing_if = "Vec::is_empty")]
    pub followed_by: Vec<String>,
    /// A torrent's: its name once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bittorrent: Option<BtInfo>,
}

/// `bittorrent` of `aria2.tellStatus`: only what names the download.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BtInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<BtName>,
}

/// `bittorrent.info`: the torrent's name (none for a magnet's metadata).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BtName {
    pub name: String,
}

impl Status {
    /// What the poller asks about each download.
    /// (A torrent's name and where it goes name its result.)
    pub const KEYS: [&str; 11] = [
        "gid",
        "status",
        "totalLength",
        "completedLength",
        "errorCode",
        "errorMessage",
        "files",
        "connections",
        "dir",
        "followedBy",
        "bittorrent",
    ];

    /// What the remote view asks about every download on the daemon: the
    /// poller's keys, which say where it goes.
    pub const LISTED_KEYS: [&str; 11] = Self::KEYS;

    /// A torrent's name, once its metadata is known.
    fn torrent_name(&self) -> Option<&str> {
        self.bittorrent.as_ref()?.info.as_ref().map(|i| i.name.as_str())
    }

    /// A magnet's metadata download (aria2 names its file `[METADATA]…`).
    pub fn is_metadata(&self) -> bool {
        self.path().is_some_and(|p| p.starts_with("[METADATA]")) || !self.followed_by.is_empty()
    }

    /// The first file's first URI: what the download was added for.
    pub fn url(&self) -> Option<&str> {
        let file = self.files.first()?;
        file.uris.first().map(|u| u.uri.as_str())
    }

    /// The file's name once the daemon knows it (and its size).
    pub fn name(&self) -> Option<String> {
        if self.is_metadata() {
            return None;
        }
        if let Some(name) = self.torrent_name() {
            return Some(name.to_string());
        }
        let path = self.path().filter(|_| self.total_length > 0)?;
        let name = std::path::Path::new(path)
            .file_name()
            .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned());
        Some(name)
    }

    /// Where the result is: a torrent's file or folder (its name in its
    /// folder), else the first file.
    pub fn saved_path(&self) -> Option<String> {
        match (self.torrent_name(), &self.dir) {
            (Some(name), Some(dir)) => Some(
                std::path::Path::new(dir)
                    .join(name)
                    .to_string_lossy()
                    .into_owned(),
            ),
            _ => self.path().map(str::to_string),
        }
    }

    /// The first file's path, where aria2 saved (or saves) it.
    pub fn path(&self) -> Option<&str> {
        self.files
            .first()
            .map(|f| f.path.as_str())
            .filter(|p| !p.is_empty())
    }
}

/// `aria2.getVersion`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub version: String,
    #[serde(default, rename = "enabledFeatures")]
    pub enabled_features: Vec<String>,
}

/// One entry of `aria2.tellStopped` when only the gid is asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GidOnly {
    pub gid: String,
}

/// aria2's numbers: decimal digits in a string, and nothing else.
pub mod string_number {
    use super::*;

    pub fn parse(s: &str) -> Result<u64, String> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{s:?} is not a number"));
        }
        s.parse().map_err(|_| format!("{s:?} is out of range"))
    }

    pub fn serialize<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&n.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).map_err(serde::de::Error::custom)
    }
}

mod opt_string_number {
    use super::*;

    pub fn serialize<S: Serializer>(n: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match n {
            Some(n) => string_number::serialize(n, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let s = String::deserialize(d)?;
        string_number::parse(&s)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_from_aria2_are_read_strictly() {
        assert_eq!(string_number::parse("123"), Ok(123));
        for bad in ["", "12x", "-1", "99999999999999999999999"] {
            assert!(string_number::parse(bad).is_err(), "{bad}");
        }
        let status = json!({"gid": "2089b05ecca3d829", "status": "active",
            "totalLength": "100", "completedLength": "5", "connections": "3"});
        let s: Status = serde_json::from_value(status.clone()).unwrap();
        assert_eq!(
            (s.total_length, s.completed_length, s.connections),
            (100, 5, Some(3))
        );
        assert_eq!(s.status, DownloadStatus::Active);
        // Numbers go back out as strings, as aria2 sends them.
        assert_eq!(serde_json::to_value(&s).unwrap()["totalLength"], json!("100"));
        let mut number = status.clone();
        number["totalLength"] = json!(100);
        assert!(serde_json::from_value::<Status>(number).is_err());
        let mut word = status;
        word["status"] = json!("sleeping");
        assert!(serde_json::from_value::<Status>(word).is_err());
    }
}

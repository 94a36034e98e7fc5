//! A download as aria2's clients read it: a 16-hex-digit gid, a status
//! word, every number a string, the file under `files`, and aria2's error
//! codes for what went wrong.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use crate::engine::FetchError;
pub use crate::engine::backend::DownloadStatus as Status;
use crate::input::Options;

/// What the RPC can tell of one download; the front end that owns the
/// downloads makes it from its own rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    pub index: usize,
    pub url: String,
    pub dir: PathBuf,
    pub status: Status,
    pub total: Option<u64>,
    pub done: u64,
    /// Bytes per second now.
    pub speed: u64,
    pub connections: usize,
    /// Where the file is (when done) or goes (its name so far); `None`
    /// before the name is known.
    pub path: Option<PathBuf>,
    pub error: Option<FetchError>,
    pub options: Options,
    /// Its place in the order downloads ended (1 first), once it ended.
    pub rank: Option<usize>,
}

impl Status {
    /// Ended: done, failed or removed (what `tellStopped` lists).
    pub fn stopped(self) -> bool {
        matches!(self, Status::Complete | Status::Error | Status::Removed)
    }
}

/// aria2's exit code for an error (its manual, "EXIT STATUS"): what
/// clients show and what fanout's own aria2 engine reads back.
pub fn error_code(e: &FetchError) -> u8 {
    match e {
        FetchError::Http { status: 404, .. } => 3,
        FetchError::Http { status: 401, .. } => 24,
        FetchError::Http { status: 503, .. } => 29,
        FetchError::Http { .. } => 22,
        FetchError::Timeout(_) => 2,
        FetchError::Connect(_) | FetchError::Proxy { .. } => 19,
        FetchError::Interrupted { .. }
        | FetchError::ShortBody { .. }
        | FetchError::LongBody { .. }
        | FetchError::Transport(_) => 6,
        FetchError::Redirect(crate::engine::RedirectError::TooMany { .. }) => 23,
        FetchError::Redirect(_) => 22,
        FetchError::BadRange(_) => 8,
        FetchError::Io { kind, .. } => match kind {
            std::io::ErrorKind::StorageFull => 9,
            std::io::ErrorKind::AlreadyExists => 13,
            _ => 17,
        },
        FetchError::Checksum { .. } => 32,
        // A segment's own failure is what a client can act on.
        FetchError::Segment { cause, .. } => error_code(cause),
        // aria2's "could not parse a BitTorrent file".
        FetchError::Torrent(
            crate::engine::TorrentError::Invalid(_) | crate::engine::TorrentError::UnsafePath(_),
        ) => 26,
        FetchError::Stream(_)
        | FetchError::Torrent(_)
        | FetchError::InvalidUrl(_)
        | FetchError::UnsupportedScheme(_)
        | FetchError::Tls(_)
        | FetchError::Remote(_)
        | FetchError::CookieFile(_)
        | FetchError::PlainAuth { .. }
        | FetchError::Cancelled => 1,
    }
}

/// Gids of one run: a random base plus the download's index, so a gid
/// names one download of this run and gids of another run do not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gids {
    base: u64,
}

impl Gids {
    pub fn new() -> Gids {
        let mut bytes = [0u8; 8];
        // No randomness (never seen): gids still work, they only repeat
        // across runs.
        let _ = getrandom::fill(&mut bytes);
        Gids {
            base: u64::from_le_bytes(bytes) & 0x7fff_ffff_ffff_0000,
        }
    }

    pub fn gid(&self, index: usize) -> String {
        format!("{:016x}", self.base.wrapping_add(index as u64))
    }

    /// The index a gid names (any download ever added this run may be).
    pub fn index(&self, gid: &str) -> Option<usize> {
        if gid.len() != 16 {
            return None;
        }
        let n = u64::from_str_radix(gid, 16).ok()?;
        usize::try_from(n.wrapping_sub(self.base)).ok()
    }

    /// `getSessionInfo`'s id.
    /// Numbers no session: what stands in for the books while they are
    /// lent out (no random bytes asked for).
    pub(crate) const fn unset() -> Gids {
        Gids { base: 0 }
    }

    pub fn session(&self) -> String {
        format!("{:016x}{:016x}", self.base, !self.base)
    }
}

impl Default for Gids {
    fn default() -> Self {
        Gids::new()
    }
}

impl Download {
    /// The `files` entry: one file, its path, sizes and URIs.
    pub fn files(&self) -> Value {
        let path = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        json!([{
            "index": "1",
            "path": path,
            "length": self.total.unwrap_or(0).to_string(),
            "completedLength": self.done.to_string(),
            "selected": "true",
            "uris": self.uris(),
        }])
    }

    /// `getUris`: the URL in use, then the mirrors not tried.
    pub fn uris(&self) -> Value {
        let mut uris = vec![json!({"uri": self.url, "status": "used"})];
        for m in &self.options.mirrors {
            uris.push(json!({"uri": m, "status": "waiting"}));
        }
        Value::Array(uris)
    }

    /// `tellStatus`'s object, with only `keys` when some are asked for.
    pub fn to_json(&self, gid: &str, keys: Option<&[String]>) -> Value {
        let mut o = Map::new();
        let mut put = |k: &str, v: Value| {
            if keys.is_none_or(|keys| keys.iter().any(|x| x == k)) {
                o.insert(k.to_string(), v);
            }
        };
        put("gid", json!(gid));
        put("status", json!(self.status));
        put("totalLength", json!(self.total.unwrap_or(0).to_string()));
        put("completedLength", json!(self.done.to_string()));
        put("uploadLength", json!("0"));
        put("downloadSpeed", json!(self.speed.to_string()));
        put("uploadSpeed", json!("0"));
        put("connections", json!(self.connections.to_string()));
        put("numPieces", json!("1"));
        put("pieceLength", json!(self.total.unwrap_or(0).to_string()));
        put("dir", json!(self.dir.display().to_string()));
        put("files", self.files());
        if let Some(e) = &self.error {
            put("errorCode", json!(error_code(e).to_string()));
            put("errorMessage", json!(e.to_string()));
        } else if self.status == Status::Complete {
            put("errorCode", json!("0"));
        }
        Value::Object(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gids_are_sixteen_hex_digits_that_name_their_download() {
        let g = Gids::new();
        let gid = g.gid(41);
        assert_eq!(gid.len(), 16);
        assert!(gid.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(g.index(&gid), Some(41));
        assert_eq!(g.index("zz"), None);
        assert_ne!(g.index(&Gids::new().gid(41)), Some(41));
    }

    #[test]
    fn numbers_are_strings_and_keys_pick_fields() {
        let d = Download {
            index: 0,
            url: "http://h/a".into(),
            dir: "/d".into(),
            status: Status::Error,
            total: Some(10),
            done: 4,
            speed: 0,
            connections: 0,
            path: Some("/d/a".into()),
            error: Some(FetchError::Http {
                status: 404,
                reason: "Not Found".into(),
            }),
            options: Options::default(),
            rank: Some(1),
        };
        let all = d.to_json("0123456789abcdef", None);
        assert_eq!(all["totalLength"], json!("10"));
        assert_eq!(all["status"], json!("error"));
        assert_eq!(all["errorCode"], json!("3"));
        assert_eq!(all["files"][0]["path"], json!("/d/a"));
        let some = d.to_json(
            "0123456789abcdef",
            Some(&["gid".into(), "completedLength".into()]),
        );
        assert_eq!(some, json!({"gid": "0123456789abcdef", "completedLength": "4"}));
    }
}

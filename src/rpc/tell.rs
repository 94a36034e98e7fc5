//! `tellStatus`, `getFiles` and `getUris`: a download's object in aria2's
//! words (a 16-hex-digit gid, a status word, every number a string, the
//! file under `files`, a torrent's fields from [`super::bt`]) and aria2's
//! error codes for what went wrong.

use serde_json::{Map, Value, json};

use super::bt;
use super::status::{Download, Gids, Status};
use crate::engine::FetchError;

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
            crate::engine::TorrentError::Invalid(_) | crate::engine::TorrentError::Refused { .. },
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

impl Download {
    /// The `files` entry: one file, its path, sizes and URIs; a torrent's
    /// files (see [`bt`]).
    pub fn files(&self) -> Value {
        if let Some(files) = bt::files(self) {
            return files;
        }
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
        let first = if self.started { "used" } else { "waiting" };
        let mut uris = vec![json!({"uri": self.url, "status": first})];
        for m in &self.options.mirrors {
            uris.push(json!({"uri": m, "status": "waiting"}));
        }
        Value::Array(uris)
    }

    /// `tellStatus`'s object, with only `keys` when some are asked for.
    pub fn to_json(&self, gids: &Gids, keys: Option<&[String]>) -> Value {
        let gid = &self.gid(gids);
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
        // A torrent's own fields, over the ones above.
        for (k, v) in bt::status(self, gids) {
            put(k, v);
        }
        Value::Object(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Options;
    use crate::rpc::status::Part;

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
            torrent: None,
            swarm: None,
            part: Part::Task,
            started: true,
        };
        let gids = Gids::new();
        let all = d.to_json(&gids, None);
        assert_eq!(all["totalLength"], json!("10"));
        assert_eq!(all["status"], json!("error"));
        assert_eq!(all["errorCode"], json!("3"));
        assert_eq!(all["files"][0]["path"], json!("/d/a"));
        let some = d.to_json(&gids, Some(&["gid".into(), "completedLength".into()]));
        assert_eq!(some, json!({"gid": gids.gid(0), "completedLength": "4"}));
    }
}

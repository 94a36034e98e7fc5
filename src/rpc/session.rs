//! `saveSession`: the downloads not yet done, in aria2's session file
//! format (what `aria2c --input-file` reads back): per download, its URIs
//! on one line, each followed by a tab, then its options one a line, each
//! indented by a space (`gid` first, then `dir`).
//!
//! As aria2 does, completed and removed downloads are left out. Unlike
//! aria2, no secret goes in (fanout keeps those in the keyring only): a
//! password in a URL is written as `***`, and `Cookie` or `Authorization`
//! headers are left out.

use std::fmt::Write as _;

use serde_json::Value;

use super::options::task_options;
use super::status::{Download, Gids, Status};

/// Whether aria2 writes a download of this status to its session.
pub fn kept(status: Status) -> bool {
    !matches!(status, Status::Complete | Status::Removed)
}

/// The session file's text for these downloads.
pub fn text(downloads: &[Download], gids: &Gids) -> String {
    let mut out = String::new();
    for d in downloads {
        let uris = std::iter::once(&d.url).chain(&d.options.mirrors);
        for uri in uris {
            let _ = write!(out, "{}\t", crate::engine::auth::redact(uri));
        }
        out.push('\n');
        let _ = writeln!(out, " gid={}", d.gid(gids));
        let _ = writeln!(out, " dir={}", d.dir.display());
        if d.status == Status::Paused {
            out.push_str(" pause=true\n");
        }
        let headers = d.options.headers.iter().filter(|h| !h.is_secret());
        for h in headers {
            let _ = writeln!(out, " header={}", h.line());
        }
        let Value::Object(options) = task_options(d) else {
            continue;
        };
        for (key, value) in options {
            let skip =
                matches!(key.as_str(), "dir" | "header") || key == "max-download-limit" && value == "0";
            if let (false, Some(v)) = (skip, value.as_str()) {
                let _ = writeln!(out, " {key}={v}");
            }
        }
    }
    out
}

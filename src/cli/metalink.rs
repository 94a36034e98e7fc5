//! `fanout get x.meta4` (a path, a `file://` URL, an http(s) URL): the
//! metalink is read (fetched first when it is on the web) and each of its
//! files becomes a download, before any download starts.

use super::UsageError;
use crate::input::Options;
use crate::input::metalink;

/// `urls` with each metalink replaced by its files' downloads; a
/// metalink that cannot be had is a usage error, naming it.
pub(super) fn expand(urls: Vec<(String, Options)>) -> Result<Vec<(String, Options)>, UsageError> {
    let mut out = Vec::with_capacity(urls.len());
    for (url, options) in urls {
        let files = if let Some(path) = metalink::local_path(&url) {
            metalink::read(&path)
        } else if metalink::is_remote(&url) {
            let agent = concat!("fanout/", env!("CARGO_PKG_VERSION"));
            metalink::fetch(&url, agent)
        } else {
            out.push((url, options));
            continue;
        };
        let files = files.map_err(|e| UsageError(e.to_string()))?;
        for f in &files {
            if let Some(note) = metalink::unchecked_note(f) {
                eprintln!("fanout get: {note}");
            }
        }
        out.extend(metalink::downloads(&files, &options));
    }
    Ok(out)
}

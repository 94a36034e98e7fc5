//! `aria2.addTorrent`: the torrent's bytes, sent in base64, written beside
//! its download and added by their path, as a `.torrent` given on the
//! command line is.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::options::{Add, base64_param, read_add};
use super::wire::ErrorObject;

/// Where `aria2.addTorrent` keeps a torrent's bytes while its task needs
/// them: a hidden file in the download's folder, named by a digest of
/// the bytes (the same torrent added twice is one file).
pub fn added_path(dir: &std::path::Path, torrent: &[u8]) -> PathBuf {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(torrent);
    dir.join(format!("{ADDED}{}.torrent", crate::engine::hex(&digest[..8])))
}

/// The start of [`added_path`]'s names.
const ADDED: &str = ".fanout-rpc-";

/// The file `aria2.addTorrent` wrote for a task of `url`, if it is one:
/// removed once the task is done or removed.
pub fn added_file(url: &str) -> Option<PathBuf> {
    let path = std::path::Path::new(url);
    let name = path.file_name()?.to_str()?;
    (path.is_absolute() && name.starts_with(ADDED) && name.ends_with(".torrent")).then(|| path.to_path_buf())
}

/// Reads `aria2.addTorrent`'s `base64, uris, options`: the torrent is
/// written beside its download ([`added_path`]) and added by its path, as
/// a `.torrent` given on the command line is. Its web seeds
/// (`uris`) are not used.
pub fn read_add_torrent(p: &[Value], base: &std::path::Path) -> Result<Add, ErrorObject> {
    let bytes = base64_param(p, "torrent")?;
    if !crate::engine::is_torrent(&bytes) {
        return Err(ErrorObject::failed(
            "Errors occurred while parsing the torrent: not a torrent file",
        ));
    }
    // The folder first: the options may name another.
    let mut add = read_add(&json!(["/x.torrent"]), p.get(2), base)?;
    std::fs::create_dir_all(&add.dir)
        .map_err(|e| ErrorObject::failed(format!("{}: {e}", add.dir.display())))?;
    let path = added_path(&add.dir, &bytes);
    std::fs::write(&path, &bytes).map_err(|e| ErrorObject::failed(format!("{}: {e}", path.display())))?;
    // A path, as a `.torrent` given to `fanout get` is.
    add.url = path.to_string_lossy().into_owned();
    if p.get(1).and_then(Value::as_array).is_some_and(|u| !u.is_empty()) {
        add.ignored.push("uris (web seeds)".to_string());
    }
    Ok(add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_added_torrent_s_file_is_known_by_its_name() {
        // An absolute folder on every system (`/dl` has no drive on Windows).
        let p = added_path(&std::env::temp_dir().join("dl"), b"d4:infoe");
        assert_eq!(added_file(p.to_str().unwrap()), Some(p));
        assert_eq!(added_file("/dl/a.torrent"), None);
    }
}

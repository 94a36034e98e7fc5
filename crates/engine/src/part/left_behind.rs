//! What a stopped download left behind in its folder: its `.part`, its
//! control file and, for a stream's tracks, the pieces kept beside them.
//! Above both the control file and the kept pieces, which it reads.

use std::path::{Path, PathBuf};

use super::control::{control_path, recorded};
use super::pieces::KeptPieces;

/// The `.part` and control file a stopped download of `url` left in
/// `dir`, as its control file names them (what "Remove with file"
/// deletes); none when there is no control file or it is another URL's.
/// A stream's tracks are recorded under `URL#stream-N#…`: their parts and
/// records are found by what the records say, with the pieces kept beside
/// them.
pub(crate) fn left_behind(dir: &Path, url: &str) -> Vec<PathBuf> {
    let mut out = recorded(dir, &control_path(dir, url), |u| u == url);
    let track = format!("{}#stream-", crate::auth::redact(url));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".fanout-") && name.ends_with(".json")) {
            continue;
        }
        let found = recorded(dir, &entry.path(), |u| u.starts_with(&track));
        if let Some(control) = found.get(1) {
            out.extend(KeptPieces::at(control).paths());
        }
        out.extend(found);
    }
    out
}

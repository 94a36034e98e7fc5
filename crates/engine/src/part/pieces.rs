//! A stream's pieces that arrived out of order, kept on disk beside the
//! part until their turn comes: `.fanout-HASH.piece-N`, where `.fanout-HASH`
//! is the track's control file without `.json`. A run killed while a piece
//! waits for an earlier one keeps it: the next run reads it from here
//! rather than asking the server again.
//!
//! A piece is written under `….piece-N.tmp` and renamed once whole, so a
//! file under a piece's name is always the whole piece; a `.tmp` (a run
//! killed mid-write) is never taken, and is removed when found.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::control::control_path;

/// The pieces of one track kept beside its part.
pub(crate) struct KeptPieces {
    dir: PathBuf,
    /// `.fanout-HASH.piece-`
    prefix: String,
}

impl KeptPieces {
    /// The pieces of the track recorded under `key` in `dir`.
    pub(crate) fn new(dir: &Path, key: &str) -> Self {
        KeptPieces::at(&control_path(dir, key))
    }

    /// The pieces kept beside the track recorded at `control`.
    pub(crate) fn at(control: &Path) -> Self {
        let stem = control
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        KeptPieces {
            dir: control.parent().map(Path::to_path_buf).unwrap_or_default(),
            prefix: format!("{stem}.piece-"),
        }
    }

    /// Every file kept for this track, whole or half-written.
    pub(crate) fn paths(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&self.prefix))
            .map(|e| e.path())
            .collect()
    }

    fn path(&self, number: usize) -> PathBuf {
        self.dir.join(format!("{}{number}", self.prefix))
    }

    /// Keeps piece `number` whole: written under a temporary name, then
    /// renamed to its own.
    pub(crate) fn save(&self, number: usize, data: &[u8]) -> io::Result<()> {
        let tmp = self.dir.join(format!("{}{number}.tmp", self.prefix));
        let _ = std::fs::remove_file(&tmp);
        // `create_new` never follows a link planted under that name.
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        if let Err(e) = file.write_all(data) {
            drop(file);
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        drop(file);
        std::fs::rename(&tmp, self.path(number))
    }

    /// Piece `number` as it was kept.
    pub(crate) fn load(&self, number: usize) -> io::Result<Vec<u8>> {
        let mut open = OpenOptions::new();
        open.read(true);
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::OpenOptionsExt;
            open.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
        }
        let mut data = Vec::new();
        open.open(self.path(number))?.read_to_end(&mut data)?;
        Ok(data)
    }

    /// Piece `number` is in the part (and recorded so): its copy goes.
    pub(crate) fn remove(&self, number: usize) {
        let _ = std::fs::remove_file(self.path(number));
    }

    /// The pieces an earlier run kept, from `from` on. Those before it
    /// (joined since) and any left half-written are removed.
    pub(crate) fn found(&self, from: usize) -> BTreeSet<usize> {
        let mut found = BTreeSet::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return found;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&self.prefix)) else {
                continue;
            };
            match rest.parse::<usize>() {
                Ok(number) if number >= from => {
                    found.insert(number);
                }
                _ => {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        found
    }

    /// The track is over (whole, failed or cancelled): every piece kept
    /// for it goes.
    pub(crate) fn clear(&self) {
        self.found(usize::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_pieces_are_found_and_the_rest_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let kept = KeptPieces::new(dir.path(), "http://site/vod.m3u8#stream-0#http://site/0.ts");
        kept.save(3, b"three").unwrap();
        kept.save(5, b"five").unwrap();
        kept.save(1, b"one, joined since").unwrap();
        // A run killed while writing piece 7: only its temporary name.
        let half = dir.path().join(format!("{}7.tmp", kept.prefix));
        std::fs::write(&half, b"sev").unwrap();
        // Another track's piece is not this one's.
        let other = KeptPieces::new(dir.path(), "http://site/vod.m3u8#stream-1#http://site/a0.ts");
        other.save(4, b"other").unwrap();

        assert_eq!(kept.found(2), BTreeSet::from([3, 5]));
        assert_eq!(kept.load(3).unwrap(), b"three");
        assert_eq!(kept.load(5).unwrap(), b"five");
        assert!(kept.load(7).is_err(), "a half-written piece is never taken");
        assert!(!half.exists());
        assert!(kept.load(1).is_err(), "a piece joined since is removed");

        kept.remove(3);
        assert_eq!(kept.found(0), BTreeSet::from([5]));
        kept.clear();
        assert_eq!(kept.found(0), BTreeSet::new());
        assert_eq!(other.found(0), BTreeSet::from([4]));
    }

    #[test]
    fn a_piece_saved_again_replaces_the_first_copy() {
        let dir = tempfile::tempdir().unwrap();
        let kept = KeptPieces::new(dir.path(), "k");
        kept.save(2, b"first").unwrap();
        kept.save(2, b"second").unwrap();
        assert_eq!(kept.load(2).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}

//! The control file: `.fanout-HASH.json` beside a `.part` (HASH of the
//! URL) says what the part belongs to (its URL, final name, validator, size
//! and, for a segmented download, the ranges still missing), so this run
//! or the next one finds it with one lookup and continues it.

use std::io;
use std::path::{Path, PathBuf};

use super::PartFile;

/// What a `.part` left on disk belongs to.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Control {
    pub(super) url: String,
    pub(super) name: String,
    pub(super) base: String,
    pub(super) k: usize,
    pub(super) validator: Option<String>,
    pub(super) total: Option<u64>,
    /// A segmented download's missing ranges `[from, to)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) segments: Option<Vec<(u64, u64)>>,
    /// The subfolder the file is sorted into (see [`crate::sort`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) into: Option<String>,
    /// A stream's track: the pieces joined so far and the bytes they
    /// make (the part may hold more, written after this was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) stream: Option<(usize, u64)>,
}

pub(super) fn control_path(dir: &Path, url: &str) -> PathBuf {
    let hash = url.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    dir.join(format!(".fanout-{hash:016x}.json"))
}

/// The `.part` the record at `control_file` names, and the record, when
/// its URL is one `wanted` says is meant.
pub(super) fn recorded(dir: &Path, control_file: &Path, wanted: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let Some(control) = std::fs::read(control_file)
        .ok()
        .and_then(|b| serde_json::from_slice::<Control>(&b).ok())
    else {
        return Vec::new();
    };
    if !wanted(&control.url) || control.name.contains(['/', '\\']) {
        return Vec::new();
    }
    vec![
        dir.join(format!("{}.part", control.name)),
        control_file.to_path_buf(),
    ]
}

impl PartFile {
    /// Records what this part belongs to, so it can be resumed after the
    /// program stops. Written once a transfer has run a while (small files
    /// finish first and never pay for it) or when it stops early.
    pub(crate) fn write_control(&mut self, url: &str, validator: &Option<String>, total: Option<u64>) {
        if self.control.is_some() {
            return;
        }
        self.write_segments(url, validator, total, None);
    }

    /// What [`PartFile::write_control`] writes, plus a segment map; written
    /// again each time it is called.
    pub(crate) fn write_segments(
        &mut self,
        url: &str,
        validator: &Option<String>,
        total: Option<u64>,
        segments: Option<Vec<(u64, u64)>>,
    ) {
        let path = control_path(&self.dir, url);
        let control = Control {
            validator: validator.clone(),
            total,
            segments,
            ..self.control_of(url)
        };
        match write_atomically(&path, &control) {
            Ok(()) => {
                self.control = Some(path);
                self.keep = true;
            }
            Err(e) => tracing::debug!(error = %e, "no control file; this part cannot be resumed later"),
        }
    }

    /// The control file for a segment map, written now with `missing` and
    /// later with [`ControlFile::write`] by whichever connection is at hand.
    /// From here on the part is kept (with it) unless the task ends.
    pub(crate) fn control_file(
        &mut self,
        url: &str,
        validator: &Option<String>,
        total: u64,
        missing: Vec<(u64, u64)>,
    ) -> ControlFile {
        let path = control_path(&self.dir, url);
        self.control = Some(path.clone());
        self.keep = true;
        let mut file = ControlFile {
            path,
            control: Control {
                validator: validator.clone(),
                total: Some(total),
                ..self.control_of(url)
            },
        };
        file.write(missing);
        file
    }

    /// The record of this part under `url`, with nothing known yet of
    /// its size or progress.
    fn control_of(&self, url: &str) -> Control {
        Control {
            url: url.to_string(),
            name: self.name.clone(),
            base: self.base.clone(),
            k: self.k,
            validator: None,
            total: None,
            segments: None,
            into: self.into.clone(),
            stream: None,
        }
    }

    /// Records that the first `pieces` pieces of a stream's track, `bytes`
    /// in all, are in this part (flushed first), under `key`: a later
    /// run continues from there. From here on the part is kept unless the
    /// task ends.
    pub(crate) fn mark_stream(&mut self, key: &str, pieces: usize, bytes: u64) -> io::Result<()> {
        use std::io::Write;
        self.file.flush()?;
        let path = control_path(&self.dir, key);
        let control = Control {
            stream: Some((pieces, bytes)),
            ..self.control_of(key)
        };
        write_atomically(&path, &control)?;
        self.control = Some(path);
        self.keep = true;
        Ok(())
    }
}

/// Writes `control` to a temporary file and renames it over `path`, so a
/// crash leaves the old map or the new one, never half of one.
fn write_atomically(path: &Path, control: &Control) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let body = serde_json::to_vec(control).map_err(io::Error::other)?;
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, path)
}

/// A segmented part's control file, rewritten as its segments advance.
pub(crate) struct ControlFile {
    path: PathBuf,
    control: Control,
}

impl ControlFile {
    pub(crate) fn write(&mut self, missing: Vec<(u64, u64)>) {
        self.control.segments = Some(missing);
        if let Err(e) = write_atomically(&self.path, &self.control) {
            tracing::debug!(error = %e, "cannot update the segment map");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::part::Placement;
    use crate::part::left_behind::left_behind;
    use crate::part::pieces::KeptPieces;

    #[test]
    fn a_stopped_stream_leaves_its_part_record_and_kept_pieces_behind() {
        let dir = tempfile::tempdir().unwrap();
        let url = "http://site/watch/index.m3u8";
        let key = format!("{url}#stream-0#http://site/watch/0.ts");
        let mut part = PartFile::create(dir.path(), "index.ts", 64, Placement::default()).unwrap();
        part.mark_stream(&key, 2, 10).unwrap();
        let kept = KeptPieces::new(dir.path(), &key);
        kept.save(4, b"four").unwrap();
        // Another stream in the same folder is not this download's.
        let other_key = "http://site/watch/index.m3u8x#stream-0#http://site/o0.ts";
        let mut other = PartFile::create(dir.path(), "other.ts", 64, Placement::default()).unwrap();
        other.mark_stream(other_key, 1, 5).unwrap();
        KeptPieces::new(dir.path(), other_key).save(3, b"three").unwrap();

        let mut found = left_behind(dir.path(), url);
        found.sort();
        let mut want = vec![dir.path().join("index.ts.part"), control_path(dir.path(), &key)];
        want.extend(kept.paths());
        want.sort();
        assert_eq!(found, want);
        assert_eq!(
            left_behind(dir.path(), "http://site/none.m3u8"),
            Vec::<PathBuf>::new()
        );
    }
}

//! Resume lookup: what a later attempt, a resume after a pause or the next
//! run continues from.

use std::fs::OpenOptions;
use std::io::{self, BufWriter};
use std::path::Path;

use super::control::{Control, control_path};
use super::{PartFile, WRITE_BUFFER, lock};

/// What a later attempt of the same task continues from: the `.part` with
/// the bytes so far, and what says which file they belong to.
pub(crate) struct Resume {
    pub(crate) part: PartFile,
    pub(crate) offset: u64,
    /// The whole file's size, when the server said.
    pub(crate) total: Option<u64>,
    /// `ETag`, else `Last-Modified`: sent as `If-Range`, so a file that
    /// changed on the server comes back whole instead of spliced.
    pub(crate) validator: Option<String>,
    /// A segmented download: the byte ranges `[from, to)` still missing
    /// (the part has the file's full size).
    pub(crate) segments: Option<Vec<(u64, u64)>>,
    /// A stream's track: the pieces joined (the part is cut back to
    /// `offset`, the bytes they make).
    pub(crate) pieces: Option<usize>,
}

impl Resume {
    /// A part an earlier run left for `url` in `dir`, found by its
    /// control file.
    pub(crate) fn find(dir: &Path, url: &str) -> Option<Box<Resume>> {
        let (part, offset, control) = open_left_part(dir, url)?;
        let (validator, total, segments) = (control.validator, control.total, control.segments);
        let offset = match (&segments, total, control.stream) {
            (_, _, Some((_, bytes))) if bytes <= offset => bytes,
            (_, _, Some(_)) => 0, // fewer bytes than recorded: start over
            (Some(missing), Some(total), None) => done_of(total, missing),
            (Some(_), None, None) => 0, // a segment map needs the size: start over
            (None, _, None) => offset,
        };
        if offset == 0 {
            let mut part = part;
            part.keep = false; // nothing worth keeping
            return None;
        }
        tracing::debug!(url, offset, "continuing a part left by an earlier run");
        Some(Box::new(Resume {
            part,
            offset,
            total,
            validator,
            segments,
            pieces: control.stream.map(|(pieces, _)| pieces),
        }))
    }

    /// A segmented download that stopped: continued by the same, ranges
    /// and all.
    pub(crate) fn segmented(
        part: PartFile,
        total: u64,
        validator: Option<String>,
        missing: Vec<(u64, u64)>,
    ) -> Box<Resume> {
        let offset = done_of(total, &missing);
        Box::new(Resume {
            part,
            offset,
            total: Some(total),
            validator,
            segments: Some(missing),
            pieces: None,
        })
    }

    pub(crate) fn is_segmented(&self) -> bool {
        self.segments.is_some()
    }

    /// The task is over: remove the part and its control file.
    pub(crate) fn discard(mut self: Box<Self>) {
        self.part.keep = false;
    }
}

/// Bytes of a file of `total` already written, when `missing` ranges
/// `[from, to)` are not (a map read from disk may be inconsistent: never
/// below zero).
fn done_of(total: u64, missing: &[(u64, u64)]) -> u64 {
    total.saturating_sub(missing.iter().map(|(a, b)| b.saturating_sub(*a)).sum())
}

/// The part a previous attempt or run left for `url` in `dir`, if any,
/// locked for this transfer, with its control file's record.
fn open_left_part(dir: &Path, url: &str) -> Option<(PartFile, u64, Control)> {
    let control_file = control_path(dir, url);
    let control: Control = serde_json::from_slice(&std::fs::read(&control_file).ok()?).ok()?;
    if control.url != url || control.name.contains(['/', '\\']) {
        return None;
    }
    let path = dir.join(format!("{}.part", control.name));
    // Not O_APPEND: a segmented part is written at its segments' offsets
    // (and Linux's pwrite ignores the offset under O_APPEND).
    let mut open = OpenOptions::new();
    open.write(true);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Never follow a link planted where the part was.
        open.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    let mut file = match open.open(&path) {
        Ok(f) => f,
        Err(_) => {
            let _ = std::fs::remove_file(&control_file);
            return None;
        }
    };
    // Another transfer (this run's or another program's) is writing it.
    if !lock(&file) {
        return None;
    }
    // A single stream goes on where the bytes end.
    let offset = std::io::Seek::seek(&mut file, io::SeekFrom::End(0)).ok()?;
    let part = PartFile {
        file: BufWriter::with_capacity(WRITE_BUFFER, file),
        dir: dir.to_path_buf(),
        name: control.name.clone(),
        base: control.base.clone(),
        k: control.k,
        path,
        committed: false,
        keep: true,
        control: Some(control_file),
        update: None,
        into: control.into.clone(),
    };
    Some((part, offset, control))
}

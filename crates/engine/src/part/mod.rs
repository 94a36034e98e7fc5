//! The part: `NAME.part` while the body arrives, and how it gets its
//! final name.
//! - it is created with `create_new` (never truncating anything, never
//!   following a planted symlink) under the first free candidate name;
//! - it gets its real name only when the body is complete, and never
//!   replaces an existing file: a taken name becomes `NAME (1).ext`
//!   (unless it is an update of that file, `--if-exists update`: then it
//!   replaces it in one atomic rename, see [`existing`]);
//! - a part dropped before that is removed, unless a control file says
//!   what it belongs to and the task may continue it (see [`control`]);
//! - a stream's pieces that arrive out of order wait beside it, each whole
//!   under its own name (see [`pieces`]).

pub(crate) mod control;
pub(crate) mod existing;
pub(crate) mod left_behind;
pub(crate) mod pieces;
pub(crate) mod resume;

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::error::FetchError;
use super::naming;

/// Writes are batched up to this size: fewer syscalls per megabyte. Small
/// files get a buffer of their own size, so a swarm of them costs no large
/// allocations (which malloc would serve with mmap and munmap each time).
pub(crate) const WRITE_BUFFER: usize = 256 * 1024;
pub(crate) const MIN_WRITE_BUFFER: usize = 8 * 1024;
/// How many candidate names (`NAME (k)`) are tried before giving up.
const MAX_CANDIDATES: usize = 10_000;

/// `NAME.part` while the body arrives. Removed on drop unless committed or
/// kept for a later resume (see [`Resume`]).
pub(crate) struct PartFile {
    pub(crate) file: BufWriter<File>,
    pub(crate) dir: PathBuf,
    /// The final name this part is meant to get: candidate `k` of `base`.
    pub(crate) name: String,
    /// The name as the server or URL gave it, before collision suffixes.
    pub(crate) base: String,
    pub(crate) k: usize,
    pub(crate) path: PathBuf,
    pub(crate) committed: bool,
    /// Left on disk when dropped, with its control file, for a resume by
    /// this run or the next one (a paused task, a closed window).
    pub(crate) keep: bool,
    /// `.fanout-HASH.json` beside the part, once written.
    pub(crate) control: Option<PathBuf>,
    /// A fresh copy of the file named `base`: it replaces it, and is
    /// stamped with the server's date and ETag.
    pub(crate) update: Option<existing::Stamp>,
    /// The subfolder of `dir` the file goes to when it gets its name
    /// (sorting by type); the part itself stays in `dir`.
    pub(crate) into: Option<String>,
}

/// Where a new part's file is meant to go.
#[derive(Clone, Debug, Default)]
pub(crate) struct Placement {
    /// It replaces the file of its name (see [`PartFile::update`]).
    pub update: bool,
    /// A subfolder of the download folder (see [`PartFile::into`]).
    pub into: Option<String>,
}

/// Takes the `.part`'s exclusive lock, without waiting: a part in use by
/// another transfer is never continued by a second one. The lock goes with
/// the file handle. True where locks are not supported.
pub(crate) fn lock(file: &File) -> bool {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{FlockOperation, flock};
        !matches!(
            flock(file, FlockOperation::NonBlockingLockExclusive),
            Err(rustix::io::Errno::WOULDBLOCK)
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        true
    }
}

impl PartFile {
    /// Finds the first candidate `NAME (k)` whose final file does not exist
    /// and whose `.part` we could create exclusively.
    /// With `update`, the part is a fresh copy of `base` itself, which may
    /// exist (see [`PartFile::commit`]).
    pub(crate) fn create(
        dir: &Path,
        base: &str,
        buffer: usize,
        place: Placement,
    ) -> Result<Self, FetchError> {
        let Placement { update, into } = place;
        let target = into
            .as_ref()
            .map_or_else(|| dir.to_path_buf(), |sub| dir.join(sub));
        let io_err = |p: &Path, e: io::Error| FetchError::io(p, &e);
        let mut made_dir = false;
        let mut k = 0;
        while k < MAX_CANDIDATES {
            let name = naming::candidate(base, k);
            if !update && target.join(&name).symlink_metadata().is_ok() {
                k += 1;
                continue;
            }
            let path = dir.join(format!("{name}.part"));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    lock(&file);
                    return Ok(PartFile {
                        file: BufWriter::with_capacity(buffer, file),
                        dir: dir.to_path_buf(),
                        name: if update { base.to_string() } else { name },
                        base: base.to_string(),
                        k,
                        path,
                        committed: false,
                        keep: false,
                        control: None,
                        update: update.then(existing::Stamp::default),
                        into,
                    });
                }
                // The folder is made on first use rather than checked for
                // every task: creating files is what costs on a busy batch.
                Err(e) if e.kind() == io::ErrorKind::NotFound && !made_dir => {
                    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
                    made_dir = true;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => k += 1,
                Err(e) => return Err(io_err(&path, e)),
            }
        }
        Err(io_err(
            dir,
            io::Error::other(format!("no free name left for {base:?}")),
        ))
    }

    /// Empties the part to start the body over.
    pub(crate) fn truncate(&mut self) -> Result<(), FetchError> {
        use std::io::Seek;
        let r = self.file.flush().and_then(|()| {
            let f = self.file.get_mut();
            f.set_len(0)?;
            f.seek(io::SeekFrom::Start(0)).map(|_| ())
        });
        r.map_err(|e| self.io_error(&e))
    }

    /// Gives the part the file's full size up front, so a full disk shows
    /// now rather than in the middle, and positioned writes fill it in.
    pub(crate) fn preallocate(&mut self, size: u64) -> Result<(), FetchError> {
        let file = self.file.get_ref();
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{FallocateFlags, fallocate};
            match fallocate(file, FallocateFlags::empty(), 0, size) {
                Ok(()) => return Ok(()),
                // A file system without it (some network mounts): a sparse file.
                Err(rustix::io::Errno::OPNOTSUPP | rustix::io::Errno::NOSYS) => {}
                Err(e) => return Err(self.io_error(&e.into())),
            }
        }
        file.set_len(size).map_err(|e| self.io_error(&e))
    }

    /// A file that failed its checksum is kept for inspection as
    /// `NAME.corrupt` (or `NAME (1).corrupt`…), never replacing anything.
    pub(crate) fn keep_as_corrupt(&mut self) -> Result<PathBuf, FetchError> {
        self.file.flush().map_err(|e| self.io_error(&e))?;
        let base = format!("{}.corrupt", self.name);
        for k in 0..MAX_CANDIDATES {
            let target = self.dir.join(naming::candidate(&base, k));
            match rename_noreplace(&self.path, &target) {
                Ok(()) => {
                    self.committed = true;
                    self.keep = false;
                    return Ok(target);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(self.io_error(&e)),
            }
        }
        Err(self.io_error(&io::Error::other("no free name left")))
    }

    pub(crate) fn io_error(&self, e: &io::Error) -> FetchError {
        FetchError::io(&self.path, e)
    }

    /// Moves the finished part to the first free final name without ever
    /// replacing a file created meanwhile (a plain rename would).
    pub(crate) fn commit(mut self) -> Result<PathBuf, FetchError> {
        self.file.flush().map_err(|e| self.io_error(&e))?;
        let dir = match &self.into {
            Some(sub) => {
                let d = self.dir.join(sub);
                std::fs::create_dir_all(&d).map_err(|e| FetchError::io(&d, &e))?;
                d
            }
            None => self.dir.clone(),
        };
        if let Some(stamp) = self.update.take() {
            // A whole new copy replaces the old one in one step: the name
            // never holds half a file.
            let target = dir.join(&self.base);
            std::fs::rename(&self.path, &target).map_err(|e| self.io_error(&e))?;
            self.committed = true;
            stamp.apply(&target);
            return Ok(target);
        }
        for k in self.k..self.k + MAX_CANDIDATES {
            let name = naming::candidate(&self.base, k);
            // Leave names that another running download has reserved.
            if k != self.k && self.dir.join(format!("{name}.part")).symlink_metadata().is_ok() {
                continue;
            }
            let target = dir.join(name);
            match rename_noreplace(&self.path, &target) {
                Ok(()) => {
                    self.committed = true;
                    return Ok(target);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(self.io_error(&e)),
            }
        }
        Err(self.io_error(&io::Error::other("no free name left")))
    }
}

/// Renames `from` to `to` unless `to` exists, in one atomic step where the
/// system can (`renameat2` with `RENAME_NOREPLACE` on Linux).
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            // A file system without the flag: the portable way below.
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {}
            Err(e) => return Err(e.into()),
        }
    }
    link_then_unlink(from, to)
}

/// A hard link fails if the target exists, where a rename would replace it.
/// Where links are not supported either (FAT, some network mounts): a
/// rename, checked just before.
fn link_then_unlink(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => {
            let _ = std::fs::remove_file(from);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if to.symlink_metadata().is_err() => std::fs::rename(from, to),
        Err(_) => Err(io::ErrorKind::AlreadyExists.into()),
    }
}

impl Drop for PartFile {
    /// A part with a control file is kept unless the task is over (`keep`
    /// cleared): a transfer cut off by the program ending, or by its runtime
    /// shutting down, stays resumable.
    fn drop(&mut self) {
        if !self.committed && self.keep && self.control.is_some() {
            let _ = self.file.flush();
            return;
        }
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
        if let Some(control) = &self.control {
            let _ = std::fs::remove_file(control);
        }
    }
}

/// Writes all of `data` at `at`, without moving a shared file position: the
/// connections of a segmented download write one part at once.
#[cfg(unix)]
pub(crate) fn write_all_at(file: &File, data: &[u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, at)
}

#[cfg(windows)]
pub(crate) fn write_all_at(file: &File, mut data: &[u8], mut at: u64) -> io::Result<()> {
    while !data.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, data, at)?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        data = &data[n..];
        at += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_files_never_replace_existing_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"old").unwrap();
        let mut first = PartFile::create(dir.path(), "a.txt", 64, Placement::default()).unwrap();
        let mut second = PartFile::create(dir.path(), "a.txt", 64, Placement::default()).unwrap();
        assert_eq!(first.name, "a (1).txt");
        assert_eq!(second.name, "a (2).txt");
        first.file.write_all(b"first").unwrap();
        second.file.write_all(b"second").unwrap();
        // Someone creates the first one's target meanwhile: it moves on.
        std::fs::write(dir.path().join("a (1).txt"), b"squatter").unwrap();
        let p1 = first.commit().unwrap();
        let p2 = second.commit().unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"old");
        assert_eq!(std::fs::read(dir.path().join("a (1).txt")).unwrap(), b"squatter");
        assert_eq!(std::fs::read(&p2).unwrap(), b"second");
        assert_eq!(p2, dir.path().join("a (2).txt"));
        assert_eq!(std::fs::read(&p1).unwrap(), b"first");
        assert_eq!(p1, dir.path().join("a (3).txt"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn an_abandoned_part_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let part = PartFile::create(dir.path(), "x.bin", 64, Placement::default()).unwrap();
        assert!(dir.path().join("x.bin.part").exists());
        drop(part);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_portable_rename_never_replaces_either() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        std::fs::write(&a, b"new").unwrap();
        std::fs::write(&b, b"old").unwrap();
        let err = link_then_unlink(&a, &b).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&b).unwrap(), b"old");
        link_then_unlink(&a, &c).unwrap();
        assert_eq!(std::fs::read(&c).unwrap(), b"new");
        assert!(!a.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::os::unix::fs::symlink(&victim, dir.path().join("f.bin.part")).unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("f.bin")).unwrap();
        let part = PartFile::create(dir.path(), "f.bin", 64, Placement::default()).unwrap();
        assert_eq!(part.name, "f (1).bin");
        assert!(!victim.exists());
    }
}

//! Where a torrent's bytes go on disk. librqbit's own filesystem storage
//! creates every file of the torrent, selected or not, and writes the
//! bytes of a piece that spans two files into both; fanout promises that
//! `--select` writes only the chosen files. So each selected file goes
//! where fanout's plan puts it (its place in the torrent's folder, under
//! `NAME (1)` when the name was taken), and the others' bytes (needed to
//! check the pieces they share with a chosen file) to a hidden scratch
//! folder beside it, removed when the task ends.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use librqbit::storage::{BoxStorageFactory, StorageFactory, StorageFactoryExt, TorrentStorage};
use librqbit::{ManagedTorrentShared, TorrentMetadata};

/// Makes a [`Storage`] for one torrent.
#[derive(Clone)]
pub(crate) struct Factory {
    /// The torrent's folder (the task's, for a single file): librqbit
    /// names the folders it empties relative to it.
    pub root: PathBuf,
    /// Where each file is written, by librqbit's file id (the plan's);
    /// `None`: not selected.
    pub paths: Arc<[Option<PathBuf>]>,
    /// Where unselected files' shared bytes go.
    pub scratch: PathBuf,
}

impl StorageFactory for Factory {
    type Storage = Storage;

    fn create(&self, _: &ManagedTorrentShared, _: &TorrentMetadata) -> anyhow::Result<Storage> {
        Ok(Storage {
            factory: self.clone(),
            files: Vec::new(),
        })
    }

    fn clone_box(&self) -> BoxStorageFactory {
        self.clone().boxed()
    }
}

/// The open files of one torrent, by librqbit's file id; `None` for
/// padding files, which are never written.
pub(crate) struct Storage {
    factory: Factory,
    files: Vec<Option<(PathBuf, File)>>,
}

impl Storage {
    fn file(&self, id: usize) -> anyhow::Result<&(PathBuf, File)> {
        self.files
            .get(id)
            .and_then(Option::as_ref)
            .context("no such file")
    }

    /// Where file `id` is written: its place, or the scratch folder.
    fn path(&self, id: usize) -> PathBuf {
        let f = &self.factory;
        match f.paths.get(id) {
            Some(Some(path)) => path.clone(),
            _ => f.scratch.join(id.to_string()),
        }
    }
}

impl TorrentStorage for Storage {
    fn init(&mut self, _: &ManagedTorrentShared, metadata: &TorrentMetadata) -> anyhow::Result<()> {
        let mut files = Vec::new();
        for (id, info) in metadata.file_infos.iter().enumerate() {
            if info.attrs.padding {
                files.push(None);
                continue;
            }
            let path = self.path(id);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            // An existing file is continued: its pieces are checked first.
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            files.push(Some((path, file)));
        }
        self.files = files;
        Ok(())
    }

    fn pread_exact(&self, file_id: usize, offset: u64, buf: &mut [u8]) -> anyhow::Result<()> {
        let (path, file) = self.file(file_id)?;
        read_at(file, offset, buf).with_context(|| format!("reading {}", path.display()))
    }

    fn pwrite_all(&self, file_id: usize, offset: u64, buf: &[u8]) -> anyhow::Result<()> {
        let (path, file) = self.file(file_id)?;
        write_at(file, offset, buf).with_context(|| format!("writing {}", path.display()))
    }

    fn remove_file(&self, file_id: usize, _: &Path) -> anyhow::Result<()> {
        let (path, _) = self.file(file_id)?;
        Ok(std::fs::remove_file(path)?)
    }

    fn remove_directory_if_empty(&self, path: &Path) -> anyhow::Result<()> {
        let path = self.factory.root.join(path);
        if path.is_dir() && std::fs::read_dir(&path)?.next().is_none() {
            std::fs::remove_dir(&path)?;
        }
        Ok(())
    }

    fn ensure_file_length(&self, file_id: usize, length: u64) -> anyhow::Result<()> {
        let (_, file) = self.file(file_id)?;
        Ok(file.set_len(length)?)
    }

    fn take(&self) -> anyhow::Result<Box<dyn TorrentStorage>> {
        let files = self
            .files
            .iter()
            .map(|f| match f {
                Some((path, file)) => Ok(Some((path.clone(), file.try_clone()?))),
                None => Ok(None),
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Box::new(Storage {
            factory: self.factory.clone(),
            files,
        }))
    }
}

#[cfg(unix)]
fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(unix)]
fn write_at(file: &File, offset: u64, buf: &[u8]) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut offset: u64, mut buf: &mut [u8]) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(windows)]
fn write_at(file: &File, mut offset: u64, mut buf: &[u8]) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_write(buf, offset)? {
            0 => return Err(std::io::ErrorKind::WriteZero.into()),
            n => {
                buf = &buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

//! Removing downloads, the window's `Remove` and `Remove with file`: a
//! removed download is cancelled if it still runs, leaves every list (the
//! window's and the RPC's) and stays off them after a restart; with its
//! file, what it wrote goes too, and never anything that is not its own.

use std::path::{Component, Path, PathBuf};

use super::Downloads;
use super::row::{Row, TaskState};

/// What "Remove with file" deletes for one download.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Leftovers {
    /// Files: the finished file, a torrent's files, or a `.part` and its
    /// control file.
    pub files: Vec<PathBuf>,
    /// Folders removed once empty (a torrent's, deepest first): never the
    /// download folder itself.
    pub folders: Vec<PathBuf>,
}

impl Downloads {
    /// Removes a download (see the module's note); false if there was none
    /// to remove. `with_files`: its files are deleted too, once its
    /// transfer has stopped (at once if it had ended).
    pub fn remove(&mut self, i: usize, with_files: bool) -> bool {
        let Some(row) = self.model.rows.get(i) else {
            return false;
        };
        if row.removed {
            return false;
        }
        // Not ended (queued, running, paused, retrying): cancelled; its
        // end comes as an event, after which nothing writes its files.
        let ended = matches!(
            row.state,
            TaskState::Done | TaskState::Failed(_) | TaskState::Cancelled
        );
        let stopping = !ended && self.engine.as_ref().is_some_and(|e| e.cancel(i));
        if stopping && self.model.rows[i].state.is_active() {
            self.model.mark(i, TaskState::Cancelling);
        }
        let row = &mut self.model.rows[i];
        row.removed = true;
        row.forgotten = true;
        self.rpc_state.forget([i]);
        self.arrived.retain(|&a| a != i);
        // Nor does the batch (the title's count, its notification) wait
        // for it.
        self.model.batch.tasks.remove(&i);
        if with_files {
            if stopping {
                self.delete_when_ended.push(i);
            } else {
                delete(leftovers(&self.model.rows[i]));
            }
        }
        self.save(i);
        true
    }

    /// A task has ended: if it was removed with its files while it ran,
    /// they go now that nothing writes them any more.
    pub(super) fn removed_ended(&mut self, i: usize) {
        if let Some(at) = self.delete_when_ended.iter().position(|&r| r == i) {
            self.delete_when_ended.swap_remove(at);
            delete(leftovers(&self.model.rows[i]));
        }
    }
}

/// What a download wrote, as far as it is its own: inside the folder it
/// was added for (a path that leaves it, or is it, is skipped).
pub fn leftovers(row: &Row) -> Leftovers {
    let mut out = Leftovers::default();
    if let Some(meta) = &row.torrent {
        out.files = meta.files.iter().map(|f| f.path.clone()).collect();
        // A torrent of several files has a folder of its own (and
        // subfolders): each goes once empty, the deepest first.
        if meta.multi_file {
            let mut folders = std::collections::BTreeSet::new();
            for f in &meta.files {
                let mut dir = f.path.parent();
                while let Some(d) = dir.filter(|d| owned(&row.dir, d)) {
                    folders.insert(d.to_path_buf());
                    dir = d.parent();
                }
            }
            out.folders = folders.into_iter().collect();
            out.folders
                .sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        }
    } else if row.state == TaskState::Done {
        out.files.extend(row.path.clone());
    } else {
        out.files = crate::engine::left_behind(&row.dir, &row.url);
    }
    // A finished torrent restored without its metadata: its own folder.
    if row.state == TaskState::Done
        && row.torrent.is_none()
        && let Some(path) = row.path.as_ref().filter(|p| p.is_dir())
    {
        out.files.clear();
        out.folders.push(path.clone());
    }
    out.files.retain(|f| owned(&row.dir, f));
    out.folders.retain(|f| owned(&row.dir, f));
    out
}

/// Whether `path` lies strictly inside `dir`, with no `..` on the way.
fn owned(dir: &Path, path: &Path) -> bool {
    path != dir && path.starts_with(dir) && !path.components().any(|c| matches!(c, Component::ParentDir))
}

/// Deletes them off the caller's thread (a torrent's files may be many):
/// files, then each folder once it is empty; a folder of a torrent restored
/// without its metadata goes with what is in it.
fn delete(what: Leftovers) {
    if what.files.is_empty() && what.folders.is_empty() {
        return;
    }
    std::thread::spawn(move || {
        for f in &what.files {
            // A link is removed, never what it points at.
            if let Err(e) = std::fs::remove_file(f)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %f.display(), error = %e, "could not delete a removed download's file");
            }
        }
        for d in &what.folders {
            let gone = if what.files.is_empty() {
                std::fs::remove_dir_all(d)
            } else {
                std::fs::remove_dir(d)
            };
            if let Err(e) = gone {
                tracing::debug!(path = %d.display(), error = %e, "folder kept");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(state: TaskState, path: Option<&str>) -> Row {
        let mut r = Row::new("https://h/a.bin".into(), "/dl".into());
        r.state = state;
        r.path = path.map(PathBuf::from);
        r
    }

    #[test]
    fn only_what_is_inside_the_download_folder_is_deleted() {
        let done = leftovers(&row(TaskState::Done, Some("/dl/a.bin")));
        assert_eq!(done.files, [PathBuf::from("/dl/a.bin")]);
        for outside in ["/etc/passwd", "/dl", "/dl/../etc/passwd", "/dlx/a.bin"] {
            let l = leftovers(&row(TaskState::Done, Some(outside)));
            assert!(l.files.is_empty() && l.folders.is_empty(), "{outside}");
        }
    }

    #[test]
    fn a_torrent_s_files_and_its_folder_go_but_never_the_download_folder() {
        let mut r = row(TaskState::Done, Some("/dl/set"));
        let file = |p: &str| crate::engine::TorrentFile {
            name: String::new(),
            path: p.into(),
            length: 1,
            selected: true,
        };
        r.torrent = Some(std::sync::Arc::new(crate::engine::TorrentMeta {
            name: "set".into(),
            files: vec![file("/dl/set/sub/a"), file("/dl/set/b"), file("/tmp/x")],
            multi_file: true,
            ..Default::default()
        }));
        let l = leftovers(&r);
        assert_eq!(l.files, [PathBuf::from("/dl/set/sub/a"), "/dl/set/b".into()]);
        assert_eq!(l.folders, [PathBuf::from("/dl/set/sub"), "/dl/set".into()]);
    }
}

//! What the user asked for during a frame, and how it is applied after
//! the panels are drawn: no widget changes the world mid-layout.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use super::FanoutApp;
use super::compare::CompareAction;
use super::platform::{pick_folder, read_clipboard};
use super::table::Selection;
use super::torrent_files::waits_for_choice;
use crate::engine::Place;
use crate::i18n::tr;
use crate::input::Options;
use crate::service::reorder::Side;

/// What the user asked for during a frame, applied after it.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum Action {
    OpenAdd(Option<String>),
    Add(Vec<(String, Options)>),
    Pause(Vec<usize>),
    Resume(Vec<usize>),
    Cancel(Vec<usize>),
    Retry(Vec<usize>),
    ClearList,
    OpenFile(usize),
    OpenFolder(usize),
    QueuePaused(bool),
    ChooseFolder,
    ReadDropped(Vec<PathBuf>),
    /// A task's own speed limit (bytes per second; `None` lifts it).
    SetRate(usize, Option<u64>),
    /// Moves waiting downloads in the queue's start order.
    Move(Vec<usize>, MoveTo),
    Compare(CompareAction),
    /// Opens a torrent's file list.
    ChooseFiles(usize),
    /// Chooses a torrent's files (0-based); one that waited goes on.
    SelectFiles(usize, Vec<usize>),
    /// Takes downloads off the list (cancelled if they run), for good.
    Remove(Vec<usize>),
    /// Asks before [`Action::RemoveWithFiles`].
    AskRemoveWithFiles(Vec<usize>),
    /// Removes downloads and deletes what they wrote (confirmed).
    RemoveWithFiles(Vec<usize>),
    /// Puts text on the clipboard (a URL, a path).
    Copy(String),
    /// Waiting downloads dragged beside another waiting one.
    DropNextTo(Vec<usize>, usize, Side),
    /// A message for the status bar.
    Notify(String),
    /// The login prompt was answered: the engine takes the login, then
    /// these downloads go again.
    RetryWithLogin(Vec<usize>),
    /// The downloads that arrived held are started (true) or removed.
    AnswerArrived(bool),
}

/// Where the selected waiting downloads go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveTo {
    Top,
    Up,
    Down,
    Bottom,
}

impl MoveTo {
    /// Each row's move, in an order that keeps the selected rows in their
    /// list order: to the top and down the last one first, up and to the
    /// bottom the first one first.
    pub fn steps(self, mut rows: Vec<usize>) -> Vec<(usize, Place)> {
        rows.sort_unstable();
        let place = match self {
            MoveTo::Top => Place::FromStart(0),
            MoveTo::Up => Place::FromHere(-1),
            MoveTo::Down => Place::FromHere(1),
            MoveTo::Bottom => Place::FromEnd(0),
        };
        if matches!(self, MoveTo::Top | MoveTo::Down) {
            rows.reverse();
        }
        rows.into_iter().map(|i| (i, place)).collect()
    }
}

impl FanoutApp {
    /// Does what a click would (tests and tools drive the window this way).
    pub fn perform(&mut self, action: Action) {
        self.apply(action);
    }

    /// Selects one row, as a plain click on it would (the details pane
    /// shows it).
    pub fn select(&mut self, index: usize) {
        self.panels.table.selection.click(index, egui::Modifiers::NONE);
    }

    /// Applies one action. Those that need no engine (opening files,
    /// choosing a folder, clearing the list, the comparison) work even when
    /// none runs.
    pub(super) fn apply(&mut self, action: Action) {
        match action {
            Action::OpenAdd(text) => {
                let clipboard = (text.is_none() && self.options.use_clipboard).then(read_clipboard);
                self.panels.add.open_with(text, clipboard);
            }
            Action::Add(urls) => self.add_urls(urls),
            Action::Pause(_)
            | Action::Resume(_)
            | Action::Cancel(_)
            | Action::Retry(_)
            | Action::SetRate(..)
            | Action::Move(..) => self.control(action),
            Action::Compare(CompareAction::Run) => {
                let urls = self.core().model.rows.iter().map(|r| r.url.clone()).collect();
                self.panels
                    .compare
                    .start(urls, &self.settings, &self.options.scratch_dir, &self.ctx);
            }
            Action::Compare(CompareAction::Stop) => self.panels.compare.stop(),
            Action::Compare(CompareAction::SaveCsv) => {
                let text = self.panels.compare.save_csv(&self.settings.download_dir);
                self.notify(text);
            }
            Action::Compare(CompareAction::SavePng) => {
                self.panels
                    .compare
                    .save_png(&self.settings.download_dir, &self.ctx);
            }
            Action::ClearList if self.on_server(&Action::ClearList) => {}
            Action::ClearList => {
                // Only offered when every task has ended: a new engine and an
                // empty store, so indices and ranks start again at 0 and 1.
                self.local().clear(&self.settings);
                self.panels.table.selection = Selection::default();
                self.start_engine();
            }
            Action::OpenFile(i) => {
                let path = self.core().model.rows[i].path.clone();
                if let Some(path) = path {
                    self.open_path(&path);
                }
            }
            Action::OpenFolder(i) => {
                let dir = self.core().model.rows[i]
                    .path
                    .as_ref()
                    .and_then(|p| p.parent())
                    .map(Path::to_path_buf);
                if let Some(dir) = dir {
                    self.open_path(&dir);
                }
            }
            Action::ChooseFiles(i) => {
                let meta = self.core().model.rows.get(i).and_then(|r| r.torrent.clone());
                if let Some(meta) = meta {
                    self.panels.files.open(i, meta);
                }
            }
            Action::SelectFiles(..) if self.on_server(&action) => {}
            Action::SelectFiles(i, files) => {
                if !self.local().choose_files(i, files) {
                    self.notify_engine(tr!(NoEngine).to_string());
                }
            }
            Action::Remove(_) | Action::RemoveWithFiles(_) if self.on_server(&action) => {}
            Action::Remove(rows) => self.remove(rows, false),
            Action::RemoveWithFiles(rows) => self.remove(rows, true),
            Action::AskRemoveWithFiles(rows) => self.panels.keys.ask_remove_with_files(rows),
            Action::Copy(text) => self.ctx.copy_text(text),
            Action::DropNextTo(..) if self.on_server(&action) => {}
            Action::DropNextTo(rows, target, side) => {
                self.local().drop_next_to(&rows, target, side);
            }
            Action::QueuePaused(paused) => self.local().set_queue_paused(paused),
            Action::Notify(text) => self.notify(text),
            Action::RetryWithLogin(rows) => self.retry_with_login(rows),
            Action::AnswerArrived(start) => self.answer_arrived(start),
            Action::ChooseFolder => {
                if self.pending.folder_pick.is_none() {
                    self.pending.folder_pick = Some(pick_folder(&self.settings.download_dir, &self.ctx));
                }
            }
            Action::ReadDropped(paths) => {
                let (tx, rx) = mpsc::channel();
                let ctx = self.ctx.clone();
                std::thread::spawn(move || {
                    let mut text = String::new();
                    for p in paths {
                        // A dropped `.torrent` or metalink is a download
                        // of its own (its path); other files are lists of
                        // URLs.
                        let path = p.to_string_lossy();
                        if crate::engine::is_torrent_source(&path)
                            || crate::engine::metalink::is_metalink_name(&path)
                        {
                            text.push_str(&path);
                            text.push('\n');
                        } else if let Some(t) = crate::input::read_list(&p) {
                            text.push_str(&t);
                            text.push('\n');
                        }
                    }
                    let _ = tx.send(text);
                    ctx.request_repaint();
                });
                self.pending.dropped = Some(rx);
            }
        }
    }

    /// Queues the URLs. With no engine running nothing is lost: they go
    /// back into the add dialog, and the status bar says why.
    pub(super) fn add_urls(&mut self, mut urls: Vec<(String, Options)>) {
        // A metalink on the web is its files, once fetched.
        let remote = super::metalinks::take_remote(&mut urls);
        if !remote.is_empty() {
            let fetch = super::metalinks::fetch(remote, None, self.ctx.clone());
            self.pending.metalinks.push(fetch);
        }
        if urls.is_empty() {
            return;
        }
        if self.shows_server() {
            return self.add_to_server(urls);
        }
        self.add_urls_into(urls, None);
    }

    /// Queues the URLs into `dir`, else the settings' folder (torrents':
    /// Settings › Torrents). A torrent gets the settings' seeding limits
    /// when its line gave none, and waits for its files to be chosen when
    /// they say so.
    pub(super) fn add_urls_into(&mut self, mut urls: Vec<(String, Options)>, dir: Option<PathBuf>) {
        let folder = self.settings.target_dir();
        let local = self.settings.engine != crate::settings::EngineChoice::Aria2;
        let torrent_folder = match &dir {
            Some(d) => d.clone(),
            None if local => self.settings.torrent.folder(&folder),
            None => folder.clone(),
        };
        let dir = dir.unwrap_or(folder);
        let mut dirs = Vec::with_capacity(urls.len());
        for (url, options) in &mut urls {
            if crate::engine::is_torrent_source(url) {
                self.settings.torrent.fill(&mut options.torrent);
                dirs.push(torrent_folder.clone());
            } else {
                dirs.push(dir.clone());
            }
        }
        if self.local().engine.is_none() {
            let lines: Vec<String> = urls
                .iter()
                .map(|(url, options)| {
                    let words = options.to_words();
                    if words.is_empty() {
                        url.clone()
                    } else {
                        format!("{url} {words}")
                    }
                })
                .collect();
            self.panels.add.open_with(Some(lines.join("\n")), None);
            self.notify_engine(tr!(NoEngine).to_string());
            return;
        };
        let n = urls.len();
        let core = &mut *self.local();
        for ((url, options), dir) in urls.into_iter().zip(dirs) {
            core.add(url, dir, options, false);
        }
        // Acknowledged means kept: the status bar says they are in once
        // the queue's store has committed them (a killed window keeps
        // them from then on).
        if let Some(store) = &core.store {
            let (kept, ctx) = (self.link.kept.0.clone(), self.ctx.clone());
            store.when_committed(move || {
                let _ = kept.send(n);
                ctx.request_repaint();
            });
        }
    }

    /// Adds the store has committed: said in the status bar.
    pub(super) fn say_kept(&mut self) {
        let n: usize = self.link.kept.1.try_iter().sum();
        if n > 0 {
            self.notify(tr!(AddedKept, n = n));
        }
    }

    /// Pause, resume, cancel, retry and a task's own limit: the engine's.
    fn control(&mut self, action: Action) {
        if self.on_server(&action) {
            return;
        }
        if self.local().engine.is_none() {
            return self.notify_engine(tr!(NoEngine).to_string());
        }
        let mut core = self.local();
        match action {
            Action::SetRate(index, rate) => core.set_rate(index, rate),
            Action::Pause(rows) => {
                for i in rows {
                    core.pause(i);
                }
            }
            Action::Resume(rows) => {
                // A torrent waiting for its files shows them instead.
                let waiting = rows
                    .iter()
                    .find_map(|&i| {
                        core.model
                            .rows
                            .get(i)
                            .filter(|r| waits_for_choice(r))
                            .map(|r| (i, r))
                    })
                    .and_then(|(i, r)| r.torrent.clone().map(|m| (i, m)));
                for i in rows {
                    if waiting.as_ref().is_none_or(|(w, _)| *w != i) {
                        core.resume(i);
                    }
                }
                if let Some((i, meta)) = waiting {
                    drop(core);
                    self.panels.files.open(i, meta);
                }
            }
            Action::Cancel(rows) => {
                for i in rows {
                    core.cancel(i);
                }
            }
            Action::Retry(rows) => {
                if let Some(engine) = &core.engine {
                    for i in rows {
                        engine.retry(i);
                    }
                }
            }
            Action::Move(rows, to) => {
                if let Some(engine) = &core.engine {
                    for (i, place) in to.steps(rows) {
                        engine.move_to(i, place);
                    }
                }
            }
            _ => {}
        }
    }

    /// Removes this computer's downloads (see `service::remove`); they
    /// leave the selection too.
    fn remove(&mut self, rows: Vec<usize>, with_files: bool) {
        let n = {
            let mut core = self.local();
            rows.iter().filter(|&&i| core.remove(i, with_files)).count()
        };
        self.panels.table.selection.rows.retain(|i| !rows.contains(i));
        if n > 0 {
            self.notify(tr!(Removed, n = n));
        }
    }

    pub(super) fn open_path(&mut self, path: &Path) {
        self.told.last_opened = Some(path.to_path_buf());
        if let Err(e) = self.options.opener.open(path) {
            self.notify(tr!(CouldNotOpen, path = path.display(), e = e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_rows_keep_their_order_among_themselves() {
        let rows = || vec![7, 3, 5];
        let at = |to: MoveTo| to.steps(rows()).into_iter().map(|(i, _)| i).collect::<Vec<_>>();
        // To the top the last goes first, so 3 5 7 end up in that order.
        assert_eq!(at(MoveTo::Top), [7, 5, 3]);
        assert_eq!(at(MoveTo::Bottom), [3, 5, 7]);
        assert_eq!(at(MoveTo::Up), [3, 5, 7]);
        assert_eq!(at(MoveTo::Down), [7, 5, 3]);
        assert!(
            MoveTo::Top
                .steps(rows())
                .iter()
                .all(|&(_, p)| p == Place::FromStart(0))
        );
    }
}

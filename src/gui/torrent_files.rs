//! A torrent's files, to choose which are written: its tree (folders
//! collapsible), each file's size and a tick, all or none at once, and the
//! total chosen. It opens by itself when a torrent added from the window
//! waits for its files to be chosen (its metadata known, nothing written:
//! `Choose files before a torrent starts`), and from a row's `…` menu at
//! any time. Applying chooses them in the engine; a torrent that waited
//! goes on.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::Action;
use super::view::View;
use crate::engine::TorrentMeta;
use crate::i18n::tr;
use crate::i18n::units::human_bytes;
use crate::service::model::Row;

/// The file list's state: the row it shows and the ticks.
#[derive(Default)]
pub struct FilePicker {
    open: Option<Open>,
    /// Rows whose waiting torrent the list was opened for already.
    offered: BTreeSet<usize>,
}

struct Open {
    index: usize,
    meta: Arc<TorrentMeta>,
    ticks: Vec<bool>,
}

/// A folder of the tree, or a file (its place in the torrent).
enum Node {
    Folder { name: String, children: Vec<Node> },
    File(usize),
}

/// The tree of a torrent's `/`-joined file names, in the torrent's order.
fn tree(meta: &TorrentMeta) -> Vec<Node> {
    let mut root = Vec::new();
    for (i, f) in meta.files.iter().enumerate() {
        let parts: Vec<&str> = f.name.split('/').filter(|p| !p.is_empty()).collect();
        insert(&mut root, &parts, i);
    }
    root
}

fn insert(nodes: &mut Vec<Node>, parts: &[&str], file: usize) {
    let [dir, rest @ ..] = parts else {
        return nodes.push(Node::File(file));
    };
    if rest.is_empty() {
        return nodes.push(Node::File(file));
    }
    let at = nodes
        .iter()
        .position(|n| matches!(n, Node::Folder { name, .. } if name == dir))
        .unwrap_or_else(|| {
            nodes.push(Node::Folder {
                name: (*dir).to_string(),
                children: Vec::new(),
            });
            nodes.len() - 1
        });
    if let Node::Folder { children, .. } = &mut nodes[at] {
        insert(children, rest, file);
    }
}

impl Node {
    /// The files under it.
    fn files(&self, out: &mut Vec<usize>) {
        match self {
            Node::File(i) => out.push(*i),
            Node::Folder { children, .. } => children.iter().for_each(|c| c.files(out)),
        }
    }
}

/// Whether a row is a torrent waiting for its files to be chosen.
pub fn waits_for_choice(row: &Row) -> bool {
    row.torrent.is_some() && row.options.torrent.pause_metadata
}

impl FilePicker {
    /// Shows a torrent's files (row `index`), ticked as chosen now.
    pub fn open(&mut self, index: usize, meta: Arc<TorrentMeta>) {
        self.offered.insert(index);
        self.open = Some(Open {
            index,
            ticks: meta.files.iter().map(|f| f.selected).collect(),
            meta,
        });
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }
}

impl FilePicker {
    /// A torrent of `view` that waits for its files to be chosen and was
    /// not offered yet, while the list is closed.
    pub(super) fn waiting(&self, view: &View<'_>) -> Option<(usize, Arc<TorrentMeta>)> {
        if self.is_open() || view.on_server() {
            return None;
        }
        view.shown
            .model
            .rows
            .iter()
            .enumerate()
            .filter(|(i, row)| waits_for_choice(row) && !self.offered.contains(i))
            .find_map(|(i, row)| row.torrent.clone().map(|m| (i, m)))
    }

    /// Opens the list for `waiting` (see [`FilePicker::waiting`]; once per
    /// row), then draws it when open.
    pub(super) fn window(
        &mut self,
        ctx: &egui::Context,
        waiting: Option<(usize, Arc<TorrentMeta>)>,
        actions: &mut Vec<Action>,
    ) {
        if let Some((i, meta)) = waiting {
            self.open(i, meta);
        }
        let Some(open) = &mut self.open else {
            return;
        };
        let mut keep = true;
        let mut apply = false;
        egui::Window::new(tr!(TorrentFilesTitle, name = open.meta.name))
            .id(egui::Id::unique("torrent-files"))
            .collapsible(false)
            .resizable(true)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .default_width(460.0)
            .show(ctx, |ui| {
                egui::ScrollArea::vertical().max_height(360.0).show(ui, |ui| {
                    for node in tree(&open.meta) {
                        node_ui(ui, &node, &open.meta, &mut open.ticks, &[]);
                    }
                });
                ui.separator();
                ui.horizontal(|ui| {
                    if ui.button(tr!(SelectAll)).clicked() {
                        open.ticks.iter_mut().for_each(|t| *t = true);
                    }
                    if ui.button(tr!(SelectNone)).clicked() {
                        open.ticks.iter_mut().for_each(|t| *t = false);
                    }
                });
                let (n, bytes) = chosen(&open.meta, &open.ticks);
                ui.label(tr!(
                    FilesChosen,
                    n = n,
                    total = open.ticks.len(),
                    size = human_bytes(bytes)
                ));
                ui.horizontal(|ui| {
                    // On a server too: `select-file` there.
                    let r = ui
                        .add_enabled(n > 0, egui::Button::new(tr!(ApplyFiles)))
                        .on_disabled_hover_text(tr!(NoFileChosen));
                    apply = r.clicked();
                    if ui.button(tr!(Close)).clicked() {
                        keep = false;
                    }
                });
            });
        if apply {
            let files = (0..open.ticks.len()).filter(|&i| open.ticks[i]).collect();
            actions.push(Action::SelectFiles(open.index, files));
            keep = false;
        }
        if !keep {
            self.open = None;
        }
    }
}

/// The tree as the details pane shows it: each file's size, whether it is
/// chosen (a tick that cannot be changed here: the `…` menu's list does
/// that) and how much of it is written (`done`, per file; empty: unknown).
pub(super) fn show_tree(ui: &mut egui::Ui, meta: &TorrentMeta, done: &[u64]) {
    let mut ticks: Vec<bool> = meta.files.iter().map(|f| f.selected).collect();
    ui.add_enabled_ui(false, |ui| {
        for node in tree(meta) {
            node_ui(ui, &node, meta, &mut ticks, done);
        }
    });
}

/// The files ticked, and their bytes.
fn chosen(meta: &TorrentMeta, ticks: &[bool]) -> (usize, u64) {
    meta.files
        .iter()
        .zip(ticks)
        .filter(|(_, t)| **t)
        .fold((0, 0), |(n, b), (f, _)| (n + 1, b + f.length))
}

/// One node: a file's tick, name, size (and share written, when `done`
/// says), or a folder's tick (all its files) over its collapsible contents.
fn node_ui(ui: &mut egui::Ui, node: &Node, meta: &TorrentMeta, ticks: &mut [bool], done: &[u64]) {
    match node {
        Node::File(i) => {
            let file = &meta.files[*i];
            let name = file.name.rsplit('/').next().unwrap_or(&file.name);
            ui.horizontal(|ui| {
                ui.checkbox(&mut ticks[*i], name);
                ui.weak(human_bytes(file.length));
                if let Some(&d) = done.get(*i) {
                    ui.weak(format!("{:.0}%", d as f64 * 100.0 / file.length.max(1) as f64));
                }
            });
        }
        Node::Folder { name, children } => {
            let mut files = Vec::new();
            node.files(&mut files);
            let ticked = files.iter().filter(|&&i| ticks[i]).count();
            let bytes: u64 = files.iter().map(|&i| meta.files[i].length).sum();
            let id = ui.make_persistent_id(("torrent-folder", name, files.first()));
            egui::collapsing_header::CollapsingState::load_with_default_open(ui.ctx(), id, true)
                .show_header(ui, |ui| {
                    let mut all = ticked == files.len();
                    let r = ui.add(
                        egui::Checkbox::new(&mut all, format!("🗁 {name}"))
                            .indeterminate(ticked > 0 && ticked < files.len()),
                    );
                    if r.changed() {
                        files.iter().for_each(|&i| ticks[i] = all);
                    }
                    ui.weak(human_bytes(bytes));
                })
                .body(|ui| {
                    for child in children {
                        node_ui(ui, child, meta, ticks, done);
                    }
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::TorrentFile;

    #[test]
    fn files_make_a_tree_of_their_folders_in_the_torrent_s_order() {
        let file = |name: &str, length| TorrentFile {
            name: name.into(),
            length,
            selected: true,
            ..Default::default()
        };
        let meta = TorrentMeta {
            files: vec![
                file("a.bin", 1),
                file("sub/b.txt", 2),
                file("sub/deep/c", 4),
                file("d", 8),
            ],
            ..Default::default()
        };
        let t = tree(&meta);
        assert_eq!(t.len(), 3);
        assert!(matches!(t[0], Node::File(0)));
        let Node::Folder { name, children } = &t[1] else {
            panic!("a folder")
        };
        assert_eq!((name.as_str(), children.len()), ("sub", 2));
        let mut under = Vec::new();
        t[1].files(&mut under);
        assert_eq!(under, [1, 2]);
        assert_eq!(chosen(&meta, &[true, false, true, false]), (2, 5));
    }
}

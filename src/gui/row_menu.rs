//! A row's menu, written once for both ways to it: a right-click on the
//! row and its `…` button. It acts on the selection when the row is in
//! it, else on that row alone; each item is offered when it applies to at
//! least one of them. The row's own extras (a torrent's files, its speed
//! limit, its checksum) follow.

use super::{Action, MoveTo};
use crate::i18n::tr;
use crate::service::model::{Model, TaskState};

/// What the menu acts on: the row it was opened on and the rows it
/// applies to, in the list's order.
pub(super) struct Target<'a> {
    pub model: &'a Model,
    pub index: usize,
    pub rows: Vec<usize>,
    /// The rows are a server's: what aria2's RPC cannot do is disabled.
    pub on_server: bool,
}

impl Target<'_> {
    /// The rows whose state passes `keep`.
    fn which(&self, keep: impl Fn(&crate::service::model::Row) -> bool) -> Vec<usize> {
        self.rows
            .iter()
            .copied()
            .filter(|&i| self.model.rows.get(i).is_some_and(&keep))
            .collect()
    }
}

/// One item: enabled when `rows` is not empty; its action once clicked
/// (and the menu closes).
fn item(
    ui: &mut egui::Ui,
    text: &str,
    enabled: bool,
    actions: &mut Vec<Action>,
    action: impl FnOnce() -> Action,
) {
    if ui.add_enabled(enabled, egui::Button::new(text)).clicked() {
        actions.push(action());
        ui.close();
    }
}

pub(super) fn show(ui: &mut egui::Ui, t: &Target<'_>, actions: &mut Vec<Action>) {
    let done = t.which(|r| r.state == TaskState::Done && r.path.is_some());
    if ui
        .add_enabled(!done.is_empty(), egui::Button::new(tr!(Open)))
        .clicked()
    {
        actions.extend(done.into_iter().map(Action::OpenFile));
        ui.close();
    }
    // Each folder once.
    let mut folders: Vec<(usize, std::path::PathBuf)> = Vec::new();
    for i in t.which(|r| r.path.is_some()) {
        let dir = t.model.rows[i]
            .destination()
            .parent()
            .map(std::path::Path::to_path_buf);
        if let Some(dir) = dir.filter(|d| !folders.iter().any(|(_, f)| f == d)) {
            folders.push((i, dir));
        }
    }
    item(ui, tr!(OpenFolder), !folders.is_empty(), actions, || {
        Action::OpenFolder(folders[0].0)
    });
    // One a line, as a list of URLs pastes into the add dialog.
    let lines = |f: &dyn Fn(usize) -> String| t.rows.iter().map(|&i| f(i)).collect::<Vec<_>>().join("\n");
    let urls = lines(&|i| t.model.rows[i].shown_url.clone());
    item(ui, tr!(CopyUrl), !t.rows.is_empty(), actions, || {
        Action::Copy(urls)
    });
    let paths = lines(&|i| t.model.rows[i].destination().display().to_string());
    item(ui, tr!(CopyPath), !t.rows.is_empty(), actions, || {
        Action::Copy(paths)
    });
    ui.separator();
    let pausable = t.which(|r| r.state.can_pause());
    item(ui, tr!(Pause), !pausable.is_empty(), actions, || {
        Action::Pause(pausable)
    });
    let resumable = t.which(|r| r.state.can_resume());
    item(ui, tr!(Resume), !resumable.is_empty(), actions, || {
        Action::Resume(resumable)
    });
    let retryable = t.which(|r| r.state.can_retry() && r.retryable);
    let mut r = ui.add_enabled(
        !retryable.is_empty() && !t.on_server,
        egui::Button::new(tr!(Retry)),
    );
    if t.on_server {
        r = r.on_disabled_hover_text(tr!(NotOnServer));
    }
    if r.clicked() {
        actions.push(Action::Retry(retryable));
        ui.close();
    }
    ui.separator();
    let waiting = t.which(|r| r.state.is_waiting());
    for (to, text) in [
        (MoveTo::Top, tr!(MoveToTop)),
        (MoveTo::Up, tr!(MoveUpOne)),
        (MoveTo::Down, tr!(MoveDownOne)),
        (MoveTo::Bottom, tr!(MoveToBottom)),
    ] {
        item(ui, text, !waiting.is_empty(), actions, || {
            Action::Move(waiting.clone(), to)
        });
    }
    ui.separator();
    item(ui, tr!(Remove), !t.rows.is_empty(), actions, || {
        Action::Remove(t.rows.clone())
    });
    let r = ui
        .add_enabled(
            !t.rows.is_empty() && !t.on_server,
            egui::Button::new(tr!(RemoveWithFile)),
        )
        .on_disabled_hover_text(tr!(RemoveWithFileNotOnServer));
    if r.clicked() {
        actions.push(Action::AskRemoveWithFiles(t.rows.clone()));
        ui.close();
    }
    extras(ui, t, actions);
}

/// The row's own: a torrent's files, its speed limit (changeable while it
/// runs), its checksum.
fn extras(ui: &mut egui::Ui, t: &Target<'_>, actions: &mut Vec<Action>) {
    let (index, row) = (t.index, &t.model.rows[t.index]);
    ui.separator();
    if row.torrent.is_some() || crate::engine::is_torrent_source(&row.url) {
        let r = ui
            .add_enabled(row.torrent.is_some(), egui::Button::new(tr!(ChooseFiles)))
            .on_hover_text(tr!(ChooseFilesHint))
            .on_disabled_hover_text(tr!(ChooseFilesLater));
        if r.clicked() {
            actions.push(Action::ChooseFiles(index));
            ui.close();
        }
    }
    let mut kib = row.options.rate_limit.map_or(0, |r| r / 1024);
    ui.horizontal(|ui| {
        let l = ui.label(tr!(SpeedLimit));
        let r = ui
            .add(egui::DragValue::new(&mut kib).range(0..=10_000_000).speed(16.0))
            .on_hover_text(tr!(TaskSpeedLimitHint))
            .labelled_by(l.id);
        if r.changed() {
            actions.push(Action::SetRate(index, (kib > 0).then(|| kib * 1024)));
        }
    });
    if let Some(hash) = &row.options.sha256 {
        ui.weak(tr!(ShaToCheck, hash = crate::engine::hex(hash)));
    }
}

//! The task table: one row per task, virtualised (only the visible rows are
//! laid out), with per-row actions and multi-select.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use egui::{Color32, RichText, Sense};
use egui_extras::{Column, TableBuilder};

use super::Action;
use crate::cli::human_bytes;
use crate::i18n::{self, tr};
use crate::service::model::{Model, Row, TaskState};

/// Which rows are selected, with the anchor of a shift-click range.
#[derive(Default)]
pub struct Selection {
    pub rows: BTreeSet<usize>,
    anchor: Option<usize>,
}

impl Selection {
    /// The row the details pane shows: the one last clicked, while it is
    /// still selected, else the first selected.
    pub fn focused(&self) -> Option<usize> {
        self.anchor
            .filter(|a| self.rows.contains(a))
            .or_else(|| self.rows.first().copied())
    }

    fn click(&mut self, index: usize, modifiers: egui::Modifiers) {
        if modifiers.shift
            && let Some(anchor) = self.anchor
        {
            let (a, b) = (anchor.min(index), anchor.max(index));
            if !modifiers.command {
                self.rows.clear();
            }
            self.rows.extend(a..=b);
        } else if modifiers.command {
            if !self.rows.remove(&index) {
                self.rows.insert(index);
            }
            self.anchor = Some(index);
        } else {
            self.rows.clear();
            self.rows.insert(index);
            self.anchor = Some(index);
        }
    }
}

pub fn speed_text(bytes_per_sec: f64) -> String {
    if bytes_per_sec <= 0.0 {
        "–".into()
    } else {
        format!("{}/s", human_bytes(bytes_per_sec as u64))
    }
}

pub fn eta_text(eta: Option<Duration>) -> String {
    match eta {
        None => "–".into(),
        Some(d) => {
            let s = d.as_secs();
            if s >= 3600 {
                format!("{}h{:02}m", s / 3600, s / 60 % 60)
            } else if s >= 60 {
                format!("{}m{:02}s", s / 60, s % 60)
            } else {
                format!("{s}s")
            }
        }
    }
}

fn state_color(state: &TaskState, ui: &egui::Ui) -> Color32 {
    match state {
        TaskState::Done => Color32::from_rgb(0x2e, 0xa0, 0x43),
        TaskState::Failed(_) => ui.visuals().error_fg_color,
        TaskState::Cancelled | TaskState::Paused => ui.visuals().weak_text_color(),
        TaskState::Running | TaskState::Pausing | TaskState::Cancelling => ui.visuals().hyperlink_color,
        TaskState::Seeding => Color32::from_rgb(0x2e, 0x8a, 0xa0),
        TaskState::Retrying { .. } => ui.visuals().warn_fg_color,
        TaskState::Queued => ui.visuals().text_color(),
    }
}

fn progress_cell(ui: &mut egui::Ui, row: &Row) {
    let bytes = match row.total {
        // A finished file says its size once.
        Some(t) if t == row.bytes => human_bytes(t),
        // A stream's size is what its segments so far suggest.
        Some(t) if row.pieces.is_some() => format!("{} / ~{}", human_bytes(row.bytes), human_bytes(t)),
        Some(t) => format!("{} / {}", human_bytes(row.bytes), human_bytes(t)),
        None => human_bytes(row.bytes),
    };
    // A stream's count of segments, after what every row shows.
    let segments = match row.pieces {
        Some((done, Some(total))) => format!("  {}", tr!(SegmentsOf, done = done, total = total)),
        Some((done, None)) => format!("  {}", tr!(SegmentsLive, done = done)),
        None => String::new(),
    };
    let swarm = swarm_text(row);
    match (row.fraction(), swarm) {
        // A torrent's swarm after its share: the bytes are in the hover.
        (Some(f), Some(swarm)) => {
            // Seeding, the share is whole: the swarm says more.
            let text = match row.state {
                TaskState::Seeding => swarm,
                _ => format!("{:.0}% · {swarm}", f * 100.0),
            };
            ui.add(egui::ProgressBar::new(f).desired_height(16.0).text(text.clone()))
                .on_hover_text(format!("{bytes}  {text}"));
        }
        (Some(f), None) => {
            let text = format!("{bytes}  {:.0}%{segments}", f * 100.0);
            ui.add(egui::ProgressBar::new(f).desired_height(16.0).text(text.clone()))
                .on_hover_text(text);
        }
        (None, _) if row.state.is_active() => {
            // Size unknown (no Content-Length): indeterminate.
            ui.spinner();
            ui.label(bytes + &segments);
        }
        (None, _) => {
            ui.weak(if row.bytes > 0 {
                bytes + &segments
            } else {
                "–".into()
            });
        }
    }
}

/// A torrent's swarm as its row says it: peers (seeds) while it runs or
/// seeds, the upload speed while there is one, and the ratio once it has
/// uploaded (or seeds); the ratio alone once it has ended.
pub fn swarm_text(row: &Row) -> Option<String> {
    let swarm = row.swarm.as_ref()?;
    let size = row
        .torrent
        .as_ref()
        .map(|t| t.selected_bytes())
        .or(row.total)
        .unwrap_or(0);
    let ratio = tr!(RatioOnly, ratio = format!("{:.2}", swarm.ratio(size)));
    if !row.state.is_active() {
        return Some(ratio);
    }
    let mut parts = vec![tr!(SwarmPeers, peers = swarm.peers.len(), seeds = swarm.seeders)];
    if swarm.upload_speed > 0 {
        parts.push(format!("↑ {}", speed_text(swarm.upload_speed as f64)));
    }
    if swarm.uploaded > 0 || row.state == TaskState::Seeding {
        parts.push(ratio);
    }
    Some(parts.join(" · "))
}

fn actions_cell(ui: &mut egui::Ui, index: usize, row: &Row, actions: &mut Vec<Action>) {
    let small = |ui: &mut egui::Ui, enabled: bool, icon: &str, what: &str| {
        let r = ui.add_enabled(enabled, egui::Button::new(icon).small());
        // Screen readers (and tests) get the word, not the symbol.
        r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, what));
        r.on_hover_text(what).on_disabled_hover_text(what).clicked()
    };
    if row.state.can_resume() {
        if small(ui, true, "▶", tr!(Resume)) {
            actions.push(Action::Resume(vec![index]));
        }
    } else if small(ui, row.state.can_pause(), "⏸", tr!(Pause)) {
        actions.push(Action::Pause(vec![index]));
    }
    if small(ui, row.state.can_cancel(), "✖", tr!(Cancel)) {
        actions.push(Action::Cancel(vec![index]));
    }
    if small(ui, row.state.can_retry() && row.retryable, "⟲", tr!(Retry)) {
        actions.push(Action::Retry(vec![index]));
    }
    let saved = row.path.is_some();
    if small(ui, saved, "🗋", tr!(OpenFile)) {
        actions.push(Action::OpenFile(index));
    }
    let more = ui
        .menu_button("…", |ui| more_menu(ui, index, row, actions))
        .response;
    more.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, tr!(More)));
    more.on_hover_text(tr!(MoreHint));
}

/// The table of `shown` rows (indices into the model: all of them, or
/// those the filter lets through).
pub fn show(
    ui: &mut egui::Ui,
    model: &Model,
    shown: &[usize],
    selection: &mut Selection,
    actions: &mut Vec<Action>,
) {
    if model.rows.is_empty() {
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            ui.heading(tr!(NoDownloads));
            ui.label(tr!(NoDownloadsHint));
        });
        return;
    }
    let now = Instant::now();
    let row_height = 22.0;
    let mut clicked: Option<(usize, egui::Modifiers)> = None;
    // Torrents' swarm needs a wider progress column (taken from the name's
    // and the window's spare room): a table of its own widths once one is
    // listed.
    let torrents = shown.iter().any(|&i| model.rows[i].torrent.is_some());
    TableBuilder::new(ui)
        .id_salt(if torrents { "tasks-torrents" } else { "tasks" })
        .striped(true)
        .sense(Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(34.0))
        .column(
            Column::initial(if torrents { 100.0 } else { 120.0 })
                .at_least(80.0)
                .clip(true)
                .resizable(true),
        )
        // Fits `293.0 KiB / 300.0 KiB  98%` at the default window size (a
        // finished file says its size once; the hover has the whole text).
        .column(
            Column::initial(if torrents { 200.0 } else { 172.0 })
                .at_least(120.0)
                .clip(true)
                .resizable(true),
        )
        .column(Column::exact(72.0))
        // Wide enough for the Chinese headers (剩余时间, 完成序号).
        .column(Column::exact(56.0))
        .column(Column::initial(86.0).at_least(60.0).clip(true).resizable(true))
        .column(Column::exact(56.0))
        .column(Column::exact(64.0))
        .column(Column::remainder().at_least(130.0))
        .header(20.0, |mut header| {
            for title in [
                "#",
                tr!(Name),
                tr!(ColProgress),
                tr!(ColSpeed),
                tr!(ColEta),
                tr!(ColState),
                tr!(DoneNo),
                tr!(ColWorker),
                tr!(ColActions),
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, shown.len(), |mut tr| {
                let index = shown[tr.index()];
                let row = &model.rows[index];
                tr.set_selected(selection.rows.contains(&index));
                tr.col(|ui| {
                    ui.label(index.to_string());
                });
                tr.col(|ui| {
                    // The URL, and where the file goes (a folder another
                    // program chose shows here).
                    ui.label(&row.name).on_hover_ui(|ui| {
                        ui.label(&row.shown_url);
                        ui.label(format!("→ {}", row.destination().display()));
                        if let Some(rule) = &row.rule {
                            ui.label(tr!(RuleApplies, rule = rule));
                        }
                    });
                });
                tr.col(|ui| progress_cell(ui, row));
                tr.col(|ui| {
                    ui.label(speed_text(row.speed(now)));
                });
                tr.col(|ui| {
                    ui.label(eta_text(row.eta(now)));
                });
                tr.col(|ui| {
                    let text = RichText::new(row.state.label()).color(state_color(&row.state, ui));
                    let r = ui.label(text);
                    // The full reason and the task's log on hover.
                    let mut hover = row.state.reason().unwrap_or_default();
                    for note in &row.log {
                        if !hover.is_empty() {
                            hover.push('\n');
                        }
                        hover.push_str(&i18n::note(note));
                    }
                    if !hover.is_empty() {
                        r.on_hover_text(hover);
                    }
                });
                tr.col(|ui| {
                    ui.label(row.rank.map_or(String::new(), |r| r.to_string()));
                });
                tr.col(|ui| {
                    let worker = row.worker.map_or_else(String::new, |w| w.to_string());
                    if row.connections > 1 && row.state.is_active() {
                        ui.label(format!("{worker} ×{}", row.connections))
                            .on_hover_text(tr!(ConnectionsEach, n = row.connections));
                    } else {
                        ui.label(worker);
                    }
                });
                tr.col(|ui| actions_cell(ui, index, row, actions));
                if tr.response().clicked() {
                    clicked = Some((index, ui_modifiers(&tr.response())));
                }
            });
        });
    if let Some((index, modifiers)) = clicked {
        selection.click(index, modifiers);
    }
}

/// A row's `…` menu: its folder, its own speed limit (changeable while it
/// runs), its checksum.
fn more_menu(ui: &mut egui::Ui, index: usize, row: &Row, actions: &mut Vec<Action>) {
    if ui
        .add_enabled(
            row.path.is_some(),
            egui::Button::new(format!("🗁 {}", tr!(OpenFolder))),
        )
        .clicked()
    {
        actions.push(Action::OpenFolder(index));
        ui.close();
    }
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

fn ui_modifiers(response: &egui::Response) -> egui::Modifiers {
    response.ctx.input(|i| i.modifiers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn click_shift_click_and_ctrl_click_select_like_a_file_manager() {
        let mut s = Selection::default();
        s.click(3, egui::Modifiers::NONE);
        s.click(6, egui::Modifiers::SHIFT);
        assert_eq!(s.rows.iter().copied().collect::<Vec<_>>(), [3, 4, 5, 6]);
        s.click(5, egui::Modifiers::COMMAND);
        assert_eq!(s.rows.iter().copied().collect::<Vec<_>>(), [3, 4, 6]);
        s.click(1, egui::Modifiers::NONE);
        assert_eq!(s.rows.iter().copied().collect::<Vec<_>>(), [1]);
        assert_eq!(eta_text(Some(Duration::from_secs(3725))), "1h02m");
        assert_eq!(speed_text(0.0), "–");
    }
}

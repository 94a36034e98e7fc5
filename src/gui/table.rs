//! The task table: one row per task, virtualised (only the visible rows are
//! laid out), with per-row actions and multi-select.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use egui::{Color32, RichText, Sense};
use egui_extras::{Column, TableBuilder};

use super::{Action, row_menu};
use crate::i18n::units::human_bytes;
use crate::i18n::{self, tr};
use crate::service::kind::Kind;
use crate::service::model::{LOG_LINES, Model, Row, TaskState};
use crate::service::reorder::Side;

/// The list's own state: which rows are selected.
#[derive(Default)]
pub struct Table {
    pub selection: Selection,
}

impl Table {
    /// The Downloads tab: the list of the rows `filter` lets through, or a
    /// word when it lets nothing through (then a button that shows every
    /// row again).
    pub(super) fn ui(
        &mut self,
        ui: &mut egui::Ui,
        view: &super::view::View<'_>,
        filter: &mut super::filter::ListFilter,
        actions: &mut Vec<Action>,
    ) {
        let empty = view.shown.model.rows.is_empty();
        egui::ScrollArea::horizontal().show(ui, |ui| {
            let shown = view.rows_shown(filter);
            if shown.is_empty() && !empty {
                ui.add_space(24.0);
                ui.vertical_centered(|ui| {
                    ui.label(tr!(NoneMatch));
                    if ui.button(tr!(ShowEvery)).clicked() {
                        *filter = Default::default();
                    }
                });
                return;
            }
            show(
                ui,
                &view.shown.model,
                &shown,
                &mut self.selection,
                actions,
                view.on_server(),
            );
        });
    }
}

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

    pub(super) fn click(&mut self, index: usize, modifiers: egui::Modifiers) {
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

/// A row's buttons: a finished one opens its file or folder; the others
/// pause or resume, cancel, retry. Then the row's menu (`…`).
fn actions_cell(ui: &mut egui::Ui, row: &Row, menu: &row_menu::Target<'_>, actions: &mut Vec<Action>) {
    let index = menu.index;
    let small = |ui: &mut egui::Ui, enabled: bool, icon: &str, what: &str| {
        let r = ui.add_enabled(enabled, egui::Button::new(icon).small());
        // Screen readers (and tests) get the word, not the symbol.
        r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, enabled, what));
        r.on_hover_text(what).on_disabled_hover_text(what).clicked()
    };
    if row.state == TaskState::Done {
        let saved = row.path.is_some();
        if small(ui, saved, "🗋", tr!(OpenFile)) {
            actions.push(Action::OpenFile(index));
        }
        if small(ui, saved, "🗁", tr!(OpenFolder)) {
            actions.push(Action::OpenFolder(index));
        }
    } else {
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
    }
    let more = ui
        .menu_button("…", |ui| row_menu::show(ui, menu, actions))
        .response;
    more.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, tr!(More)));
    more.on_hover_text(tr!(MoreHint));
}

/// The glyph of a kind of download, from egui's own fonts (a glyph they
/// lack would draw a box; a test checks each).
pub fn kind_icon(kind: Kind) -> &'static str {
    match kind {
        Kind::Documents => "🖹",
        Kind::Images => "🖼",
        Kind::Video => "🎞",
        Kind::Music => "🎵",
        Kind::Archives => "📦",
        Kind::Programs => "⚙",
        Kind::Torrents => "🌊",
        Kind::Streams => "📡",
        Kind::Other => "🗋",
    }
}

/// Waiting rows being dragged to another place in the queue.
#[derive(Clone, Debug)]
struct Dragged(Vec<usize>);

/// A waiting row's part in dragging: its drag starts one (of the selected
/// waiting rows when it is one of them, else of itself); hovered by one,
/// it shows the side they would land on and, once dropped, moves them.
fn drag_and_drop(
    resp: &egui::Response,
    index: usize,
    selection: &Selection,
    model: &Model,
    actions: &mut Vec<Action>,
) {
    let waiting = |i: &usize| model.rows.get(*i).is_some_and(|r| r.state.is_waiting());
    if selection.rows.contains(&index) {
        resp.dnd_set_drag_payload(Dragged(selection.rows.iter().copied().filter(waiting).collect()));
    } else {
        resp.dnd_set_drag_payload(Dragged(vec![index]));
    }
    let Some(dragged) = resp.dnd_hover_payload::<Dragged>() else {
        return;
    };
    resp.ctx.set_cursor_icon(egui::CursorIcon::Grabbing);
    if dragged.0.contains(&index) {
        return;
    }
    let Some(pointer) = resp.ctx.pointer_interact_pos() else {
        return;
    };
    let rect = resp.rect;
    let (side, y) = if pointer.y < rect.center().y {
        (Side::Before, rect.top())
    } else {
        (Side::After, rect.bottom())
    };
    let stroke = resp.ctx.global_style().visuals.selection.stroke;
    resp.ctx
        .layer_painter(egui::LayerId::new(
            egui::Order::Foreground,
            resp.id.with("drop-line"),
        ))
        .hline(rect.x_range(), y, egui::Stroke::new(2.0, stroke.color));
    if let Some(dragged) = resp.dnd_release_payload::<Dragged>() {
        actions.push(Action::DropNextTo(dragged.0.clone(), index, side));
    }
}

/// The table of `shown` rows (indices into the model: all of them, or
/// those the filter lets through).
pub fn show(
    ui: &mut egui::Ui,
    model: &Model,
    shown: &[usize],
    selection: &mut Selection,
    actions: &mut Vec<Action>,
    on_server: bool,
) {
    if model.listed().next().is_none() {
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            ui.heading(tr!(NoDownloads));
            ui.label(tr!(NoDownloadsHint));
        });
        return;
    }
    // A click or drag on a row's text is on the row (selects, opens,
    // drags it), as in any file list: not a text selection.
    ui.style_mut().interaction.selectable_labels = false;
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
        .sense(Sense::click_and_drag())
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
                    let kind = row.kind();
                    let icon = ui.label(kind_icon(kind));
                    icon.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, kind.label()));
                    icon.on_hover_text(kind.label());
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
                    let notes: Vec<_> = row.notes().rev().take(LOG_LINES).collect();
                    for note in notes.into_iter().rev() {
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
                // The menu acts on the selection when the row is in it,
                // else on the row alone.
                let menu = row_menu::Target {
                    model,
                    index,
                    rows: if selection.rows.contains(&index) {
                        selection.rows.iter().copied().collect()
                    } else {
                        vec![index]
                    },
                    on_server,
                };
                tr.col(|ui| actions_cell(ui, row, &menu, actions));
                let resp = tr.response();
                if resp.clicked() {
                    clicked = Some((index, ui_modifiers(&resp)));
                }
                // A right-click selects the row first when it is not in
                // the selection.
                if resp.secondary_clicked() && !selection.rows.contains(&index) {
                    clicked = Some((index, egui::Modifiers::NONE));
                }
                if resp.double_clicked() && row.state == TaskState::Done {
                    actions.push(Action::OpenFile(index));
                }
                resp.context_menu(|ui| row_menu::show(ui, &menu, actions));
                if row.state.is_waiting() {
                    drag_and_drop(&resp, index, selection, model, actions);
                }
            });
        });
    if let Some((index, modifiers)) = clicked {
        selection.click(index, modifiers);
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

    #[test]
    fn every_kind_s_icon_is_in_egui_s_own_fonts() {
        let ctx = egui::Context::default();
        // The fonts are built by a first pass.
        let mut out = ctx.run_ui(egui::RawInput::default(), |_| {});
        out.textures_delta.clear();
        let font = egui::FontId::proportional(14.0);
        for kind in Kind::ALL {
            let icon = kind_icon(kind);
            assert!(
                ctx.fonts_mut(|f| f.has_glyphs(&font, icon)),
                "{kind:?}: {icon} would draw a box"
            );
        }
    }
}

//! The details pane under the list: the selected download in tabs
//! (General, Segments, Files, Peers, Headers, Log, Timeline), as
//! qBittorrent's properties panel and AB Download Manager's details show
//! one. It draws one row, so it costs the same with ten or ten thousand in
//! the list. It can be hidden (`settings.view.details`) and resized; its
//! height and last tab are kept with the window's layout.
//!
//! One file per tab: `general`, `segments`, `torrent` (Files and Peers),
//! `headers`, `log`, `lane` (this download's part of the timeline).

mod general;
mod headers;
mod lane;
mod log;
mod segments;
mod torrent;

use super::table::Selection;
use super::view::View;
use crate::i18n::tr;
use crate::service::Downloads;
use crate::service::kind::Kind;
use crate::service::model::Row;
use crate::settings::{DetailsTab, ViewSettings};

/// The pane is never dragged smaller than its tab strip and a line.
const MIN_HEIGHT: f32 = 90.0;

impl DetailsTab {
    fn label(self) -> &'static str {
        match self {
            DetailsTab::General => tr!(TabGeneral),
            DetailsTab::Segments => tr!(TabSegments),
            DetailsTab::Files => tr!(TabFiles),
            DetailsTab::Peers => tr!(TabPeers),
            DetailsTab::Headers => tr!(TabHeaders),
            DetailsTab::Log => tr!(TabLog),
            DetailsTab::Timeline => tr!(TabLane),
        }
    }
}

/// The tabs a row has: Segments where a download is split (or is a
/// stream or torrent, which say what they have instead), Files and Peers
/// for torrents.
pub fn tabs(row: &Row) -> Vec<DetailsTab> {
    let torrent = Kind::of(row) == Kind::Torrents;
    let split = row.segments.is_some()
        || row.pieces.is_some()
        || torrent
        || row.connections > 1
        || row.options.segments.is_some_and(|n| n > 1);
    let mut tabs = vec![DetailsTab::General];
    if split {
        tabs.push(DetailsTab::Segments);
    }
    if torrent {
        tabs.extend([DetailsTab::Files, DetailsTab::Peers]);
    }
    tabs.extend([DetailsTab::Headers, DetailsTab::Log, DetailsTab::Timeline]);
    tabs
}

/// Shows or hides the pane (the toolbar's toggle).
pub(super) fn toggle(ui: &mut egui::Ui, views: &mut ViewSettings) {
    ui.toggle_value(&mut views.details, tr!(DetailsShow))
        .on_hover_text(tr!(DetailsShowHint));
}

/// The pane, when shown, at the bottom of the window (call it before the
/// central panel), for the row `selection` focuses. Its height and tab
/// are kept in `views`; the height is taken when the user lets go of its
/// edge.
pub(super) fn pane(ui: &mut egui::Ui, view: &View<'_>, selection: &Selection, views: &mut ViewSettings) {
    // The first run's guide has the room to itself.
    let empty = view.shown.model.rows.is_empty() && !view.on_server();
    if !views.details || empty {
        return;
    }
    let shown = egui::Panel::bottom("details")
        .resizable(true)
        .default_size(views.details_height.max(MIN_HEIGHT))
        .min_size(MIN_HEIGHT)
        .show(ui, |ui| contents(ui, view.shown, selection, views));
    let height = shown.response.rect.height().round();
    let dragging = ui.input(|i| i.pointer.any_down());
    if !dragging && (height - views.details_height).abs() >= 1.0 {
        views.details_height = height;
    }
}

fn contents(ui: &mut egui::Ui, core: &Downloads, selection: &Selection, view: &mut ViewSettings) {
    let row = selection
        .focused()
        .and_then(|i| core.model.rows.get(i).map(|r| (i, r)));
    let tabs = row.map_or_else(|| vec![DetailsTab::General], |(_, r)| tabs(r));
    // A tab the row lacks (a torrent's Peers, then a file) shows General.
    let tab = if tabs.contains(&view.details_tab) {
        view.details_tab
    } else {
        DetailsTab::General
    };
    ui.horizontal(|ui| {
        for t in &tabs {
            if ui.selectable_label(tab == *t, t.label()).clicked() {
                view.details_tab = *t;
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button(tr!(DetailsHide)).clicked() {
                view.details = false;
            }
        });
    });
    ui.separator();
    let Some((index, row)) = row else {
        ui.weak(tr!(DetailsSelect));
        // The pane keeps its height: the list above does not jump.
        ui.take_available_space();
        return;
    };
    let now = core.engine.as_ref().map(crate::engine::Engine::elapsed);
    egui::ScrollArea::vertical()
        .id_salt(("details", tab))
        .auto_shrink([false, false])
        // The log's newest line stays in view as lines come.
        .stick_to_bottom(tab == DetailsTab::Log)
        .show(ui, |ui| match tab {
            DetailsTab::General => general::show(ui, row),
            DetailsTab::Segments => segments::show(ui, row),
            DetailsTab::Files => torrent::files(ui, row),
            DetailsTab::Peers => torrent::peers(ui, row),
            DetailsTab::Headers => headers::show(ui, row),
            DetailsTab::Log => log::show(ui, row),
            DetailsTab::Timeline => lane::show(ui, &core.model, index, now),
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::model::Model;

    #[test]
    fn segments_files_and_peers_show_only_where_they_apply() {
        let mut m = Model::new(crate::engine::Order::Completion);
        let opts = |words: &[&str]| crate::input::Options::parse(words.iter().copied()).unwrap();
        m.add(0, "http://h/a.bin".into(), "/d".into(), opts(&[]));
        m.add(1, "http://h/b.bin".into(), "/d".into(), opts(&["segments=4"]));
        m.add(2, "magnet:?xt=urn:btih:0123".into(), "/d".into(), opts(&[]));
        use DetailsTab::*;
        assert_eq!(tabs(&m.rows[0]), [General, Headers, Log, Timeline]);
        assert_eq!(tabs(&m.rows[1]), [General, Segments, Headers, Log, Timeline]);
        assert_eq!(
            tabs(&m.rows[2]),
            [General, Segments, Files, Peers, Headers, Log, Timeline]
        );
    }
}

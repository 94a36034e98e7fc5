//! The Segments tab: a segmented download's live map, as the engine
//! reports it (`Event::Segments`). A bar of the file with each part's
//! written share filled (each part a labelled node, so a screen reader
//! reads `part 3: 4.0 MiB of 16.0 MiB`), and the parts in a table. A
//! stream, a torrent, or the aria2 engine has no such map: the tab says
//! what they have instead.

use egui::{Color32, Rect, Sense, Stroke, StrokeKind, Vec2};

use crate::engine::{Part, SegmentMap, Worker};
use crate::i18n::tr;
use crate::i18n::units::human_bytes;
use crate::service::kind::Kind;
use crate::service::model::Row;

const BAR_HEIGHT: f32 = 20.0;

/// What a screen reader says of one part (1-based, as the table numbers them).
pub fn part_label(n: usize, part: &Part) -> String {
    tr!(
        PartLabel,
        n = n,
        done = human_bytes(part.written()),
        size = human_bytes(part.len())
    )
}

/// Bytes written of the file: what no part holds was written before (a
/// resumed download's map lists only what was missing).
pub fn written(map: &SegmentMap) -> u64 {
    let missing: u64 = map.parts.iter().map(|p| p.end - p.done).sum();
    map.total.saturating_sub(missing)
}

pub fn show(ui: &mut egui::Ui, row: &Row) {
    if let Some(map) = &row.segments {
        return show_map(ui, map);
    }
    if row.worker == Some(Worker::Aria2) {
        ui.label(tr!(SegAria2, n = row.connections));
    } else if let Some((done, total)) = row.pieces {
        match total {
            Some(total) => ui.label(tr!(SegStreamOf, done = done, total = total)),
            None => ui.label(tr!(SegStream, done = done)),
        };
    } else if Kind::of(row) == Kind::Torrents {
        ui.label(tr!(SegTorrent));
    } else {
        ui.label(tr!(SegNotYet));
    }
}

fn show_map(ui: &mut egui::Ui, map: &SegmentMap) {
    ui.label(tr!(
        SegSummary,
        n = map.parts.len(),
        done = human_bytes(written(map)),
        total = human_bytes(map.total)
    ));
    bar(ui, map);
    ui.add_space(6.0);
    egui::Grid::new("details-segments")
        .num_columns(4)
        .spacing([16.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            ui.strong(tr!(SegHeadPart));
            ui.strong(tr!(SegHeadFrom));
            ui.strong(tr!(SegHeadTo));
            ui.strong(tr!(SegHeadWritten));
            ui.end_row();
            for (i, p) in map.parts.iter().enumerate() {
                ui.label((i + 1).to_string());
                ui.label(p.start.to_string());
                ui.label(p.end.to_string());
                let pct = p.written() as f64 * 100.0 / p.len().max(1) as f64;
                ui.label(format!(
                    "{} / {} ({pct:.0}%)",
                    human_bytes(p.written()),
                    human_bytes(p.len())
                ));
                ui.end_row();
            }
        });
}

/// The file as one bar: what was written before any part (a resume's)
/// and each part's written share filled, the rest empty.
fn bar(ui: &mut egui::Ui, map: &SegmentMap) {
    let width = ui.available_width().max(200.0);
    let (rect, _) = ui.allocate_exact_size(Vec2::new(width, BAR_HEIGHT), Sense::hover());
    let total = map.total.max(1) as f64;
    let x_of = |at: u64| rect.left() + (at as f64 / total) as f32 * rect.width();
    let visuals = ui.visuals().clone();
    let filled = visuals.selection.bg_fill;
    let painter = ui.painter();
    // Outside every part: written by an earlier run.
    painter.rect_filled(rect, 2.0, filled.gamma_multiply(0.6));
    for (i, p) in map.parts.iter().enumerate() {
        let span = Rect::from_x_y_ranges(x_of(p.start)..=x_of(p.end), rect.y_range());
        painter.rect_filled(span, 0.0, visuals.extreme_bg_color);
        let done = Rect::from_x_y_ranges(x_of(p.start)..=x_of(p.done), rect.y_range());
        painter.rect_filled(done, 0.0, filled);
        painter.rect_stroke(
            span,
            0.0,
            Stroke::new(1.0, visuals.widgets.noninteractive.bg_stroke.color),
            StrokeKind::Inside,
        );
        // Each part is a node of its own for screen readers, and says the
        // same on hover.
        let label = part_label(i + 1, p);
        let id = ui.scope_id().with(("segment-part", i));
        let r = ui.interact(span, id, Sense::hover());
        r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, &label));
        r.on_hover_text(label);
    }
    ui.painter().rect_stroke(
        rect,
        2.0,
        Stroke::new(1.0, Color32::from_gray(128)),
        StrokeKind::Inside,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_counts_what_no_part_holds_as_written() {
        let part = |start, end, done| Part { start, end, done };
        // Resumed: 0..10 was written before; 10..20 half done.
        let map = SegmentMap {
            total: 20,
            parts: vec![part(10, 20, 15)],
        };
        assert_eq!(written(&map), 15);
        crate::i18n::set(crate::i18n::Lang::En);
        let p = part(0, 16 << 20, 4 << 20);
        assert_eq!(part_label(3, &p), "part 3: 4.0 MiB of 16.0 MiB");
    }
}

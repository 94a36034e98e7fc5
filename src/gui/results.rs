//! The Results panel: results as the fan-in releases them, in completion
//! or submission order, with how many are held back.

use egui::RichText;

use crate::engine::Order;
use crate::i18n::tr;
use crate::service::Downloads;

/// The panel of `core`'s results (no state of its own: the order is the
/// settings').
pub(super) fn ui(ui: &mut egui::Ui, core: &Downloads) {
    ui.heading(tr!(Results));
    let keep = core.model.order() == Order::Submission;
    ui.label(if keep {
        tr!(InSubmissionOrder)
    } else {
        tr!(InCompletionOrder)
    });
    let held = core.model.held_back();
    ui.label(RichText::new(tr!(HeldBack, n = held)).color(if held > 0 {
        ui.visuals().warn_fg_color
    } else {
        ui.visuals().weak_text_color()
    }));
    ui.separator();
    // A removed download leaves this history too.
    let released: Vec<_> = core
        .model
        .released
        .iter()
        .filter(|r| core.model.rows.get(r.index).is_some_and(|row| !row.removed))
        .collect();
    egui::Grid::new("results head")
        .num_columns(3)
        .min_col_width(44.0)
        .show(ui, |ui| {
            ui.strong(tr!(DoneNo));
            ui.strong(tr!(TaskNo));
            ui.strong(tr!(Name));
        });
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    egui::ScrollArea::vertical()
        .id_salt("results")
        .auto_shrink([false, false])
        .stick_to_bottom(true)
        .show_rows(ui, row_h, released.len(), |ui, range| {
            for r in &released[range] {
                let r = *r;
                ui.horizontal(|ui| {
                    let color = if r.ok {
                        ui.visuals().text_color()
                    } else {
                        ui.visuals().error_fg_color
                    };
                    ui.add_sized(
                        [44.0, row_h - 4.0],
                        egui::Label::new(RichText::new(r.rank.to_string()).color(color)),
                    );
                    ui.add_sized(
                        [44.0, row_h - 4.0],
                        egui::Label::new(RichText::new(r.index.to_string()).color(color)),
                    );
                    let name = &core.model.rows[r.index].name;
                    ui.add(egui::Label::new(RichText::new(name).color(color)).truncate());
                });
            }
        });
}

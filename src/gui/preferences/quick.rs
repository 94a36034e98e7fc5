//! The first screen's bar under the toolbar: what a user changes often,
//! and the Python note's lesson one click away — the engine and its workers,
//! Keep submission order, and the download folder. The rest is in
//! Preferences.

use egui::RichText;

use super::super::Action;
use super::super::view::View;
use super::engine::{engine_choice, keep_order_box};
use super::general::folder_fields;
use crate::engine::Engine;
use crate::i18n::tr;
use crate::settings::Settings;

/// The folder field's width on the bar.
const FOLDER_WIDTH: f32 = 280.0;

/// Draws the bar (a panel of its own) over `settings`; `picking`: the
/// folder dialog is open. True while a field is edited.
pub(in crate::gui) fn bar(
    ui: &mut egui::Ui,
    view: &View<'_>,
    settings: &mut Settings,
    picking: bool,
    actions: &mut Vec<Action>,
) -> bool {
    let mut editing = false;
    egui::Panel::top("quick").show(ui, |ui| {
        ui.add_space(2.0);
        // Wrapped: at the window's narrowest (720 px) the folder goes
        // to a second line.
        ui.horizontal_wrapped(|ui| {
            editing |= engine_choice(ui, settings);
            keep_order_box(ui, settings);
            // The folder's label, field and button move to the next
            // line together, or not at all.
            if ui.available_size_before_wrap().x < FOLDER_WIDTH + 200.0 {
                ui.end_row();
            } else {
                ui.separator();
            }
            editing |= folder_fields(ui, settings, picking, actions, FOLDER_WIDTH);
        });
        if view
            .local
            .engine
            .as_ref()
            .is_some_and(Engine::running_on_old_backends)
        {
            ui.label(RichText::new(tr!(OldEngineStillRuns)).color(ui.visuals().warn_fg_color))
                .on_hover_text(tr!(EngineChangeNote));
        }
        ui.add_space(2.0);
    });
    editing
}

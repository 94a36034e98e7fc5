//! Preferences › Advanced: what an engine change does to running tasks,
//! whether the engine comparison keeps its files (also chosen on its own
//! tab, where it runs), and where fanout keeps its settings, rules and
//! queue (to back them up or carry them to another machine).

use egui::RichText;

use super::Form;
use crate::i18n::tr;

impl Form<'_> {
    pub(super) fn advanced_section(&mut self, ui: &mut egui::Ui) {
        // (While tasks still run on the old engine, the first screen's bar
        // says so, beside the engine.)
        ui.label(tr!(EngineChangeNote));
        ui.add_space(8.0);
        ui.checkbox(&mut self.settings.compare_keep, tr!(CompareKeepFiles));
        ui.add_space(8.0);
        egui::Grid::new("files").num_columns(2).show(ui, |ui| {
            for (label, path) in [
                (tr!(SettingsFile), self.options.settings_path()),
                (tr!(RulesFile), self.options.rules_path()),
                (tr!(QueueFile), self.options.queue_path()),
            ] {
                ui.label(label);
                // Selectable, to copy into a file manager or a backup.
                ui.add(
                    egui::Label::new(RichText::new(path.display().to_string()).monospace()).selectable(true),
                );
                ui.end_row();
            }
        });
    }
}

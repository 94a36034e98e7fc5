//! Preferences › Appearance: the language (System, English or 简体中文,
//! each in its own language) and the theme (System, Light or Dark).

use super::Form;
use crate::i18n::{Lang, tr};
use crate::settings::Theme;

impl Form<'_> {
    pub(super) fn appearance_section(&mut self, ui: &mut egui::Ui) {
        let label = ui.label(tr!(Language));
        ui.horizontal_wrapped(|ui| {
            let system = tr!(LangSystem, lang = Lang::from_system().name());
            ui.selectable_value(&mut self.settings.language, None, system)
                .labelled_by(label.id);
            for lang in Lang::ALL {
                ui.selectable_value(&mut self.settings.language, Some(lang), lang.name());
            }
        });
        ui.add_space(6.0);
        // Each button named by its own text.
        ui.label(tr!(Theme));
        ui.horizontal_wrapped(|ui| {
            for theme in Theme::ALL {
                ui.selectable_value(&mut self.settings.theme, theme, theme.label());
            }
        });
    }
}

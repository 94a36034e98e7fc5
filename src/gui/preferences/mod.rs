//! Preferences: a window of its own (Ctrl+, or the toolbar's button),
//! its sections listed on the left and the chosen one's fields on the
//! right; and the quiet first screen's bar of what a user changes often
//! (`quick`). Every field edits `FanoutApp::settings`, applied and saved
//! after the frame by `settings_changed`, as before.
//!
//! An `egui::Window` in the main viewport rather than a native viewport:
//! it works on every backend eframe runs on (a second native window does
//! not on Wayland without a compositor's help), kittest drives it like
//! any other widget, and nothing in it needs to outlive the main window.

mod advanced;
mod appearance;
mod engine;
mod general;
mod network;
mod programs;
mod quick;
mod schedule;
mod torrents;

use super::{Action, FanoutApp};
use crate::i18n::tr;

/// The sections, in the order they are listed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Section {
    #[default]
    General,
    Engine,
    Network,
    Programs,
    Torrents,
    Schedule,
    Appearance,
    Advanced,
}

impl Section {
    pub const ALL: [Section; 8] = [
        Section::General,
        Section::Engine,
        Section::Network,
        Section::Programs,
        Section::Torrents,
        Section::Schedule,
        Section::Appearance,
        Section::Advanced,
    ];

    /// The name in the list (and the screen reader's).
    pub fn label(self) -> &'static str {
        match self {
            Section::General => tr!(PrefGeneral),
            Section::Engine => tr!(PrefEngine),
            Section::Network => tr!(Network),
            Section::Programs => tr!(PrefPrograms),
            Section::Torrents => tr!(Torrents),
            Section::Schedule => tr!(PrefSchedule),
            Section::Appearance => tr!(PrefAppearance),
            Section::Advanced => tr!(PrefAdvanced),
        }
    }
}

/// Whether Preferences is open, and the section it shows (remembered for
/// the run, as qBittorrent's dialog does, not saved).
#[derive(Default)]
pub(in crate::gui) struct Preferences {
    pub open: bool,
    pub section: Section,
}

impl FanoutApp {
    /// Opens Preferences (the section last shown).
    pub(in crate::gui) fn open_preferences(&mut self) {
        self.prefs.open = true;
    }

    /// Closes it (Esc).
    pub(in crate::gui) fn close_preferences(&mut self) {
        self.prefs.open = false;
    }

    /// Whether Preferences is open.
    pub fn preferences_open(&self) -> bool {
        self.prefs.open
    }

    /// The toolbar's button.
    pub(in crate::gui) fn preferences_button(&mut self, ui: &mut egui::Ui) {
        if ui
            .button(tr!(Preferences))
            .on_hover_text(tr!(PreferencesHint))
            .clicked()
        {
            self.open_preferences();
        }
    }

    /// The window, while open. True while a field is edited (saved when
    /// it is left, see `settings_changed`).
    pub(in crate::gui) fn preferences_window(
        &mut self,
        ctx: &egui::Context,
        actions: &mut Vec<Action>,
    ) -> bool {
        // A server's address is connected to once its field is left; a
        // window closed while it had the keyboard has left it too.
        self.server.editing = false;
        if !self.prefs.open {
            return false;
        }
        let mut open = true;
        let mut editing = false;
        let screen = ctx.content_rect();
        egui::Window::new(tr!(Preferences))
            // The same window (place, size) whatever the language of its title.
            .id(egui::Id::unique("preferences"))
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_size([640.0, (screen.height() - 120.0).clamp(240.0, 600.0)])
            .default_pos(screen.center_top() + egui::vec2(-320.0, 80.0))
            .show(ctx, |ui| {
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        ui.set_width(190.0);
                        for section in Section::ALL {
                            ui.selectable_value(&mut self.prefs.section, section, section.label());
                        }
                    });
                    ui.separator();
                    // A column: the row above would lay the fields side by side.
                    ui.vertical(|ui| {
                        egui::ScrollArea::vertical()
                            .id_salt("preferences")
                            .auto_shrink([false, false])
                            .show(ui, |ui| editing = self.section_fields(ui, actions));
                    });
                });
            });
        self.prefs.open &= open;
        editing
    }

    /// The chosen section's fields; true while one is edited.
    fn section_fields(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) -> bool {
        match self.prefs.section {
            Section::General => self.general_section(ui, actions),
            Section::Engine => self.engine_section(ui),
            Section::Network => self.network_section(ui),
            Section::Programs => self.programs_section(ui),
            Section::Torrents => self.torrent_fields(ui),
            Section::Schedule => self.schedule_section(ui),
            Section::Appearance => {
                self.appearance_section(ui);
                false
            }
            Section::Advanced => {
                self.advanced_section(ui);
                false
            }
        }
    }
}

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

pub(in crate::gui) use quick::bar as quick_bar;
mod schedule;
mod torrents;

use super::Action;
use super::AppOptions;
use super::rpc::Rpc;
use super::tray::Tray;
use super::vault::Vault;
use super::view::View;
use crate::i18n::tr;
use crate::service::remote::RemoteStatus;
use crate::settings::Settings;

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

/// What Preferences shows of the service (Programs: the calls the RPC
/// server refused, the connection to a server shown), read under the
/// frame's one lock and drawn after it.
#[derive(Default)]
pub(in crate::gui) struct Read {
    pub rpc_refused: Option<String>,
    pub server_status: Option<RemoteStatus>,
}

impl Read {
    /// Read every frame (cheap): Preferences may open later in it.
    pub fn new(view: &View<'_>) -> Read {
        Read {
            rpc_refused: view.rpc_refused(),
            server_status: view.remote.map(|r| r.status.clone()),
        }
    }
}

/// The toolbar's button; true when clicked.
pub(in crate::gui) fn button(ui: &mut egui::Ui) -> bool {
    ui.button(tr!(Preferences))
        .on_hover_text(tr!(PreferencesHint))
        .clicked()
}

/// What the sections edit and show: the settings, and the rest of the
/// window as this frame has it.
pub(in crate::gui) struct Form<'a> {
    pub settings: &'a mut Settings,
    /// What Preferences shows of the service, read under the frame's lock.
    pub read: &'a Read,
    /// The files' places (Advanced).
    pub options: &'a AppOptions,
    /// Where secrets are kept, and why not in the keyring (Network).
    pub vault: &'a Vault,
    /// The RPC server's secret, where it is kept, and why it does not
    /// serve (Programs).
    pub rpc: &'a Rpc,
    /// Why no icon shows in the tray (Schedule's closing choices).
    pub tray: &'a Tray,
    /// How the clipboard is watched (none while off).
    pub clipboard_how: Option<String>,
    /// The folder dialog is open.
    pub picking: bool,
    /// A field of the server shown is being edited: it is connected to
    /// once the field is left.
    pub server_editing: &'a mut bool,
    pub actions: &'a mut Vec<Action>,
}

impl Preferences {
    /// The window, while open. True while a field is edited (saved when
    /// it is left, see `settings_changed`).
    pub(in crate::gui) fn ui(&mut self, ctx: &egui::Context, mut form: Form<'_>) -> bool {
        // A server's address is connected to once its field is left; a
        // window closed while it had the keyboard has left it too.
        *form.server_editing = false;
        if !self.open {
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
                            ui.selectable_value(&mut self.section, section, section.label());
                        }
                    });
                    ui.separator();
                    // A column: the row above would lay the fields side by side.
                    ui.vertical(|ui| {
                        egui::ScrollArea::vertical()
                            .id_salt("preferences")
                            .auto_shrink([false, false])
                            .show(ui, |ui| editing = form.section_fields(self.section, ui));
                    });
                });
            });
        self.open &= open;
        editing
    }
}

impl Form<'_> {
    /// The chosen section's fields; true while one is edited.
    fn section_fields(&mut self, section: Section, ui: &mut egui::Ui) -> bool {
        match section {
            Section::General => self.general_section(ui),
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

//! The keyboard: `Delete` cancels the selected rows (after a
//! confirmation), `Space` pauses or resumes them, `Ctrl+A` selects every
//! row shown, `Ctrl+O` opens the folder of the selected file, `Ctrl+N`
//! adds URLs, `Ctrl+F` goes to the sidebar's search, `Ctrl+,` opens
//! Preferences (`Esc` closes it); the `Keyboard`
//! window lists them. None of them acts while a text field has the
//! keyboard (there `Ctrl+A` selects text) or the add dialog is open.

use egui::{Key, Modifiers};

use super::{Action, FanoutApp};
use crate::i18n::tr;

/// The keyboard's state: a cancel waiting for its confirmation, whether
/// the help is open, and the search box waiting for the keyboard.
#[derive(Default)]
pub(super) struct Keys {
    /// Give the sidebar's search box the keyboard on the next frame.
    pub focus_filter: bool,
    /// Rows `Delete` would cancel, until confirmed or not.
    confirm: Option<Vec<usize>>,
    pub help: bool,
}

/// The shortcuts, as the help lists them.
fn list() -> [(&'static str, &'static str); 8] {
    [
        ("Delete", tr!(KeyDelete)),
        ("Space", tr!(KeySpace)),
        ("Ctrl+A", tr!(KeySelectAll)),
        ("Ctrl+O", tr!(KeyOpenFolder)),
        ("Ctrl+N", tr!(KeyAdd)),
        ("Ctrl+F", tr!(KeyFilter)),
        ("Ctrl+,", tr!(KeyPreferences)),
        ("Esc", tr!(KeyEscape)),
    ]
}

impl FanoutApp {
    /// Reads the shortcuts pressed this frame into `actions`.
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let pressed = |modifiers, key| ctx.input_mut(|i| i.consume_key(modifiers, key));
        if self.keys.confirm.is_some() || self.keys.help {
            if pressed(Modifiers::NONE, Key::Escape) {
                self.keys.confirm = None;
                self.keys.help = false;
            }
            return;
        }
        if self.add.open {
            return;
        }
        // Esc closes Preferences first, from one of its fields too.
        if self.preferences_open() && pressed(Modifiers::NONE, Key::Escape) {
            self.close_preferences();
            ctx.memory_mut(|m| m.stop_text_input());
            return;
        }
        // Esc empties the search, from its box or not.
        if !self.filter.text.is_empty() && pressed(Modifiers::NONE, Key::Escape) {
            self.filter.text.clear();
            ctx.memory_mut(|m| m.stop_text_input());
            return;
        }
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        if pressed(Modifiers::COMMAND, Key::Comma) {
            self.open_preferences();
        }
        let selected: Vec<usize> = self.selection.rows.iter().copied().collect();
        let (hub, server) = (&self.hub, &self.server);
        let state = |i: usize| super::server::shown(hub, server).model.rows[i].state.clone();
        if pressed(Modifiers::COMMAND, Key::N) {
            actions.push(Action::OpenAdd(None));
        }
        if pressed(Modifiers::COMMAND, Key::A) {
            let listed = self.listed();
            let rows = super::filter::shown(&self.core().model, &self.filter, listed.as_deref())
                .into_iter()
                .collect();
            self.selection.rows = rows;
        }
        if pressed(Modifiers::COMMAND, Key::F) {
            self.keys.focus_filter = true;
        }
        if pressed(Modifiers::COMMAND, Key::O)
            && let Some(&i) = selected.first()
        {
            actions.push(Action::OpenFolder(i));
        }
        if pressed(Modifiers::NONE, Key::Delete) {
            let cancellable: Vec<usize> = selected
                .iter()
                .copied()
                .filter(|&i| state(i).can_cancel())
                .collect();
            if !cancellable.is_empty() {
                self.keys.confirm = Some(cancellable);
            }
        }
        if pressed(Modifiers::NONE, Key::Space) {
            // Any running: pause them; else resume the paused ones.
            let running: Vec<usize> = selected
                .iter()
                .copied()
                .filter(|&i| state(i).can_pause())
                .collect();
            if running.is_empty() {
                let paused = selected
                    .iter()
                    .copied()
                    .filter(|&i| state(i).can_resume())
                    .collect();
                actions.push(Action::Resume(paused));
            } else {
                actions.push(Action::Pause(running));
            }
        }
    }

    /// The confirmation `Delete` asks for, and the shortcuts' help.
    pub(super) fn key_windows(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        if let Some(rows) = self.keys.confirm.clone() {
            let mut answer = None;
            egui::Window::new(tr!(ConfirmCancelTitle))
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
                .show(ctx, |ui| {
                    ui.label(tr!(ConfirmCancel, n = rows.len()));
                    ui.horizontal(|ui| {
                        if ui.button(tr!(ConfirmCancelYes)).clicked() {
                            answer = Some(true);
                        }
                        if ui.button(tr!(ConfirmCancelNo)).clicked() {
                            answer = Some(false);
                        }
                    });
                });
            if let Some(yes) = answer {
                self.keys.confirm = None;
                if yes {
                    actions.push(Action::Cancel(rows));
                }
            }
        }
        if self.keys.help {
            let mut open = true;
            egui::Window::new(tr!(Keyboard))
                .open(&mut open)
                .collapsible(false)
                .resizable(false)
                .show(ctx, |ui| {
                    egui::Grid::new("keys").num_columns(2).show(ui, |ui| {
                        for (key, what) in list() {
                            ui.monospace(key);
                            ui.label(what);
                            ui.end_row();
                        }
                    });
                });
            self.keys.help = open;
        }
    }

    /// Opens the shortcuts' help.
    pub(super) fn keyboard_button(&mut self, ui: &mut egui::Ui) {
        if ui
            .button(tr!(Keyboard))
            .on_hover_text(tr!(KeyboardHint))
            .clicked()
        {
            self.keys.help = true;
        }
    }
}

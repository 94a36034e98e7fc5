//! The keyboard: `Delete` cancels the selected rows (after a
//! confirmation), `Shift+Delete` removes them with their files (after
//! one too), `Space` pauses or resumes them, `Enter` opens finished files,
//! `Alt+arrows` move waiting ones in the queue, `Ctrl+A` selects every
//! row shown, `Ctrl+O` opens the folder of the selected file, `Ctrl+N`
//! adds URLs, `Ctrl+F` goes to the sidebar's search, `Ctrl+,` opens
//! Preferences (`Esc` closes it); the rest of a row's menu is its `…`
//! button, reached with `Tab`. The `Keyboard`
//! window lists them. None of them acts while a text field has the
//! keyboard (there `Ctrl+A` selects text) or the add dialog is open.

use egui::{Key, Modifiers};

use super::sidebar::Sidebar;
use super::table::Table;
use super::view::View;
use super::{Action, MoveTo};
use crate::i18n::tr;
use crate::service::model::TaskState;

/// The keyboard's state: a cancel waiting for its confirmation, and
/// whether the help is open.
#[derive(Default)]
pub(super) struct Keys {
    /// What waits for the user's yes.
    confirm: Option<Confirm>,
    pub help: bool,
}

/// What is asked before it is done.
#[derive(Clone)]
enum Confirm {
    /// The rows `Delete` would cancel.
    Cancel(Vec<usize>),
    /// The rows whose downloads and files would go.
    RemoveWithFiles(Vec<usize>),
}

impl Keys {
    /// Asks before the rows are removed with their files.
    pub fn ask_remove_with_files(&mut self, rows: Vec<usize>) {
        if !rows.is_empty() {
            self.confirm = Some(Confirm::RemoveWithFiles(rows));
        }
    }
}

/// The shortcuts, as the help lists them.
fn list() -> [(&'static str, &'static str); 15] {
    [
        ("Delete", tr!(KeyDelete)),
        ("Shift+Delete", tr!(KeyRemoveWithFiles)),
        ("Space", tr!(KeySpace)),
        ("Enter", tr!(KeyOpen)),
        ("Alt+↑ / Alt+↓", tr!(KeyMoveUpDown)),
        ("Alt+Home / Alt+End", tr!(KeyMoveTopBottom)),
        (tr!(KeyDoubleClick), tr!(KeyOpen)),
        (tr!(KeyDrag), tr!(KeyDragWhat)),
        ("Tab, Enter", tr!(KeyRowMenu)),
        ("Ctrl+A", tr!(KeySelectAll)),
        ("Ctrl+O", tr!(KeyOpenFolder)),
        ("Ctrl+N", tr!(KeyAdd)),
        ("Ctrl+F", tr!(KeyFilter)),
        ("Ctrl+,", tr!(KeyPreferences)),
        ("Esc", tr!(KeyEscape)),
    ]
}

/// What the shortcuts act on besides the keyboard's own state.
pub(super) struct Targets<'a> {
    pub table: &'a mut Table,
    pub sidebar: &'a mut Sidebar,
    /// The add dialog is open (Esc closes it).
    pub add_open: &'a mut bool,
    /// Preferences is open (Esc closes it, `Ctrl+,` opens it).
    pub prefs_open: &'a mut bool,
}

impl Keys {
    /// Reads the shortcuts pressed this frame into `actions`.
    pub(super) fn shortcuts(
        &mut self,
        ctx: &egui::Context,
        view: &View<'_>,
        t: Targets<'_>,
        actions: &mut Vec<Action>,
    ) {
        let pressed = |modifiers, key| ctx.input_mut(|i| i.consume_key(modifiers, key));
        if self.confirm.is_some() || self.help {
            if pressed(Modifiers::NONE, Key::Escape) {
                self.confirm = None;
                self.help = false;
            }
            return;
        }
        if *t.add_open {
            // Esc closes it as its ✖ does (what was typed stays for next time).
            if pressed(Modifiers::NONE, Key::Escape) {
                *t.add_open = false;
            }
            return;
        }
        // Esc closes Preferences first, from one of its fields too.
        if *t.prefs_open && pressed(Modifiers::NONE, Key::Escape) {
            *t.prefs_open = false;
            ctx.memory_mut(|m| m.stop_text_input());
            return;
        }
        // Esc empties the search, from its box or not.
        if !t.sidebar.filter.text.is_empty() && pressed(Modifiers::NONE, Key::Escape) {
            t.sidebar.filter.text.clear();
            ctx.memory_mut(|m| m.stop_text_input());
            return;
        }
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        if pressed(Modifiers::COMMAND, Key::Comma) {
            *t.prefs_open = true;
        }
        let selected: Vec<usize> = t.table.selection.rows.iter().copied().collect();
        let state = |i: usize| view.shown.model.rows[i].state.clone();
        if pressed(Modifiers::COMMAND, Key::N) {
            actions.push(Action::OpenAdd(None));
        }
        if pressed(Modifiers::COMMAND, Key::A) {
            t.table.selection.rows = view.rows_shown(&t.sidebar.filter).into_iter().collect();
        }
        if pressed(Modifiers::COMMAND, Key::F) {
            t.sidebar.focus_search = true;
        }
        if pressed(Modifiers::COMMAND, Key::O)
            && let Some(&i) = selected.first()
        {
            actions.push(Action::OpenFolder(i));
        }
        // Before `Delete`, which would match it too.
        if pressed(Modifiers::SHIFT, Key::Delete) && !view.on_server() {
            let rows: Vec<usize> = selected.clone();
            self.ask_remove_with_files(rows);
        }
        // Only with no widget focused: there `Enter` presses it.
        if ctx.memory(|m| m.focused().is_none()) && pressed(Modifiers::NONE, Key::Enter) {
            for &i in &selected {
                if state(i) == TaskState::Done {
                    actions.push(Action::OpenFile(i));
                }
            }
        }
        for (key, to) in [
            (Key::ArrowUp, MoveTo::Up),
            (Key::ArrowDown, MoveTo::Down),
            (Key::Home, MoveTo::Top),
            (Key::End, MoveTo::Bottom),
        ] {
            if pressed(Modifiers::ALT, key) {
                let waiting = selected
                    .iter()
                    .copied()
                    .filter(|&i| state(i).is_waiting())
                    .collect();
                actions.push(Action::Move(waiting, to));
            }
        }
        if pressed(Modifiers::NONE, Key::Delete) {
            let cancellable: Vec<usize> = selected
                .iter()
                .copied()
                .filter(|&i| state(i).can_cancel())
                .collect();
            if !cancellable.is_empty() {
                self.confirm = Some(Confirm::Cancel(cancellable));
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
    pub(super) fn windows(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        if let Some(confirm) = self.confirm.clone() {
            let (title, text, yes_text, no_text) = match &confirm {
                Confirm::Cancel(rows) => (
                    tr!(ConfirmCancelTitle),
                    tr!(ConfirmCancel, n = rows.len()),
                    tr!(ConfirmCancelYes),
                    tr!(ConfirmCancelNo),
                ),
                Confirm::RemoveWithFiles(rows) => (
                    tr!(ConfirmDeleteTitle),
                    tr!(ConfirmDelete, n = rows.len()),
                    tr!(ConfirmDeleteYes),
                    tr!(ConfirmDeleteNo),
                ),
            };
            let mut answer = None;
            egui::Window::new(title)
                .collapsible(false)
                .resizable(false)
                .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
                .show(ctx, |ui| {
                    ui.label(text);
                    ui.horizontal(|ui| {
                        if ui.button(yes_text).clicked() {
                            answer = Some(true);
                        }
                        if ui.button(no_text).clicked() {
                            answer = Some(false);
                        }
                    });
                });
            if let Some(yes) = answer {
                self.confirm = None;
                if yes {
                    actions.push(match confirm {
                        Confirm::Cancel(rows) => Action::Cancel(rows),
                        Confirm::RemoveWithFiles(rows) => Action::RemoveWithFiles(rows),
                    });
                }
            }
        }
        if self.help {
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
            self.help = open;
        }
    }
}

/// The toolbar's button to the shortcuts' help; true when clicked.
pub(super) fn button(ui: &mut egui::Ui) -> bool {
    ui.button(tr!(Keyboard))
        .on_hover_text(tr!(KeyboardHint))
        .clicked()
}

//! The toolbar: add, pause the queue, act on the selected rows, clear,
//! and the views (Results panel, details pane, Preferences, Keyboard). Moving waiting
//! downloads in the line is the row menu's, the keyboard's (Alt+arrows)
//! and dragging's.

use super::{Action, FanoutApp};
use crate::i18n::tr;
use crate::service::model::{Counts, TaskState};

impl FanoutApp {
    pub(super) fn top_bar(&mut self, ui: &mut egui::Ui, c: Counts, actions: &mut Vec<Action>) {
        // Wrapped: at the window's narrowest (720 px) Preferences and
        // Keyboard would be cut off.
        ui.horizontal_wrapped(|ui| {
            if ui.button(tr!(AddUrls)).on_hover_text(tr!(AddUrlsHint)).clicked() {
                actions.push(Action::OpenAdd(None));
            }
            let mut paused = self.local().queue_paused;
            if ui
                .toggle_value(&mut paused, tr!(PauseQueue))
                .on_hover_text(tr!(PauseQueueHint))
                .changed()
            {
                actions.push(Action::QueuePaused(paused));
            }
            ui.separator();
            let sel: Vec<usize> = self.selection.rows.iter().copied().collect();
            let states: Vec<TaskState> = {
                let core = self.core();
                sel.iter().map(|&i| core.model.rows[i].state.clone()).collect()
            };
            let any = |f: fn(&TaskState) -> bool| states.iter().any(f);
            ui.label(tr!(NSelected, n = sel.len()));
            if ui
                .add_enabled(any(TaskState::can_pause), egui::Button::new(tr!(PauseSelected)))
                .clicked()
            {
                actions.push(Action::Pause(sel.clone()));
            }
            if ui
                .add_enabled(any(TaskState::can_resume), egui::Button::new(tr!(ResumeSelected)))
                .clicked()
            {
                actions.push(Action::Resume(sel.clone()));
            }
            if ui
                .add_enabled(any(TaskState::can_cancel), egui::Button::new(tr!(CancelSelected)))
                .clicked()
            {
                actions.push(Action::Cancel(sel.clone()));
            }
            if ui
                .add_enabled(any(TaskState::can_retry), egui::Button::new(tr!(RetrySelected)))
                .clicked()
            {
                actions.push(Action::Retry(sel.clone()));
            }
            if ui.button(tr!(SelectAll)).clicked() {
                let listed = self.listed();
                let rows = super::filter::shown(&self.core().model, &self.filter, listed.as_deref())
                    .into_iter()
                    .collect();
                self.selection.rows = rows;
            }
            let all_ended =
                !self.core().model.rows.is_empty() && c.queued + c.running + c.seeding + c.paused == 0;
            if ui
                .add_enabled(all_ended, egui::Button::new(tr!(ClearList)))
                .on_hover_text(tr!(ClearListHint))
                .on_disabled_hover_text(tr!(ClearListDisabled))
                .clicked()
            {
                actions.push(Action::ClearList);
            }
            ui.separator();
            ui.toggle_value(&mut self.settings.view.results, tr!(ViewResults))
                .on_hover_text(tr!(ViewResultsHint));
            self.details_toggle(ui);
            self.preferences_button(ui);
            self.keyboard_button(ui);
        });
    }
}

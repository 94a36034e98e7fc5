//! The toolbar: add, pause the queue, act on the selected rows, clear,
//! and the views (Results panel, details pane, Preferences, Keyboard). Moving waiting
//! downloads in the queue is the row menu's, the keyboard's (Alt+arrows)
//! and dragging's.

use super::filter::ListFilter;
use super::table::Table;
use super::view::View;
use super::{Action, details, keys, preferences};
use crate::i18n::tr;
use crate::service::model::TaskState;
use crate::settings::ViewSettings;

/// A window the toolbar opens (drawn later in the same frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Opens {
    Preferences,
    Keys,
}

/// The toolbar. It acts on the selected rows (`table`), selects what
/// `filter` shows, and toggles the side panels (`views`).
pub(super) fn ui(
    ui: &mut egui::Ui,
    view: &View<'_>,
    table: &mut Table,
    filter: &ListFilter,
    views: &mut ViewSettings,
    actions: &mut Vec<Action>,
) -> Option<Opens> {
    let c = view.counts;
    let mut opens = None;
    // Wrapped: at the window's narrowest (720 px) Preferences and
    // Keyboard would be cut off.
    ui.horizontal_wrapped(|ui| {
        if ui.button(tr!(AddUrls)).on_hover_text(tr!(AddUrlsHint)).clicked() {
            actions.push(Action::OpenAdd(None));
        }
        let mut paused = view.local.queue_paused;
        if ui
            .toggle_value(&mut paused, tr!(PauseQueue))
            .on_hover_text(tr!(PauseQueueHint))
            .changed()
        {
            actions.push(Action::QueuePaused(paused));
        }
        ui.separator();
        let sel: Vec<usize> = table.selection.rows.iter().copied().collect();
        let states: Vec<TaskState> = sel
            .iter()
            .map(|&i| view.shown.model.rows[i].state.clone())
            .collect();
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
            table.selection.rows = view.rows_shown(filter).into_iter().collect();
        }
        let all_ended = !view.shown.model.rows.is_empty() && c.queued + c.running + c.seeding + c.paused == 0;
        if ui
            .add_enabled(all_ended, egui::Button::new(tr!(ClearList)))
            .on_hover_text(tr!(ClearListHint))
            .on_disabled_hover_text(tr!(ClearListDisabled))
            .clicked()
        {
            actions.push(Action::ClearList);
        }
        ui.separator();
        ui.toggle_value(&mut views.results, tr!(ViewResults))
            .on_hover_text(tr!(ViewResultsHint));
        details::toggle(ui, views);
        if preferences::button(ui) {
            opens = Some(Opens::Preferences);
        }
        if keys::button(ui) {
            opens = Some(Opens::Keys);
        }
    });
    opens
}

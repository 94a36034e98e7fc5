//! The Log tab: everything that happened to a download, with the time of
//! day it happened (this computer's clock and zone), newest last, as
//! `service::history` keeps it.

use std::time::SystemTime;

use crate::i18n::units::human_bytes;
use crate::i18n::{self, tr};
use crate::service::history::Happened;
use crate::service::model::{Row, TaskState};

/// `14:03:27`, in this computer's time zone.
pub fn clock(at: SystemTime) -> String {
    jiff::ZonedDateTime::try_from(at)
        .map(|t| t.strftime("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// One line, in the window's language.
pub fn text(what: &Happened) -> String {
    match what {
        Happened::Added => tr!(LogAdded).into(),
        Happened::Restored => tr!(LogRestored).into(),
        Happened::Started(worker) => tr!(LogStarted, worker = worker),
        Happened::Receiving { name, total } => tr!(
            LogReceiving,
            name = name,
            size = total.map_or_else(|| tr!(Unknown).to_string(), human_bytes)
        ),
        Happened::Connections(n) => tr!(LogConnections, n = n),
        Happened::Retrying { attempt, error } => TaskState::Retrying {
            attempt: *attempt,
            error: error.clone(),
        }
        .label(),
        Happened::Paused => tr!(StPaused).into(),
        Happened::Resumed => tr!(LogResumed).into(),
        Happened::Requeued => tr!(LogRequeued).into(),
        Happened::Note(note) => i18n::note(note),
        Happened::Seeding => tr!(StSeeding).into(),
        Happened::Done { bytes } => tr!(LogDone, size = human_bytes(*bytes)),
        Happened::Failed(e) => TaskState::Failed(e.clone()).label(),
        Happened::Cancelled => tr!(StCancelled).into(),
    }
}

pub fn show(ui: &mut egui::Ui, row: &Row) {
    egui::Grid::new("details-log")
        .num_columns(2)
        .spacing([12.0, 2.0])
        .striped(true)
        .show(ui, |ui| {
            for line in &row.history {
                ui.monospace(clock(line.at));
                ui.label(text(&line.what));
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_a_time_of_day() {
        let t = clock(SystemTime::now());
        let parts: Vec<&str> = t.split(':').collect();
        assert_eq!(parts.len(), 3, "{t}");
        assert!(
            parts
                .iter()
                .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
        );
        crate::i18n::set(crate::i18n::Lang::En);
        assert_eq!(
            text(&Happened::Started(crate::engine::Worker::Thread(2))),
            "Started on thread-2"
        );
    }
}

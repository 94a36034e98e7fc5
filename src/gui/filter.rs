//! Which rows the list shows: the sidebar's state and category, and the
//! search text (name or URL, any case). The same rows are what `Ctrl+A`
//! and "Select all" select.

use crate::i18n::tr;
use crate::service::kind::Kind;
use crate::service::model::{Counts, Model, TaskState};
use crate::service::row::Row;

/// The sidebar's states, as the download managers users come from have
/// them (Motrix, qBittorrent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StateFilter {
    #[default]
    All,
    /// Transferring now (or retrying, or stopping).
    Downloading,
    /// Queued, not started yet.
    Waiting,
    Paused,
    Finished,
    /// Ended without the file: failed, or cancelled (both want a retry).
    Failed,
    /// Torrents uploading to others after completing.
    Seeding,
}

impl StateFilter {
    pub const ALL: [StateFilter; 7] = [
        StateFilter::All,
        StateFilter::Downloading,
        StateFilter::Waiting,
        StateFilter::Paused,
        StateFilter::Finished,
        StateFilter::Failed,
        StateFilter::Seeding,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StateFilter::All => tr!(FilterAll),
            StateFilter::Downloading => tr!(FilterDownloading),
            StateFilter::Waiting => tr!(FilterWaiting),
            StateFilter::Paused => tr!(FilterPaused),
            StateFilter::Finished => tr!(FilterFinished),
            StateFilter::Failed => tr!(FilterFailed),
            StateFilter::Seeding => tr!(FilterSeeding),
        }
    }

    pub fn admits(self, state: &TaskState) -> bool {
        match self {
            StateFilter::All => true,
            StateFilter::Downloading => matches!(
                state,
                TaskState::Running | TaskState::Retrying { .. } | TaskState::Pausing | TaskState::Cancelling
            ),
            StateFilter::Waiting => *state == TaskState::Queued,
            StateFilter::Paused => *state == TaskState::Paused,
            StateFilter::Finished => *state == TaskState::Done,
            StateFilter::Failed => matches!(state, TaskState::Failed(_) | TaskState::Cancelled),
            StateFilter::Seeding => *state == TaskState::Seeding,
        }
    }

    /// How many of the counted rows it lets through.
    pub fn count(self, c: &Counts) -> usize {
        match self {
            StateFilter::All => c.queued + c.running + c.seeding + c.paused + c.done + c.failed + c.cancelled,
            StateFilter::Downloading => c.running,
            StateFilter::Waiting => c.queued,
            StateFilter::Paused => c.paused,
            StateFilter::Finished => c.done,
            StateFilter::Failed => c.failed + c.cancelled,
            StateFilter::Seeding => c.seeding,
        }
    }
}

/// What narrows the list: a state, a kind, and text in the name or URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub state: StateFilter,
    pub kind: Option<Kind>,
    pub text: String,
}

impl ListFilter {
    /// `text`: the search text, trimmed and lower-cased once a frame.
    fn admits(&self, row: &Row, text: &str) -> bool {
        !row.removed
            && self.state.admits(&row.state)
            && self.kind.is_none_or(|k| row.kind() == k)
            && (text.is_empty()
                || row.name.to_lowercase().contains(text)
                || row.shown_url.to_lowercase().contains(text))
    }
}

/// The rows the list shows, in its order (never removed ones). `listed`: the rows and their
/// order where that is not the list's own (a server's, see `server`).
pub fn shown(model: &Model, filter: &ListFilter, listed: Option<&[usize]>) -> Vec<usize> {
    let text = filter.text.trim().to_lowercase();
    let all: Box<dyn Iterator<Item = usize>> = match listed {
        Some(rows) => Box::new(rows.iter().copied().filter(|&i| i < model.rows.len())),
        None => Box::new(0..model.rows.len()),
    };
    all.filter(|&i| filter.admits(&model.rows[i], &text)).collect()
}

/// How many of the listed rows are of each kind (in [`Kind::ALL`]'s
/// order), whatever their state: the sidebar's categories.
pub fn kind_counts(model: &Model, listed: Option<&[usize]>) -> [usize; Kind::ALL.len()] {
    let mut counts = [0; Kind::ALL.len()];
    let mut count = |row: &Row| {
        if row.removed {
            return;
        }
        if let Some(at) = Kind::ALL.iter().position(|&k| k == row.kind()) {
            counts[at] += 1;
        }
    };
    match listed {
        Some(rows) => rows
            .iter()
            .filter_map(|&i| model.rows.get(i))
            .for_each(&mut count),
        None => model.rows.iter().for_each(&mut count),
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::FetchError;

    #[test]
    fn every_state_is_in_exactly_one_filter_besides_all() {
        let states = [
            TaskState::Queued,
            TaskState::Running,
            TaskState::Seeding,
            TaskState::Retrying {
                attempt: 1,
                error: FetchError::Connect("x".into()),
            },
            TaskState::Pausing,
            TaskState::Paused,
            TaskState::Cancelling,
            TaskState::Done,
            TaskState::Failed(FetchError::Connect("x".into())),
            TaskState::Cancelled,
        ];
        for s in &states {
            let n = StateFilter::ALL[1..].iter().filter(|f| f.admits(s)).count();
            assert_eq!(n, 1, "{s:?}");
            assert!(StateFilter::All.admits(s));
        }
    }
}

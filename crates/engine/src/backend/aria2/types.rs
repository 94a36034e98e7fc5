//! aria2's replies in the engine's terms: what a download's status
//! reports as events, how it ended, and aria2's exit codes as fanout's
//! errors. The replies' own types are the `aria2-rpc` crate's.

use aria2_rpc::types::{DownloadStatus, Status};

use crate::error::FetchError;
use crate::job::{Event, Saved};

/// Where aria2 writes, as an error names it: a folder on the daemon's machine.
const REMOTE_FOLDER: &str = "the remote folder";

/// An aria2 download's status in the engine's terms (the aria2 backend's
/// poller and the window's remote view read it so).
pub trait StatusEvents {
    /// What a running (or waiting) download reports: its connections,
    /// when aria2 said, and its bytes.
    fn progress(&self, index: usize) -> Vec<Event>;
    /// How a download that stopped ended: saved, failed with aria2's
    /// reason, or removed (cancelled); `None` while it has not.
    fn outcome(&self) -> Option<Result<Saved, FetchError>>;
    /// Why a download in state `error` failed, in fanout's words.
    fn error(&self) -> FetchError;
}

impl StatusEvents for Status {
    fn progress(&self, index: usize) -> Vec<Event> {
        let mut events = Vec::with_capacity(2);
        if let Some(count) = self.connections {
            events.push(Event::Connections {
                index,
                count: usize::try_from(count).unwrap_or(usize::MAX),
            });
        }
        events.push(Event::Progress {
            index,
            bytes: self.completed_length,
            total: (self.total_length > 0).then_some(self.total_length),
        });
        events
    }

    fn outcome(&self) -> Option<Result<Saved, FetchError>> {
        match self.status {
            DownloadStatus::Complete => Some(Ok(Saved {
                path: self.saved_path().unwrap_or_default().into(),
                bytes: self.completed_length,
                skipped: false,
                files: Vec::new(),
            })),
            DownloadStatus::Error => Some(Err(self.error())),
            DownloadStatus::Removed => Some(Err(FetchError::Cancelled)),
            DownloadStatus::Active | DownloadStatus::Waiting | DownloadStatus::Paused => None,
        }
    }

    fn error(&self) -> FetchError {
        error_of(
            self.error_code.as_deref().unwrap_or("1"),
            self.error_message.as_deref().unwrap_or(""),
        )
    }
}

/// aria2's exit codes (its manual, "EXIT STATUS") in fanout's words.
pub fn error_of(code: &str, message: &str) -> FetchError {
    let message = message.to_string();
    match code {
        "3" => FetchError::Http {
            status: 404,
            reason: "Not Found".into(),
        },
        "24" => FetchError::Http {
            status: 401,
            reason: "Unauthorized".into(),
        },
        "2" | "5" => FetchError::Timeout(message),
        "6" => FetchError::Transport(message),
        "19" => FetchError::Connect(message),
        // Not enough disk space; the file already existed.
        "9" | "13" => FetchError::Io {
            path: REMOTE_FOLDER.into(),
            kind: if code == "9" {
                std::io::ErrorKind::StorageFull
            } else {
                std::io::ErrorKind::AlreadyExists
            },
            detail: message,
        },
        _ => FetchError::Remote(format!("aria2 error {code}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aria2_errors_read_like_fanouts_own() {
        assert_eq!(
            error_of("3", "Resource not found").to_string(),
            "HTTP 404 Not Found"
        );
        assert!(matches!(error_of("2", "timeout"), FetchError::Timeout(_)));
        assert_eq!(error_of("32", "checksum").to_string(), "aria2 error 32: checksum");
        assert!(matches!(
            error_of("9", "no space"),
            FetchError::Io {
                kind: std::io::ErrorKind::StorageFull,
                ..
            }
        ));
    }
}

//! Recording a live HLS playlist (one without `EXT-X-ENDLIST`): it is
//! reloaded every target duration and only the pieces it did not list
//! before are added, until the user stops the recording, the playlist
//! ends, or `--duration` of media is recorded.
//!
//! As ffmpeg does, a recording starts three pieces from the live edge
//! rather than at the oldest piece the playlist still lists (which may be
//! hours back on a site that keeps a long window).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fetch::Fetcher;
use super::hls;
use super::join::Source;
use super::plan::{Parsed, Piece, Track};
use crate::error::FetchError;

/// Pieces before the live edge a recording starts with.
const START_BEHIND: usize = 3;

/// Where a live track's next pieces come from.
pub(crate) struct Reload {
    fetcher: Arc<Fetcher>,
    playlist: url::Url,
    every: Duration,
    next: Instant,
    /// The highest media sequence number seen.
    last: Option<u64>,
    duration: Option<Duration>,
}

impl Reload {
    pub(crate) fn new(fetcher: Arc<Fetcher>, track: &Track, duration: Option<Duration>) -> Self {
        // A target duration of 0 or nonsense would spin: between 1 s and 1 min.
        let every = Duration::from_secs_f64(track.target_duration.clamp(1.0, 60.0));
        Reload {
            fetcher,
            playlist: track.playlist.clone(),
            every,
            next: Instant::now() + every,
            last: track.pieces.last().map(|p| p.sequence),
            duration,
        }
    }

    /// The pieces of a live track a recording starts with.
    pub(crate) fn start(pieces: &[Piece]) -> &[Piece] {
        &pieces[pieces.len().saturating_sub(START_BEHIND)..]
    }
}

impl Source for Reload {
    fn next_reload(&self) -> Option<Instant> {
        Some(self.next)
    }

    async fn reload(&mut self) -> Result<(Vec<Piece>, bool), FetchError> {
        self.next = Instant::now() + self.every;
        let text = self
            .fetcher
            .unless_stopped(self.fetcher.text(&self.playlist))
            .await?;
        let tracks = match hls::parse(&text, &self.playlist)? {
            Parsed::Tracks(tracks) => tracks,
            Parsed::Master(_) => return Ok((Vec::new(), false)),
        };
        let Some(track) = tracks.into_iter().next() else {
            return Ok((Vec::new(), false));
        };
        let new: Vec<Piece> = track
            .pieces
            .into_iter()
            .filter(|p| self.last.is_none_or(|last| p.sequence > last))
            .collect();
        if let Some(p) = new.last() {
            self.last = Some(p.sequence);
        }
        Ok((new, !track.live))
    }

    fn enough(&self, seconds: f64) -> bool {
        self.duration.is_some_and(|d| seconds >= d.as_secs_f64())
    }
}

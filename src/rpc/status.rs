//! A download as the RPC knows it ([`Download`]), which of aria2's
//! downloads it is ([`Part`]), and the gids that name them ([`Gids`]).
//! Its object in aria2's words is [`super::tell`]'s.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::{FetchError, SwarmNow, TorrentMeta};
use crate::input::Options;
pub use aria2_rpc::DownloadStatus as Status;

/// What the RPC can tell of one download; the host of the downloads
/// makes it from its own rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    pub index: usize,
    pub url: String,
    pub dir: PathBuf,
    pub status: Status,
    pub total: Option<u64>,
    pub done: u64,
    /// Bytes per second now.
    pub speed: u64,
    pub connections: usize,
    /// Where the file is (when done) or goes (its name so far); `None`
    /// before the name is known.
    pub path: Option<PathBuf>,
    pub error: Option<FetchError>,
    pub options: Options,
    /// Its place in the order downloads ended (1 first), once it ended.
    pub rank: Option<usize>,
    /// A torrent's metadata, once known.
    pub torrent: Option<Arc<TorrentMeta>>,
    /// A running torrent's swarm, as last reported.
    pub swarm: Option<Arc<SwarmNow>>,
    /// Which of aria2's downloads this is: a magnet is two once its
    /// metadata is known (see [`Part`]).
    pub part: Part,
    /// A worker took it at some time (else its URI is still `waiting`).
    pub started: bool,
}

/// aria2 downloads a magnet as two downloads: its metadata (the gid
/// `addUri` gave), which completes and is `followedBy` the torrent's real
/// download (a second gid, `following` the first). fanout runs one task
/// for both: the second gid is a view of the same task (the first gid's
/// number plus [`Gids::FOLLOWING`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Part {
    /// The task itself (an HTTP download, a `.torrent`, a magnet whose
    /// metadata is not known yet).
    #[default]
    Task,
    /// A magnet's metadata download, complete.
    Metadata,
    /// A magnet's real download: the task, under its second gid.
    Following,
}

/// Gids of one run: a random base plus the download's index, so a gid
/// names one download of this run and gids of another run do not match;
/// or the gid a client chose for it (`addUri`'s `gid` option).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gids {
    base: u64,
    /// Gids clients chose, by index, and the indices by gid.
    chosen: BTreeMap<usize, u64>,
    by_chosen: BTreeMap<u64, usize>,
}

/// Why a gid a client asked for cannot be given (aria2's words).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GidError {
    /// Not 16 hex digits, or all zeros (aria2 keeps that one).
    #[error("{0} is invalid for GID.")]
    Invalid(String),
    /// Another download of this run has it.
    #[error("GID {0} is not unique.")]
    Taken(String),
}

impl Gids {
    pub fn new() -> Gids {
        let mut bytes = [0u8; 8];
        // No randomness (never seen): gids still work, they only repeat
        // across runs.
        let _ = getrandom::fill(&mut bytes);
        Gids {
            base: u64::from_le_bytes(bytes) & 0x7fff_ffff_ffff_0000,
            chosen: BTreeMap::new(),
            by_chosen: BTreeMap::new(),
        }
    }

    /// A gid a client asks for, read as aria2 reads it: 16 hex digits (in
    /// either case), not all zeros, and not one a download of this run has
    /// (`exists`: whether there is a download at an index).
    pub fn check(&self, gid: &str, exists: impl Fn(usize) -> bool) -> Result<u64, GidError> {
        let n = (gid.len() == 16 && gid.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u64::from_str_radix(gid, 16).ok())
            .flatten()
            .filter(|&n| n != 0)
            .ok_or_else(|| GidError::Invalid(gid.to_string()))?;
        if self.index(&format!("{n:016x}")).is_some_and(|(i, _)| exists(i)) {
            return Err(GidError::Taken(gid.to_string()));
        }
        Ok(n)
    }

    /// Gives download `index` the gid `n` (see [`Gids::check`]).
    pub fn choose(&mut self, index: usize, n: u64) {
        self.chosen.insert(index, n);
        self.by_chosen.insert(n, index);
    }

    /// Added to a magnet's gid for its real download's.
    pub const FOLLOWING: u64 = 1 << 32;

    /// The gid of a task (for a magnet: its metadata download).
    pub fn gid(&self, index: usize) -> String {
        let n = self.chosen.get(&index).copied();
        format!("{:016x}", n.unwrap_or(self.base.wrapping_add(index as u64)))
    }

    /// The gid of one of aria2's downloads of a task.
    pub fn of(&self, index: usize, part: Part) -> String {
        match part {
            Part::Task | Part::Metadata => self.gid(index),
            Part::Following => format!(
                "{:016x}",
                self.base.wrapping_add(Gids::FOLLOWING).wrapping_add(index as u64)
            ),
        }
    }

    /// The index a gid names (any download ever added this run may be),
    /// and whether it names a magnet's real download.
    pub fn index(&self, gid: &str) -> Option<(usize, bool)> {
        if gid.len() != 16 {
            return None;
        }
        let n = u64::from_str_radix(gid, 16).ok()?;
        if let Some(&i) = self.by_chosen.get(&n) {
            return Some((i, false));
        }
        let n = n.wrapping_sub(self.base);
        match n.checked_sub(Gids::FOLLOWING) {
            Some(i) => Some((usize::try_from(i).ok()?, true)),
            // A download with a gid of its choosing has no other.
            None => Some(usize::try_from(n).ok()?)
                .filter(|i| !self.chosen.contains_key(i))
                .map(|i| (i, false)),
        }
    }

    /// Numbers no session: what stands in for the gids while a call has
    /// taken them out of the downloads (no random bytes asked for).
    pub(crate) const fn unset() -> Gids {
        Gids {
            base: 0,
            chosen: BTreeMap::new(),
            by_chosen: BTreeMap::new(),
        }
    }

    /// `getSessionInfo`'s id.
    pub fn session(&self) -> String {
        format!("{:016x}{:016x}", self.base, !self.base)
    }
}

impl Default for Gids {
    fn default() -> Self {
        Gids::new()
    }
}

impl Download {
    /// Its gid: the task's, or its magnet's second one.
    pub fn gid(&self, gids: &Gids) -> String {
        gids.of(self.index, self.part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gids_are_sixteen_hex_digits_that_name_their_download() {
        let g = Gids::new();
        let gid = g.gid(41);
        assert_eq!(gid.len(), 16);
        assert!(gid.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(g.index(&gid), Some((41, false)));
        assert_eq!(g.index(&g.of(41, Part::Following)), Some((41, true)));
        assert_ne!(g.of(41, Part::Following), gid);
        assert_eq!(g.index("zz"), None);
        assert_ne!(g.index(&Gids::new().gid(41)), Some((41, false)));
    }
}

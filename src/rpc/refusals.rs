//! Calls refused before their method ran (a wrong or missing secret, a
//! `Host` that is not this machine), counted so the user can learn why an
//! extension "does not work" and that something keeps trying: a line in the
//! log at most every [`LOG_EVERY`], and [`Refusals`] for the window or a
//! headless log to word. The secret a caller gave is never kept.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::sync;

/// At most one log line per this long; the next one counts those between.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// The longest Origin kept (it is the caller's text).
const MAX_ORIGIN: usize = 200;

/// Why a call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    /// A `token:` that is not the secret.
    WrongSecret,
    /// No `token:` first parameter (a client with no secret set).
    NoSecret,
    /// A `Host` header that does not name this machine (DNS rebinding,
    /// or a client that reached a LAN address fanout does not serve).
    ForeignHost,
}

impl std::fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RefusalReason::WrongSecret => "wrong secret",
            RefusalReason::NoSecret => "no secret given",
            RefusalReason::ForeignHost => "Host is not this machine",
        })
    }
}

/// The calls refused since the server started, and the last one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusals {
    pub count: u64,
    pub last_at: SystemTime,
    /// The last refused call's `Origin` header (a browser extension's
    /// `chrome-extension://…`, a page's `https://…`); scripts send none.
    pub last_origin: Option<String>,
    pub last_reason: RefusalReason,
}

impl std::fmt::Display for Refusals {
    /// `3 calls refused: wrong secret, from chrome-extension://abc` (the
    /// reason and origin of the last one).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let calls = if self.count == 1 { "call" } else { "calls" };
        write!(f, "{} {calls} refused: {}", self.count, self.last_reason)?;
        if let Some(origin) = &self.last_origin {
            write!(f, ", from {origin}")?;
        }
        Ok(())
    }
}

/// The server's record of refusals, shared by its connections and its
/// handle. Reading it when nothing was refused takes no lock.
#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    count: AtomicU64,
    state: Mutex<LogState>,
}

#[derive(Debug, Default)]
struct LogState {
    last: Option<Refusals>,
    /// When the last log line was written.
    logged_at: Option<Instant>,
    /// Refused since that line.
    unlogged: u64,
    /// A line for the unlogged ones is due (a timer is set).
    flush_set: bool,
}

/// What [`RefusalLog::record`] asks its caller to do about the log.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Log {
    /// Write a line now for this many refusals.
    Now(u64),
    /// Call [`RefusalLog::flush`] after this long (no timer is set yet).
    Later(Duration),
    /// A line is already due.
    Nothing,
}

impl RefusalLog {
    /// Counts one refusal; what to log is the caller's (it has the
    /// runtime for a timer).
    pub(crate) fn record(&self, reason: RefusalReason, origin: Option<&str>, now: Instant) -> Log {
        let origin = origin.map(|o| o.chars().take(MAX_ORIGIN).collect::<String>());
        let mut b = sync::lock(&self.state);
        let count = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        b.last = Some(Refusals {
            count,
            last_at: SystemTime::now(),
            last_origin: origin,
            last_reason: reason,
        });
        b.unlogged += 1;
        match b.logged_at {
            Some(t) if now.duration_since(t) < LOG_EVERY => {
                if b.flush_set {
                    Log::Nothing
                } else {
                    b.flush_set = true;
                    Log::Later(LOG_EVERY - now.duration_since(t))
                }
            }
            _ => {
                b.logged_at = Some(now);
                Log::Now(std::mem::take(&mut b.unlogged))
            }
        }
    }

    /// The line that was due: how many were refused since the last one
    /// (0: none, write nothing), and the last of them.
    pub(crate) fn flush(&self, now: Instant) -> (u64, Option<Refusals>) {
        let mut b = sync::lock(&self.state);
        b.flush_set = false;
        let n = std::mem::take(&mut b.unlogged);
        if n > 0 {
            b.logged_at = Some(now);
        }
        (n, b.last.clone())
    }

    pub(crate) fn refusals(&self) -> Option<Refusals> {
        if self.count.load(Ordering::SeqCst) == 0 {
            return None;
        }
        sync::lock(&self.state).last.clone()
    }
}

/// The log line: how many since the last line, why and from where the
/// last one came (`3 RPC calls refused since the last line; the last:
/// wrong secret, from chrome-extension://abc`). Never the token given.
pub(crate) fn warn(since_last: u64, last: &Refusals) {
    let calls = if since_last == 1 { "call" } else { "calls" };
    let from = last
        .last_origin
        .as_deref()
        .map(|o| format!(", from {o}"))
        .unwrap_or_default();
    tracing::warn!(
        refused = since_last,
        total = last.count,
        reason = %last.last_reason,
        origin = last.last_origin.as_deref().unwrap_or("none"),
        "{since_last} RPC {calls} refused since the last line; the last: {}{from}",
        last.last_reason,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_counted_and_said_in_one_sentence() {
        let log = RefusalLog::default();
        assert_eq!(log.refusals(), None);
        let t = Instant::now();
        assert_eq!(log.record(RefusalReason::ForeignHost, None, t), Log::Now(1));
        assert_eq!(
            log.refusals().unwrap().to_string(),
            "1 call refused: Host is not this machine"
        );
        log.record(RefusalReason::NoSecret, Some("moz-extension://1"), t);
        log.record(RefusalReason::WrongSecret, Some("chrome-extension://abc"), t);
        let r = log.refusals().unwrap();
        assert_eq!((r.count, r.last_reason), (3, RefusalReason::WrongSecret));
        assert_eq!(
            r.to_string(),
            "3 calls refused: wrong secret, from chrome-extension://abc"
        );
    }

    #[test]
    fn the_log_says_at_most_one_line_per_period_with_the_count_between() {
        let log = RefusalLog::default();
        let t = Instant::now();
        let o = Some("chrome-extension://abc");
        assert_eq!(log.record(RefusalReason::WrongSecret, o, t), Log::Now(1));
        // The first refusal inside the period sets the timer for the rest.
        let one = Duration::from_secs(1);
        assert_eq!(
            log.record(RefusalReason::WrongSecret, o, t + one),
            Log::Later(LOG_EVERY - one)
        );
        for s in 2..5 {
            let at = t + Duration::from_secs(s);
            assert_eq!(log.record(RefusalReason::WrongSecret, o, at), Log::Nothing);
        }
        let (n, last) = log.flush(t + LOG_EVERY);
        assert_eq!((n, last.unwrap().count), (4, 5));
        // Nothing since: the timer writes nothing.
        assert_eq!(log.flush(t + LOG_EVERY * 2).0, 0);
        // Quiet for a period: the next one is said at once.
        let later = t + LOG_EVERY * 3;
        assert_eq!(log.record(RefusalReason::ForeignHost, None, later), Log::Now(1));
    }

    #[test]
    fn a_long_origin_is_cut() {
        let log = RefusalLog::default();
        let long = "x".repeat(10_000);
        log.record(RefusalReason::WrongSecret, Some(&long), Instant::now());
        assert_eq!(log.refusals().unwrap().last_origin.unwrap().len(), MAX_ORIGIN);
    }
}

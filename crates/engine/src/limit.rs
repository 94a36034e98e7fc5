//! What bounds a transfer: how many connections a backend may hold open
//! ([`ConnectionCount`]) and how many bytes a second may arrive ([`RateLimit`]).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The connections a backend may have open at once: its worker limit. A
/// task takes one to start; a segmented download takes one more for each
/// extra connection, so `-j 8` means 8 connections, not 8 files of 8.
#[derive(Debug)]
pub(crate) struct ConnectionCount {
    /// `None`: unbounded (async with limit 0).
    limit: Option<usize>,
    used: AtomicUsize,
}

impl ConnectionCount {
    pub(crate) fn new(limit: Option<usize>) -> Self {
        ConnectionCount {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// Takes one connection if one is free.
    pub(crate) fn try_take(&self) -> bool {
        match self.limit {
            None => {
                self.used.fetch_add(1, Ordering::SeqCst);
                true
            }
            Some(limit) => self
                .used
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| {
                    (u < limit).then_some(u + 1)
                })
                .is_ok(),
        }
    }

    /// Gives one back. Call through `Queue::release`, which wakes the
    /// workers waiting for room.
    pub(crate) fn give(&self) {
        self.used.fetch_sub(1, Ordering::SeqCst);
    }

    /// Connections in use now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }
}

/// A token bucket shared by every connection it governs, changeable while
/// they run. A chunk is let through at once and its cost is paid by the
/// wait before the next one, so a transfer never holds bytes back, and each
/// connection pays for its own chunks: the rate is shared in proportion to
/// what each receives, which evens out as they all wait on the same bucket.
#[derive(Debug, Default)]
pub struct RateLimit {
    /// Bytes per second; 0 is unlimited.
    rate: AtomicU64,
    /// Tokens (bytes that may pass now; negative is a debt) and when they
    /// were last counted.
    bucket: Mutex<Option<(f64, Instant)>>,
}

/// Credit a quiet bucket gathers: a tenth of a second's worth, so a limit
/// holds over any stretch longer than that.
const BURST: f64 = 0.1;

impl RateLimit {
    #[cfg(test)]
    pub(crate) fn new(rate: Option<u64>) -> Self {
        let limit = RateLimit::default();
        limit.set(rate);
        limit
    }

    /// A new rate (or none); takes effect for the next chunk.
    pub fn set(&self, rate: Option<u64>) {
        self.rate.store(rate.unwrap_or(0), Ordering::SeqCst);
        // Old debts were owed at the old rate.
        *crate::sync::lock(&self.bucket) = None;
    }

    pub fn get(&self) -> Option<u64> {
        Some(self.rate.load(Ordering::Relaxed)).filter(|&r| r > 0)
    }

    /// Counts `n` bytes that arrived and says how long to wait before
    /// reading more.
    pub fn take(&self, n: usize) -> Duration {
        let rate = self.rate.load(Ordering::Relaxed);
        if rate == 0 {
            return Duration::ZERO;
        }
        let rate = rate as f64;
        let now = Instant::now();
        let mut bucket = crate::sync::lock(&self.bucket);
        let (tokens, then) = bucket.get_or_insert((0.0, now));
        let refilled = *tokens + now.duration_since(*then).as_secs_f64() * rate;
        let left = refilled.min(rate * BURST) - n as f64;
        *bucket = Some((left, now));
        if left >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-left / rate)
        }
    }
}

/// Parses a rate as people write it: `500K`, `2M`, `1.5M`, `2MB`, `800k`,
/// or plain bytes per second. K and M are powers of 1024, as in curl and
/// wget. `0` means unlimited.
pub fn parse_rate(text: &str) -> Result<Option<u64>, String> {
    let t = text.trim();
    let t = t.strip_suffix("/s").unwrap_or(t);
    let t = t.strip_suffix(['B', 'b']).unwrap_or(t);
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1024.0),
        Some((i, 'm' | 'M')) => (&t[..i], 1024.0 * 1024.0),
        Some((i, 'g' | 'G')) => (&t[..i], 1024.0 * 1024.0 * 1024.0),
        _ => (t, 1.0),
    };
    let value: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a rate: write bytes per second, or a number with K, M or G"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("{text:?} is not a rate"));
    }
    let bytes = (value * mult).round();
    Ok((bytes >= 1.0).then_some(bytes as u64))
}

/// `90`, `90s`, `30m` or `2h`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a time: use seconds, or 30m, 2h"))?;
    let seconds = match unit.trim() {
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        other => return Err(format!("{other:?} is not a unit of time: use s, m or h")),
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(format!("{text:?}: the time must be more than 0"));
    }
    Ok(std::time::Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_read_as_curl_writes_them() {
        assert_eq!(parse_rate("5M"), Ok(Some(5 * 1024 * 1024)));
        assert_eq!(parse_rate("500k"), Ok(Some(500 * 1024)));
        assert_eq!(parse_rate("1.5MB"), Ok(Some(1_572_864)));
        assert_eq!(parse_rate("2M/s"), Ok(Some(2 * 1024 * 1024)));
        assert_eq!(parse_rate("12345"), Ok(Some(12345)));
        assert_eq!(parse_rate("0"), Ok(None));
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("-1M").is_err());
    }

    #[test]
    fn a_bucket_makes_a_burst_wait_for_its_bytes() {
        let limit = RateLimit::new(Some(1_000_000));
        // 100 kB of credit at most; 300 kB at once is a 0.2 s debt.
        let first = limit.take(300_000);
        assert!(first > Duration::from_millis(150), "{first:?}");
        assert!(limit.take(0) > Duration::from_millis(100));
        limit.set(None);
        assert_eq!(limit.take(10_000_000), Duration::ZERO);
    }

    #[test]
    fn a_budget_counts_connections() {
        let b = ConnectionCount::new(Some(2));
        assert!(b.try_take() && b.try_take());
        assert!(!b.try_take());
        b.give();
        assert!(b.try_take());
        let unbounded = ConnectionCount::new(None);
        assert!((0..1000).all(|_| unbounded.try_take()));
    }
}

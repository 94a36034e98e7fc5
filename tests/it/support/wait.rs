//! Waiting on an engine's events, written once for every test file:
//! collecting results, waiting for one event, reading a result's outcome.

use std::path::Path;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use fanout::engine::{Event, FetchError, TaskResult};

/// How long any one wait may take before the test fails with what it saw.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Waits (20 s at most, looking every 50 ms) until `f` gives `Some`: for
/// what a test can only ask about (a server's state, a file), not hear.
pub fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(t) = f() {
            return t;
        }
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Receives events until `n` results came; the results in completion
/// order, and every event on the way.
pub fn results(rx: &Receiver<Event>, n: usize) -> (Vec<TaskResult>, Vec<Event>) {
    let (mut results, mut events) = (Vec::new(), Vec::new());
    let deadline = Instant::now() + PATIENCE;
    while results.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("only {} of {n} results; saw {events:?}", results.len()));
        if let Event::Finished(r) = &event {
            results.push(r.clone());
        }
        events.push(event);
    }
    (results, events)
}

/// Receives events (kept in `seen`) until `pick` finds what it waits for.
pub fn wait_for<T>(
    rx: &Receiver<Event>,
    seen: &mut Vec<Event>,
    what: &str,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = rx
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {what} within {PATIENCE:?}; saw {seen:?}"));
        let hit = pick(&event);
        seen.push(event);
        if let Some(t) = hit {
            return t;
        }
    }
}

/// Waits until task `index` has received more than `bytes`; a result for
/// any task first fails the test.
pub fn wait_for_progress(rx: &Receiver<Event>, index: usize, bytes: u64) -> Vec<Event> {
    let mut seen = Vec::new();
    wait_for(rx, &mut seen, "progress", |e| match e {
        Event::Finished(r) => panic!("finished before it was under way: {r:?}"),
        Event::Progress {
            index: i, bytes: b, ..
        } if *i == index && *b > bytes => Some(()),
        _ => None,
    });
    seen
}

/// Where a result's file was saved; fails the test if it was not.
pub fn saved_path(r: &TaskResult) -> &Path {
    match &r.outcome {
        Ok(saved) => &saved.path,
        Err(e) => panic!("task {} ({}) failed: {e}", r.index, r.url),
    }
}

/// Why a result failed; fails the test if it did not.
pub fn error_of(r: &TaskResult) -> &FetchError {
    match &r.outcome {
        Ok(saved) => panic!(
            "task {} ({}) should have failed, saved {:?}",
            r.index, r.url, saved.path
        ),
        Err(e) => e,
    }
}

//! Runs jobs on a real engine until each has a result: what tests of
//! the engine's own behaviour share.

use std::sync::Arc;

use fanout::engine::{Engine, EngineConfig, Event, Job, TaskResult};

use super::wait;

/// Every result of `jobs` on an engine of `config` (completion order),
/// with every event seen.
pub fn run_jobs(config: EngineConfig, jobs: Vec<Job>) -> (Vec<TaskResult>, Vec<Event>) {
    let kind = config.backend;
    let n = jobs.len();
    let (tx, rx) = crossbeam_channel::unbounded();
    let (woke, wakes) = crossbeam_channel::unbounded::<()>();
    let engine = Engine::new(
        config,
        tx,
        Arc::new(move || {
            let _ = woke.send(());
        }),
    )
    .expect("engine starts");
    for job in jobs {
        engine.submit(job);
    }
    let (mut results, mut events) = (Vec::new(), Vec::new());
    let deadline = std::time::Instant::now() + wait::PATIENCE;
    while results.len() < n {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        wakes.recv_timeout(left).unwrap_or_else(|_| {
            panic!(
                "{kind:?}: {} of {n} results, and no wake; seen: {events:?}; not yet seen: {:?}",
                results.len(),
                rx.try_iter().collect::<Vec<_>>()
            )
        });
        for event in rx.try_iter() {
            if let Event::Finished(r) = &event {
                results.push(r.clone());
            }
            events.push(event);
        }
    }
    (results, events)
}

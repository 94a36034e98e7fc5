//! The live map of a segmented download (`Event::Segments`), as the
//! details pane draws it: every part of the file once, each from where it
//! began, reported a few times a second and once more when it ends whole.

use crate::support;

use std::time::{Duration, Instant};

use fanout::engine::{BackendKind, EngineConfig, Event, Job, SegmentMap};
use support::TestServer;
use support::run::run_jobs;

const MIB: usize = 1024 * 1024;

fn maps(events: &[Event]) -> Vec<SegmentMap> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Segments { map, .. } => Some((**map).clone()),
            _ => None,
        })
        .collect()
}

fn the_map_covers_the_file_and_ends_whole(kind: BackendKind) {
    let size = 4 * MIB + 777;
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        segments: 4,
        segment_threshold: MIB as u64,
        retry_delay: Duration::from_millis(10),
        ..EngineConfig::new(kind)
    };
    let url = server.url(&format!("/map.bin?size={size}&pace=2"));
    let started = Instant::now();
    let (results, events) = run_jobs(config, vec![Job::new(url, dir.path())]);
    let took = started.elapsed();
    assert!(results[0].is_ok(), "{kind:?}: {:?}", results[0].outcome);
    let maps = maps(&events);
    if kind == BackendKind::Sequential {
        // One connection: never split, no map.
        assert!(maps.is_empty(), "{maps:?}");
        return;
    }
    let first = maps.first().expect("a map");
    assert_eq!(first.parts.len(), 4, "{kind:?}: {first:?}");
    for m in &maps {
        assert_eq!(m.total, size as u64);
        // In file order, each part within the file, none overlapping.
        for w in m.parts.windows(2) {
            assert!(w[0].end <= w[1].start, "{m:?}");
        }
        assert!(m.parts.iter().all(|p| p.start <= p.done && p.done <= p.end));
    }
    // The last says it is whole: every part written to its end, and the
    // parts together are the file.
    let last = maps.last().unwrap();
    assert!(last.parts.iter().all(|p| p.done == p.end), "{last:?}");
    assert_eq!(last.parts.iter().map(|p| p.len()).sum::<u64>(), size as u64);
    // About five a second (one at the start and one at the end besides).
    let most = (took.as_secs_f64() * 5.0).ceil() as usize + 2;
    assert!(maps.len() <= most, "{} maps in {took:?}", maps.len());
}

each_backend!(the_map_covers_the_file_and_ends_whole, 8);

//! The remote view's mirror on its own: listings in, the list, its order,
//! ranks and speeds out, with no server.

use serde_json::json;

use super::*;
use crate::settings::Settings;

fn status(gid: &str, word: &str, done: u64) -> Status {
    serde_json::from_value(json!({
        "gid": gid, "status": word, "totalLength": "1000",
        "completedLength": done.to_string(), "connections": "1",
        "dir": "/srv/dl",
        "files": [{"path": format!("/srv/dl/{gid}.bin"), "uris": [{"uri": format!("http://h/{gid}.bin"), "status": "used"}]}],
    }))
    .unwrap()
}

fn view() -> View {
    View::new(Downloads::new(&Settings::default()))
}

fn listing(active: &[Status], waiting: &[Status], stopped: &[Status]) -> Listing {
    Listing {
        active: active.to_vec(),
        waiting: waiting.to_vec(),
        stopped: stopped.to_vec(),
        whole: true,
    }
}

#[test]
fn what_ended_before_keeps_the_servers_order_and_later_ends_rank_as_seen() {
    let mut v = view();
    let t0 = Instant::now();
    // b stopped before a (tellStopped lists them so); c runs; d waits.
    v.apply(
        &listing(
            &[status("c", "active", 100)],
            &[status("d", "waiting", 0)],
            &[status("b", "complete", 1000), status("a", "error", 0)],
        ),
        t0,
    );
    let rows = &v.downloads.model.rows;
    // Rows by gid, first seen: c, d, b, a.
    assert_eq!(rows[0].url, "http://h/c.bin");
    assert_eq!(rows[0].state, TaskState::Running);
    assert_eq!(rows[1].state, TaskState::Queued);
    assert_eq!((rows[2].state.clone(), rows[2].rank), (TaskState::Done, Some(1)));
    assert_eq!(rows[2].dir, std::path::PathBuf::from("/srv/dl"));
    assert!(matches!(rows[3].state, TaskState::Failed(_)));
    assert_eq!(rows[3].rank, Some(2));
    assert_eq!(v.listed, [0, 1, 2, 3]);
    assert_eq!(v.waiting, [1]);
    // What had ended is no batch of the view's.
    assert_eq!(v.downloads.model.batch_progress(), (0, 2));

    // d starts and c is paused; then d completes, then c is resumed and
    // completes: ranks 3 and 4 in that order.
    let t1 = t0 + Duration::from_secs(1);
    v.apply(
        &listing(
            &[status("d", "active", 10)],
            &[status("c", "paused", 300)],
            &[status("b", "complete", 1000), status("a", "error", 0)],
        ),
        t1,
    );
    assert_eq!(v.downloads.model.rows[0].state, TaskState::Paused);
    assert_eq!(v.downloads.model.rows[0].bytes, 300);
    assert_eq!(v.downloads.model.rows[1].state, TaskState::Running);
    v.apply(
        &listing(
            &[],
            &[status("c", "waiting", 300)],
            &[
                status("b", "complete", 1000),
                status("a", "error", 0),
                status("d", "complete", 1000),
            ],
        ),
        t1 + Duration::from_secs(1),
    );
    assert_eq!(v.downloads.model.rows[0].state, TaskState::Queued);
    assert_eq!(v.downloads.model.rows[1].rank, Some(3));
    v.apply(
        &listing(
            &[],
            &[],
            &[
                status("b", "complete", 1000),
                status("a", "error", 0),
                status("d", "complete", 1000),
                status("c", "complete", 1000),
            ],
        ),
        t1 + Duration::from_secs(2),
    );
    let ranks: Vec<_> = v.downloads.model.rows.iter().map(|r| r.rank).collect();
    assert_eq!(ranks, [Some(4), Some(3), Some(1), Some(2)]);
    assert_eq!(v.listed, [2, 3, 1, 0]);
}

#[test]
fn the_servers_queue_order_is_the_views_and_a_download_gone_from_it_is_forgotten() {
    let mut v = view();
    let t0 = Instant::now();
    let q = |g| status(g, "waiting", 0);
    v.apply(&listing(&[], &[q("a"), q("b"), q("c")], &[]), t0);
    assert_eq!(v.waiting, [0, 1, 2]);
    v.apply(&listing(&[], &[q("c"), q("a"), q("b")], &[]), t0);
    assert_eq!(v.waiting, [2, 0, 1], "moved to the head there");
    // b removed on the server (gone from every list).
    v.apply(&listing(&[], &[q("c"), q("a")], &[]), t0);
    assert!(v.downloads.model.rows[1].forgotten);
    assert_eq!(v.downloads.model.rows[1].state, TaskState::Cancelled);
    assert_eq!(v.listed, [2, 0]);
    assert_eq!(v.downloads.model.counts().queued, 2);
    // A list cut short says nothing of what it does not hold.
    let mut cut = listing(&[], &[q("c")], &[]);
    cut.whole = false;
    v.apply(&cut, t0);
    assert!(!v.downloads.model.rows[0].forgotten);
}

#[test]
fn a_download_running_before_the_view_saw_it_is_not_measured_from_zero() {
    let mut v = view();
    let t0 = Instant::now();
    v.apply(&listing(&[status("a", "active", 900)], &[], &[]), t0);
    v.apply(
        &listing(&[status("a", "active", 950)], &[], &[]),
        t0 + Duration::from_secs(1),
    );
    let speed = v.downloads.model.rows[0].speed(t0 + Duration::from_secs(1));
    assert!((speed - 50.0).abs() < 1.0, "{speed}");
    assert_eq!(v.downloads.model.rows[0].name, "a.bin");
}

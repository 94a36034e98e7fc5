//! The remote view (`service::remote`) as the window will use it, against
//! real servers on loopback: a `fanout serve` (the real binary, no display)
//! and an `aria2c --enable-rpc`, one `#[test]` each from one body. Another
//! client (plain JSON-RPC calls, as any program on the server's machine
//! would make them) adds downloads there; the view must show them, follow
//! them to the end with the ranks they finished in, and its commands must
//! be what that other client then reads from the server.
//!
//! Needs `aria2c` for the aria2c tests (skipped without it, failed in CI).

use crate::support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fanout::engine::Place;
use fanout::service::model::TaskState;
use fanout::service::remote::{Remote, RemoteCommand, RemoteError, RemoteStatus, View};
use fanout::settings::Settings;
use serde_json::{Value, json};
use support::TestServer;
use support::aria2::Rpcd;
use support::wait::until;

/// One `#[test]` per server from one body `fn NAME(server: &dyn Rpcd)`.
macro_rules! each_server {
    ($body:ident) => {
        mod $body {
            #[test]
            fn aria2c() {
                if let Some(d) = super::support::aria2::Daemon::start() {
                    super::$body(&d)
                }
            }

            #[test]
            fn fanout_serve() {
                super::$body(&super::support::serve::Serve::start())
            }
        }
    };
}

/// Another program's call on the server, with the right secret.
fn call(server: &dyn Rpcd, method: &str, params: Value) -> Result<Value, Value> {
    let r = server.remote();
    support::serve::call(&r.url, r.secret.as_deref().unwrap(), method, params)
}

fn add(server: &dyn Rpcd, url: &str, options: Value) -> String {
    let gid = call(server, "aria2.addUri", json!([[url], options])).unwrap();
    gid.as_str().unwrap().to_string()
}

/// What another client reads of one download: its status word.
fn status_of(server: &dyn Rpcd, gid: &str) -> Option<String> {
    let s = call(server, "aria2.tellStatus", json!([gid, ["status"]])).ok()?;
    s["status"].as_str().map(str::to_string)
}

/// The gids of the server's waiting list, head first.
fn waiting(server: &dyn Rpcd) -> Vec<String> {
    let list = call(server, "aria2.tellWaiting", json!([0, 100, ["gid"]])).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| d["gid"].as_str().unwrap().to_string())
        .collect()
}

/// A view of `server`, and how often it woke its face.
fn connect(server: &dyn Rpcd, secret: &str) -> (Remote, Arc<AtomicUsize>) {
    let wakes = Arc::new(AtomicUsize::new(0));
    let w = wakes.clone();
    let remote = Remote::connect(
        &server.remote().url,
        secret,
        &Settings::default(),
        Arc::new(move || {
            w.fetch_add(1, Ordering::SeqCst);
        }),
    );
    (remote, wakes)
}

fn connected(server: &dyn Rpcd) -> (Remote, Arc<AtomicUsize>) {
    let (remote, wakes) = connect(server, server.remote().secret.as_deref().unwrap());
    until("connected", || {
        matches!(remote.status(), RemoteStatus::Connected { .. }).then_some(())
    });
    (remote, wakes)
}

/// The row of `gid` once the view has it.
fn row(remote: &Remote, gid: &str) -> usize {
    until(&format!("{gid} in the view"), || remote.view().index_of(gid))
}

fn state(remote: &Remote, i: usize) -> TaskState {
    remote.view().downloads.model.rows[i].state.clone()
}

fn wait_state(remote: &Remote, i: usize, want: TaskState) {
    until(&format!("row {i} {want:?}"), || {
        (state(remote, i) == want).then_some(())
    });
}

each_server!(downloads_added_elsewhere_show_and_end_with_their_completion_ranks);
fn downloads_added_elsewhere_show_and_end_with_their_completion_ranks(server: &dyn Rpcd) {
    let http = TestServer::start();
    let (remote, wakes) = connected(server);
    // Both servers send aria2's notifications over a WebSocket.
    until("the notifications' socket open", || {
        remote.view().notifications.then_some(())
    });
    let folder = server.folder().display().to_string();
    match remote.status() {
        RemoteStatus::Connected { dir, .. } => assert_eq!(dir.as_deref(), Some(folder.as_str())),
        other => panic!("{other:?}"),
    }
    let slow_url = http.url("/r/slow.bin?size=8000000&pace=40");
    let late_url = http.url("/r/late.bin?size=50000&latency=1500");
    let early_url = http.url("/r/early.bin?size=60000&latency=300");
    let slow = add(server, &slow_url, json!({}));
    // Added first, finishes second.
    let late = add(server, &late_url, json!({}));
    let early = add(server, &early_url, json!({}));
    let s = row(&remote, &slow);
    until("the slow one running with bytes", || {
        let v = remote.view();
        let r = &v.downloads.model.rows[s];
        (r.state == TaskState::Running && r.bytes > 0).then_some(())
    });
    {
        let v = remote.view();
        let r = &v.downloads.model.rows[s];
        assert_eq!(r.url, slow_url);
        assert_eq!(r.dir, server.folder());
        assert_eq!(r.total, Some(8_000_000));
        assert!(
            r.fraction().is_some_and(|f| f > 0.0 && f < 1.0),
            "{:?}",
            r.fraction()
        );
    }
    let (l, e) = (row(&remote, &late), row(&remote, &early));
    wait_state(&remote, l, TaskState::Done);
    wait_state(&remote, e, TaskState::Done);
    {
        let v = remote.view();
        let rows = &v.downloads.model.rows;
        assert_eq!(
            (rows[e].rank, rows[l].rank),
            (Some(1), Some(2)),
            "completion order"
        );
        assert_eq!(rows[e].name, "early.bin");
        assert_eq!(rows[e].total, Some(60_000));
        assert_eq!(rows[e].url, early_url);
        assert_eq!(rows[s].rank, None, "still running");
        assert_eq!(v.downloads.model.counts().done, 2);
        assert!(v.listed.contains(&s) && v.listed.contains(&e));
    }
    let speed = remote.view().downloads.model.rows[s].speed(Instant::now());
    // 16 KiB every 40 ms is about 400 KB/s; a view that measured from
    // zero the bytes it found would show far more at first.
    assert!(speed > 50_000.0 && speed < 2_000_000.0, "speed {speed}");
    assert!(wakes.load(Ordering::SeqCst) > 2, "the face is woken");

    // A view opened later takes the server's stopped order for the ranks.
    let (later, _) = connected(server);
    let (l2, e2) = (row(&later, &late), row(&later, &early));
    let v = later.view();
    let rows = &v.downloads.model.rows;
    assert_eq!((rows[e2].rank, rows[l2].rank), (Some(1), Some(2)));
    assert_eq!(rows[e2].state, TaskState::Done);
}

each_server!(pause_resume_move_remove_and_add_reach_the_server);
fn pause_resume_move_remove_and_add_reach_the_server(server: &dyn Rpcd) {
    let http = TestServer::start();
    let (remote, _) = connected(server);
    let slow = |name: &str| http.url(&format!("/c/{name}.bin?size=6000000&pace=40"));
    let a = add(server, &slow("a"), json!({}));
    // Three held in the server's queue, in this order.
    let held: Vec<String> = ["b", "c", "d"]
        .iter()
        .map(|n| add(server, &slow(n), json!({"pause": "true"})))
        .collect();
    let ia = row(&remote, &a);
    wait_state(&remote, ia, TaskState::Running);
    let rows: Vec<usize> = held.iter().map(|g| row(&remote, g)).collect();
    until("the server's queue in the view", || {
        (remote.view().waiting == rows).then_some(())
    });
    assert_eq!(state(&remote, rows[0]), TaskState::Paused);

    // Pause: another client reads it paused.
    remote.send(RemoteCommand::Pause(vec![ia]));
    until("a paused on the server", || {
        (status_of(server, &a).as_deref() == Some("paused")).then_some(())
    });
    wait_state(&remote, ia, TaskState::Paused);

    // Move the last of the queue to its head.
    let last = *rows.last().unwrap();
    remote.send(RemoteCommand::Move {
        index: last,
        place: Place::FromStart(0),
    });
    until("d first in the server's queue", || {
        (waiting(server).first() == Some(&held[2])).then_some(())
    });
    until("d first in the view's queue", || {
        (remote.view().waiting.first() == Some(&last)).then_some(())
    });

    // Resume b: no longer paused there.
    remote.send(RemoteCommand::Resume(vec![rows[0]]));
    until("b unpaused on the server", || {
        (status_of(server, &held[0]).as_deref() == Some("active")).then_some(())
    });
    wait_state(&remote, rows[0], TaskState::Running);

    // Remove b (running: aria2 keeps a result for it until that is
    // removed too) and c (held): gone from the server and the view.
    remote.send(RemoteCommand::Remove(vec![rows[0], rows[1]]));
    for (gid, i) in [(&held[0], rows[0]), (&held[1], rows[1])] {
        until("removed from the server", || {
            status_of(server, gid).is_none().then_some(())
        });
        until("removed from the view", || {
            let v = remote.view();
            (!v.listed.contains(&i) && v.downloads.model.rows[i].forgotten).then_some(())
        });
    }
    assert!(remote.view().listed.contains(&ia), "a stays");
    assert_eq!(state(&remote, ia), TaskState::Paused);

    // Add: on the server, into its own folder.
    let url = http.url("/c/added.bin?size=30000");
    remote.send(RemoteCommand::Add { url: url.clone() });
    let gid = until("the added one on the server", || {
        let all = call(
            server,
            "aria2.tellStopped",
            json!([0, 100, ["gid", "files", "dir"]]),
        )
        .unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .find(|d| d["files"][0]["uris"][0]["uri"] == url)
            .cloned()
    });
    assert_eq!(gid["dir"], json!(server.folder().display().to_string()));
    let i = row(&remote, gid["gid"].as_str().unwrap());
    wait_state(&remote, i, TaskState::Done);
    assert_eq!(
        std::fs::read(server.folder().join("added.bin")).unwrap(),
        support::body_for("/c/added.bin", 30000)
    );
    assert_eq!(remote.view().refused, None);
    // What the server refuses is kept for the face to say.
    remote.send(RemoteCommand::Resume(vec![i]));
    let refused = until("the refusal kept", || remote.view().refused.clone());
    assert!(refused.starts_with("aria2.unpause: "), "{refused}");
}

each_server!(a_wrong_secret_is_a_clear_error_and_shows_nothing);
fn a_wrong_secret_is_a_clear_error_and_shows_nothing(server: &dyn Rpcd) {
    let http = TestServer::start();
    add(server, &http.url("/w/x.bin?size=1000"), json!({}));
    let (remote, _) = connect(server, "not-the-secret");
    until("refused", || {
        (remote.status() == RemoteStatus::Failed(RemoteError::Refused)).then_some(())
    });
    assert_eq!(remote.status().to_string(), "the server refused the secret");
    remote.send(RemoteCommand::Add {
        url: http.url("/w/y.bin"),
    });
    std::thread::sleep(Duration::from_millis(1200));
    let v: parking_lot::MutexGuard<'_, View> = remote.view();
    assert!(v.downloads.model.rows.is_empty(), "shows nothing");
    assert_eq!(v.status, RemoteStatus::Failed(RemoteError::Refused));
    drop(v);
    let stopped = call(server, "aria2.tellStopped", json!([0, 100, ["gid"]])).unwrap();
    let waiting = waiting(server);
    assert_eq!(
        stopped.as_array().unwrap().len() + waiting.len(),
        1,
        "nothing added"
    );
}

#[test]
fn a_lost_server_keeps_the_rows_and_comes_back() {
    let http = TestServer::start();
    let home = tempfile::tempdir().unwrap();
    let mut s = support::serve::Serve::start_in(home.path(), &[]);
    let url = http.url("/l/kept.bin?size=20000");
    let gid = add(&s, &url, json!({}));
    let (remote, _) = connected(&s);
    let i = row(&remote, &gid);
    wait_state(&remote, i, TaskState::Done);
    assert!(s.stop().success());
    until("lost", || {
        matches!(remote.status(), RemoteStatus::Failed(RemoteError::Unreachable(_))).then_some(())
    });
    assert_eq!(state(&remote, i), TaskState::Done, "the rows stay");
    // The same service again, on its old port too (a restart keeps what
    // finished, under a gid of the new run).
    let _again = support::serve::Serve::start_port(home.path(), s.port, &[], &[]);
    until("back", || {
        matches!(remote.status(), RemoteStatus::Connected { .. }).then_some(())
    });
    until("listed again, done", || {
        let v = remote.view();
        v.listed
            .iter()
            .any(|&j| {
                let r = &v.downloads.model.rows[j];
                r.url == url && r.state == TaskState::Done
            })
            .then_some(())
    });
}

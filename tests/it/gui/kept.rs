//! Acknowledged means kept, for the window's own adds: the status bar says
//! the downloads are in the queue only once its store has committed them,
//! so a window killed after that keeps them. The store is made slow (a
//! test hook), so a message sent before the commit would be caught.
//!
//! The hook is an environment variable the store reads when it opens: the
//! test runs itself again in a child process that has it.

use crate::support;

use std::time::{Duration, Instant};

use egui_kittest::kittest::Queryable;
use fanout::gui::Action;
use fanout::input::Options;
use fanout::service::store::Store;
use support::TestServer;
use support::gui::Setup;

/// This test's name as the harness knows it: its module path in the test
/// binary (without the binary's own name), then the function's.
fn name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    format!("{module}::the_window_says_added_once_the_queue_has_kept_them")
}

#[test]
fn the_window_says_added_once_the_queue_has_kept_them() {
    if std::env::var_os("FANOUT_TEST_SLOW_STORE_MS").is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .arg(name())
            .args(["--exact", "--nocapture"])
            .env("FANOUT_TEST_SLOW_STORE_MS", "700")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    harness.step();
    let urls: Vec<(String, Options)> = (0..2)
        .map(|i| {
            (
                server.url(&format!("/kept/{i}.bin?size=4000000&pace=50")),
                Options::default(),
            )
        })
        .collect();
    let clicked = Instant::now();
    harness.state_mut().perform(Action::Add(urls));
    harness.step();
    // Listed at once, but not said to be kept yet: the disk is slow.
    assert_eq!(harness.state().core().model.rows.len(), 2);
    assert!(harness.query_by_label_contains("2 added to the queue").is_none());
    loop {
        harness.step();
        if harness.query_by_label_contains("2 added to the queue").is_some() {
            break;
        }
        assert!(clicked.elapsed() < Duration::from_secs(20), "never said");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Said: the store on disk has them (what a restart after kill -9 reads).
    let kept = Store::open(&setup.options().queue_path())
        .unwrap()
        .load()
        .unwrap();
    assert_eq!(kept.len(), 2);
    assert!(clicked.elapsed() >= Duration::from_millis(700));
}

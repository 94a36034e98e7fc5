//! The details pane, driven through its labels with egui_kittest: a real
//! download from the loopback test server (or a seeder of the tests' own)
//! selected, and each tab showing what a user looks there for. Closing the
//! pane and its height are kept across a restart.

use crate::support;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fanout::gui::FanoutApp;
use fanout::service::model::TaskState;
use support::TestServer;
use support::gui::{Setup, add_urls, all_done, settle, step_until};

/// Selects the one row and opens the pane's `tab`.
fn open_tab(harness: &mut Harness<'_, FanoutApp>, tab: &str) {
    harness.get_by_label("Select all").click();
    settle(harness);
    harness.get_by_label(tab).click();
    settle(harness);
}

/// `HH:MM:SS`: a time of day.
fn is_clock(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn an_http_download_s_general_tab_shows_its_url_path_size_and_validator() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    settle(&mut harness);
    let url = server.url("/general.bin?size=5000&etag=v7");
    add_urls(&mut harness, &url);
    step_until(&mut harness, "the download", all_done(1));
    // Nothing selected: the pane says what to do.
    harness.get_by_label("Select a download to see its details.");
    open_tab(&mut harness, "General");
    harness.get_by_label(&url);
    let path = setup.downloads.path().join("general.bin");
    harness.get_by_label(&path.display().to_string());
    assert!(
        harness.query_all_by_label("4.9 KiB (5000 bytes)").count() >= 1,
        "the size"
    );
    harness.get_by_label("ETag \"v7\"");
    harness.get_by_label("Copy URL");
    harness.get_by_label("Copy path");
    // The log: added, started on its worker and done, each at a time of day.
    harness.get_by_label("Log").click();
    settle(&mut harness);
    harness.get_by_label("Added");
    harness.get_by_label_contains("Started on ");
    harness.get_by_label("Done: 4.9 KiB");
    // A label's text is its node's value.
    let times = harness
        .query_all_by(|n| n.value().or(n.label()).is_some_and(|l| is_clock(&l)))
        .count();
    assert!(times >= 3, "each line has its time: {times}");
}

#[test]
fn headers_show_secrets_as_stars_and_never_the_secret() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    let url = server.url("/headers.bin?size=2000");
    let line = format!(
        "{url} header=\"Cookie: session=SECRET-COOKIE\" header=\"Authorization: Bearer SECRET-TOKEN\" header=\"X-Trace: 42\""
    );
    add_urls(&mut harness, &line);
    step_until(&mut harness, "the download", all_done(1));
    assert_eq!(harness.state().core().model.rows[0].state, TaskState::Done);
    open_tab(&mut harness, "Headers");
    harness.get_by_label("cookie");
    harness.get_by_label("authorization");
    assert_eq!(
        harness.query_all_by_label("***").count(),
        2,
        "both secrets hidden"
    );
    harness.get_by_label("42");
    assert!(
        harness.query_by_label_contains("SECRET").is_none(),
        "a secret is shown"
    );
    // The server was sent them all the same.
    let sent = server.headers_for("/headers.bin");
    assert!(
        sent.iter()
            .any(|h| h.get("cookie").is_some_and(|v| v == "session=SECRET-COOKIE"))
    );
}

#[test]
fn a_segmented_download_shows_its_four_parts_while_it_runs() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    // Past the 16 MiB a file must have to be split, and slow enough to be
    // caught on its way (16 KiB each 20 ms on each connection: ~5 s).
    let url = server.url("/parts.bin?size=17825792&pace=20");
    add_urls(&mut harness, &format!("{url} segments=4"));
    step_until(&mut harness, "four parts under way", |app| {
        let core = app.core();
        let row = &core.model.rows[0];
        row.segments
            .as_ref()
            .is_some_and(|m| m.parts.len() == 4 && m.parts.iter().all(|p| p.written() > 0))
    });
    open_tab(&mut harness, "Segments");
    harness.get_by_label_contains("Parts: 4; ");
    for n in 1..=4 {
        harness.get_by_label_contains(&format!("part {n}: "));
    }
    assert!(harness.query_by_label_contains("part 5: ").is_none());
    let row = harness.state().core().model.rows[0].clone();
    assert_eq!(row.state, TaskState::Running, "caught mid-way");
    // The map moves on: a later frame shows more written.
    let before: u64 = row
        .segments
        .as_ref()
        .unwrap()
        .parts
        .iter()
        .map(|p| p.written())
        .sum();
    step_until(&mut harness, "more written", |app| {
        let core = app.core();
        let m = core.model.rows[0].segments.clone().unwrap();
        m.parts.iter().map(|p| p.written()).sum::<u64>() > before
    });
    harness.get_by_label("Cancel selected").click();
    step_until(&mut harness, "cancelled", all_done(1));
}

#[test]
fn a_torrent_s_files_and_peers_tabs_show_its_files_and_the_seeder() {
    use support::torrent::{Seeder, files};
    // Slow (about ten seconds for the set): two peers that both have it
    // all part, so the seeder is caught while it sends.
    let seeder = Seeder::start_limited(&files(), Some(50_000));
    let dir = tempfile::tempdir().unwrap();
    let torrent = dir.path().join("set.torrent");
    std::fs::write(&torrent, &seeder.torrent).unwrap();
    let setup = Setup::for_torrents();
    let mut harness = setup.harness();
    add_urls(
        &mut harness,
        &format!("{} peer={}", torrent.display(), seeder.addr),
    );
    step_until(&mut harness, "the seeder among its peers", |app| {
        let core = app.core();
        let row = &core.model.rows[0];
        row.torrent.is_some()
            && row
                .swarm
                .as_ref()
                .is_some_and(|s| s.peers.iter().any(|p| p.addr == seeder.addr))
    });
    assert_eq!(harness.state().core().model.rows[0].state, TaskState::Running);
    open_tab(&mut harness, "Files");
    for (path, _) in files() {
        harness.get_by_label(path.rsplit('/').next().unwrap());
    }
    harness.get_by_label("🗁 sub");
    harness.get_by_label_contains("3 of 3 files chosen");
    harness.get_by_label("Peers").click();
    settle(&mut harness);
    harness.get_by_label(&seeder.addr.to_string());
    harness.get_by_label_contains("Peers: 1 (seeders: ");
    // A torrent has no parts of its own: the tab says where to look.
    harness.get_by_label("Segments").click();
    settle(&mut harness);
    harness.get_by_label_contains("A torrent comes in pieces from its peers");
    harness.get_by_label("Cancel selected").click();
    step_until(&mut harness, "cancelled", all_done(1));
}

#[test]
fn the_pane_s_height_and_closing_it_survive_a_restart() {
    let server = TestServer::start();
    let setup = Setup::new();
    let height = {
        let mut harness = setup.harness();
        settle(&mut harness);
        // The first run's guide has the room to itself: no pane yet.
        assert!(harness.query_by_label("Hide details").is_none());
        add_urls(&mut harness, &server.url("/pane/a.bin?size=100"));
        step_until(&mut harness, "the download", all_done(1));
        settle(&mut harness);
        // Its edge, as a screen reader moves it: to half the window.
        let edge = harness
            .query_all_by_role_and_label(egui::Role::Splitter, "Resize panel")
            .find(|n| {
                let r = n.rect();
                r.width() > r.height() && r.center().y > 300.0
            })
            .expect("the pane's edge");
        edge.set_value_accesskit(0.5);
        settle(&mut harness);
        let h = harness.state().settings().view.details_height;
        assert!(h > 300.0, "the pane grew: {h}");
        h
    };
    assert_eq!(setup.settings().view.details_height, height, "saved");
    {
        let mut harness = setup.harness();
        settle(&mut harness);
        // Opened at the height it was left at (a frame of another height
        // would have been taken into the settings).
        assert_eq!(harness.state().settings().view.details_height, height);
        harness.get_by_label("Hide details").click();
        settle(&mut harness);
        assert!(harness.query_by_label("Hide details").is_none());
        assert!(!harness.state().settings().view.details);
    }
    std::thread::sleep(Duration::from_millis(10));
    let mut harness = setup.harness();
    settle(&mut harness);
    assert!(harness.query_by_label("Hide details").is_none(), "still closed");
    assert!(
        harness
            .query_by_label("Select a download to see its details.")
            .is_none()
    );
    assert_eq!(setup.settings().view.details_height, height);
    // The toolbar's Details shows it again, at its height.
    harness.get_by_label("Details").click();
    settle(&mut harness);
    harness.get_by_label("Select a download to see its details.");
    assert!(setup.settings().view.details);
    assert_eq!(setup.settings().view.details_height, height);
}

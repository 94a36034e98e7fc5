//! The sidebar, the Results panel's toggle and the first-run guide, driven
//! as a user would: states and categories with their counts narrow the
//! list, the search finds by name or URL, a hidden Results panel stays
//! hidden after a restart, and the empty list gives the browser's RPC
//! address with the real secret in it.

use crate::support;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fanout::gui::FanoutApp;
use fanout::service::model::TaskState;
use support::TestServer;
use support::gui::{Setup, add_urls, settle, step_until, type_into};

/// How many widgets are labelled `name` (the list's row and nothing
/// else, once the Results panel is hidden).
fn count(harness: &Harness<'_, FanoutApp>, name: &str) -> usize {
    harness.query_all_by_label(name).count()
}

#[test]
fn states_and_categories_count_and_narrow_the_list_and_search_finds_by_name_or_url() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    let urls = [
        server.url("/s/report.pdf?size=1000"),
        server.url("/s/photo.jpg?size=1000"),
        server.url("/s/song.mp3?status=404"),
        server.url("/s/disc.iso?size=50000000&pace=20"),
    ];
    add_urls(&mut harness, &urls.join("\n"));
    step_until(&mut harness, "two done, one failed, one running", |app| {
        let c = app.core().model.counts();
        c.done == 2 && c.failed == 1 && c.running == 1
    });
    // The names below are the list's alone.
    harness.get_by_label("Results panel").click();
    settle(&mut harness);
    for label in [
        "All (4)",
        "Downloading (1)",
        "Waiting (0)",
        "Paused (0)",
        "Finished (2)",
        "Failed (1)",
        "Seeding (0)",
        "Documents (1)",
        "Images (1)",
        "Music (1)",
        "Archives (1)",
        "Video (0)",
        "Torrents (0)",
    ] {
        harness.get_by_label(label);
    }
    harness.get_by_label("Finished (2)").click();
    settle(&mut harness);
    assert_eq!(count(&harness, "report.pdf"), 1);
    assert_eq!(count(&harness, "photo.jpg"), 1);
    assert_eq!(count(&harness, "disc.iso"), 0);
    assert_eq!(count(&harness, "song.mp3"), 0);
    // A category narrows the state's rows further; a second click on it
    // shows every kind again.
    harness.get_by_label("Images (1)").click();
    settle(&mut harness);
    assert_eq!(count(&harness, "report.pdf"), 0);
    assert_eq!(count(&harness, "photo.jpg"), 1);
    harness.get_by_label("Images (1)").click();
    harness.get_by_label("Failed (1)").click();
    settle(&mut harness);
    assert_eq!(count(&harness, "song.mp3"), 1);
    assert_eq!(count(&harness, "photo.jpg"), 0);
    // Counts follow the downloads: pausing the running one moves it.
    harness.get_by_label("Downloading (1)").click();
    settle(&mut harness);
    assert_eq!(count(&harness, "disc.iso"), 1);
    harness.get_by_label("Pause").click();
    step_until(&mut harness, "paused", |app| {
        app.core().model.rows[3].state == TaskState::Paused
    });
    settle(&mut harness);
    harness.get_by_label("Paused (1)");
    harness.get_by_label("Downloading (0)");
    assert_eq!(count(&harness, "disc.iso"), 0);
    harness.get_by_label("No download matches.");
    harness.get_by_label("Show all").click();
    settle(&mut harness);
    assert_eq!(count(&harness, "disc.iso"), 1);
    assert_eq!(count(&harness, "song.mp3"), 1);
    // The search: by name, any case; and by URL (the folder `/s/` is in
    // every URL, `song` in one).
    type_into(&mut harness, "Search", "REPORT");
    assert_eq!(count(&harness, "report.pdf"), 1);
    assert_eq!(count(&harness, "photo.jpg"), 0);
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);
    assert_eq!(count(&harness, "photo.jpg"), 1, "Esc did not empty the search");
    type_into(&mut harness, "Search", "/s/song");
    assert_eq!(count(&harness, "song.mp3"), 1);
    assert_eq!(count(&harness, "report.pdf"), 0);
}

#[test]
fn a_hidden_results_panel_stays_hidden_after_a_restart() {
    let setup = Setup::new();
    let mut harness = setup.harness();
    settle(&mut harness);
    harness.get_by_label("In completion order (as_completed)");
    harness.get_by_label("Results panel").click();
    settle(&mut harness);
    assert!(
        harness
            .query_by_label("In completion order (as_completed)")
            .is_none()
    );
    drop(harness);
    assert!(!setup.settings().view.results);
    let mut again = setup.harness();
    settle(&mut again);
    assert!(
        again
            .query_by_label("In completion order (as_completed)")
            .is_none()
    );
    again.get_by_label("Results panel").click();
    settle(&mut again);
    again.get_by_label("In completion order (as_completed)");
}

#[test]
fn the_empty_list_gives_the_browser_s_rpc_address_with_the_real_secret() {
    let setup = Setup::new();
    let mut harness = setup.harness_with(egui::vec2(1360.0, 800.0), |o| {
        o.serve_rpc = fanout::gui::ServeRpc::OnPort(0);
    });
    step_until(&mut harness, "the RPC server", |app| app.rpc_address().is_some());
    settle(&mut harness);
    let (secret, port) = {
        let app = harness.state();
        (app.rpc_secret().unwrap().to_string(), app.rpc_port().unwrap())
    };
    let address = format!("http://token:{secret}@localhost:{port}/jsonrpc");
    harness.get_by_label(&address);
    harness.get_by_label_contains("Install the extension Aria2 Explorer");
    harness.get_by_label_contains("100 MB");
    harness.get_by_label(&setup.downloads.path().display().to_string());
    harness.get_by_label("Copy address").click();
    harness.step();
    assert_eq!(
        support::gui::copied(&harness),
        Some(address.clone()),
        "the address was not copied"
    );
    // The address answers as the guide says: a call with that secret on
    // that port is taken.
    let body =
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"aria2.getVersion","params":["token:{secret}"]}}"#);
    let answer = reqwest::blocking::Client::new()
        .post(format!("http://localhost:{port}/jsonrpc"))
        .body(body)
        .send()
        .unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());
    // With downloads, the list replaces the guide.
    let server = TestServer::start();
    add_urls(&mut harness, &server.url("/s/one.bin?size=100"));
    settle(&mut harness);
    assert!(harness.query_by_label(&address).is_none());
}

#[test]
fn with_the_server_for_other_programs_off_the_guide_offers_to_turn_it_on() {
    let setup = Setup::new();
    setup.change_settings(|s| s.rpc.enabled = false);
    let mut harness = setup.harness();
    settle(&mut harness);
    harness.get_by_label("Downloads from other programs are off.");
    harness.get_by_label("Turn on").click();
    settle(&mut harness);
    assert!(setup.settings().rpc.enabled);
}

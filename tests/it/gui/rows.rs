//! Acting on downloads in the list, as a user would: the row's menu (by a
//! right-click), a finished row's Open buttons, a double-click, Remove and
//! Remove with file (with its confirmation), dragging waiting downloads to
//! another place in the line, and the keys for them.

use crate::support;

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use fanout::gui::{FanoutApp, Opener};
use fanout::service::model::TaskState;
use support::TestServer;
use support::gui::{Setup, add_urls, all_done, settle, step_until};

type App<'a> = Harness<'a, FanoutApp>;

/// The table's cell of the row named `name` (the Results panel, on the
/// right, may list the name too).
/// The list's row of `name`: the highest of its labels (the Results
/// panel lists it lower down, the details pane under the list).
fn row_rect(harness: &App<'_>, name: &str) -> egui::Rect {
    harness
        .get_all_by_label(name)
        .map(|n| n.rect())
        .min_by(|a, b| a.top().total_cmp(&b.top()))
        .unwrap_or_else(|| panic!("no row {name}"))
}

fn row_shown(harness: &App<'_>, name: &str) -> bool {
    harness.query_all_by_label(name).count() > 0
}

/// Right-clicks the row and picks `item` in its menu: what the frame of
/// the click put on the clipboard, if anything.
fn menu(harness: &mut App<'_>, name: &str, item: &str) -> Option<String> {
    let at = row_rect(harness, name).center();
    click_at(harness, at, egui::PointerButton::Secondary, Modifiers::NONE);
    settle(harness);
    // The menu opens at the pointer, below it: its item is the one nearest
    // there (rows have buttons of the same names, further right).
    harness
        .get_all_by_label(item)
        .filter(|n| n.rect().top() > at.y)
        .min_by(|a, b| {
            (a.rect().left() - at.x)
                .abs()
                .total_cmp(&(b.rect().left() - at.x).abs())
        })
        .unwrap_or_else(|| panic!("no {item} in the menu"))
        .click();
    harness.step();
    let copied = support::gui::copied(harness);
    settle(harness);
    copied
}

fn click_at(harness: &App<'_>, pos: egui::Pos2, button: egui::PointerButton, modifiers: Modifiers) {
    harness.hover_at(pos);
    harness.event(egui::Event::ModifiersChanged(modifiers));
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button,
            pressed,
            modifiers,
        });
    }
    harness.event(egui::Event::ModifiersChanged(Modifiers::NONE));
}

/// Drags the row `from` by the pointer, in steps, and drops it on the
/// upper part of the row `onto` (so it lands above it).
fn drag_above(harness: &mut App<'_>, from: &str, onto: &str) {
    let from = row_rect(harness, from).center();
    let to = row_rect(harness, onto);
    let to = egui::pos2(to.center().x, to.center().y - to.height() * 0.3);
    harness.drag_at(from);
    harness.step();
    for k in 1..=4 {
        harness.hover_at(from + (to - from) * (k as f32 / 4.0));
        harness.step();
    }
    harness.drop_at(to);
    settle(harness);
}

/// The engine's line of waiting downloads, the head first.
fn line(harness: &App<'_>) -> Vec<usize> {
    harness.state().core().engine.as_ref().unwrap().waiting()
}

fn state(harness: &App<'_>, i: usize) -> TaskState {
    harness.state().core().model.rows[i].state.clone()
}

/// A window whose queue is paused, with `names` queued in it.
fn queued(server: &TestServer, setup: &Setup, names: &[&str]) -> App<'static> {
    let mut harness = setup.harness();
    harness.get_by_label("Pause queue").click();
    settle(&mut harness);
    let urls: Vec<String> = names
        .iter()
        .map(|n| server.url(&format!("/rows/{n}?size=1000")))
        .collect();
    add_urls(&mut harness, &urls.join("\n"));
    step_until(&mut harness, "all queued", |app| {
        let m = &app.core().model;
        m.rows.len() == names.len() && m.rows.iter().all(|r| r.state == TaskState::Queued)
    });
    settle(&mut harness);
    harness
}

#[test]
fn the_menu_moves_pauses_resumes_and_copies_and_acts_on_the_selection() {
    let server = TestServer::start();
    let setup = Setup::new();
    let names = ["q0.zip", "q1.bin", "q2.bin", "q3.bin"];
    let mut harness = queued(&server, &setup, &names);
    assert_eq!(line(&harness), [0, 1, 2, 3]);
    menu(&mut harness, "q3.bin", "Move to top");
    assert_eq!(line(&harness), [3, 0, 1, 2]);
    menu(&mut harness, "q0.zip", "Move down");
    assert_eq!(line(&harness), [3, 1, 0, 2]);
    menu(&mut harness, "q1.bin", "Move up");
    assert_eq!(line(&harness), [1, 3, 0, 2]);
    menu(&mut harness, "q1.bin", "Move to bottom");
    assert_eq!(line(&harness), [3, 0, 2, 1]);

    menu(&mut harness, "q2.bin", "Pause");
    step_until(&mut harness, "q2 paused", |app| {
        app.core().model.rows[2].state == TaskState::Paused
    });
    menu(&mut harness, "q2.bin", "Resume");
    step_until(&mut harness, "q2 queued again", |app| {
        app.core().model.rows[2].state == TaskState::Queued
    });

    let url = server.url("/rows/q2.bin?size=1000");
    assert_eq!(menu(&mut harness, "q2.bin", "Copy URL"), Some(url));
    let path = setup.downloads.path().join("q2.bin");
    assert_eq!(
        menu(&mut harness, "q2.bin", "Copy path"),
        Some(path.display().to_string())
    );

    // Ctrl+click selects two rows; the menu of one of them acts on both.
    click_at(
        &harness,
        row_rect(&harness, "q0.zip").center(),
        egui::PointerButton::Primary,
        Modifiers::NONE,
    );
    click_at(
        &harness,
        row_rect(&harness, "q3.bin").center(),
        egui::PointerButton::Primary,
        Modifiers::COMMAND,
    );
    settle(&mut harness);
    harness.get_by_label("2 selected");
    menu(&mut harness, "q3.bin", "Pause");
    step_until(&mut harness, "both paused", |app| {
        let m = &app.core().model;
        m.rows[0].state == TaskState::Paused && m.rows[3].state == TaskState::Paused
    });
    assert_eq!(state(&harness, 1), TaskState::Queued, "not selected");
    // A right-click on a row outside the selection acts on it alone.
    menu(&mut harness, "q1.bin", "Pause");
    step_until(&mut harness, "q1 paused", |app| {
        app.core().model.rows[1].state == TaskState::Paused
    });
    assert_eq!(state(&harness, 2), TaskState::Queued);
    harness.get_by_label("1 selected");

    // Each row shows its kind, read out by its name.
    let zip = row_rect(&harness, "q0.zip");
    assert!(
        harness
            .get_all_by_label("Archives")
            .any(|n| (n.rect().center().y - zip.center().y).abs() < 4.0),
        "no Archives icon on the zip's row"
    );
}

#[test]
fn retry_in_the_menu_runs_a_failed_download_again() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    add_urls(
        &mut harness,
        &server.url("/rows/flaky.bin?size=2000&status_on=1:404"),
    );
    step_until(&mut harness, "the failure", |app| {
        matches!(app.core().model.rows[0].state, TaskState::Failed(_))
    });
    settle(&mut harness);
    menu(&mut harness, "flaky.bin", "Retry");
    step_until(&mut harness, "the retry", all_done(1));
    assert_eq!(state(&harness, 0), TaskState::Done);
    assert_eq!(
        std::fs::read(setup.downloads.path().join("flaky.bin"))
            .unwrap()
            .len(),
        2000
    );
}

#[test]
fn a_finished_row_opens_its_file_and_folder_by_button_double_click_and_enter() {
    let server = TestServer::start();
    let setup = Setup::new();
    let opener = Opener::recording();
    let mut harness = setup.harness_with(egui::vec2(1360.0, 800.0), |o| o.opener = opener.clone());
    add_urls(
        &mut harness,
        &format!(
            "{}\n{}",
            server.url("/rows/done.pdf?size=1000"),
            server.url("/rows/slow.bin?size=3000000&pace=20")
        ),
    );
    step_until(&mut harness, "the first done", |app| {
        app.core().model.rows[0].state == TaskState::Done
    });
    settle(&mut harness);
    let file = setup.downloads.path().join("done.pdf");
    // The finished row has Open buttons; the running one Pause and Cancel.
    assert_eq!(harness.get_all_by_label("Open file").count(), 1);
    assert_eq!(harness.get_all_by_label("Pause").count(), 1);
    assert_eq!(harness.get_all_by_label("Cancel").count(), 1);
    harness.get_by_label("Open file").click();
    settle(&mut harness);
    harness.get_by_label("Open folder").click();
    settle(&mut harness);
    assert_eq!(
        opener.opened(),
        [file.clone(), setup.downloads.path().to_path_buf()]
    );

    // A double-click on the row opens its file. kittest's frames are a
    // quarter second apart and its two clicks take several (five with the
    // details pane showing what the first selected): a longer
    // double-click delay, and time enough since the clicks above that
    // this is not a triple click.
    harness
        .ctx
        .options_mut(|o| o.input_options.max_double_click_delay = 3.0);
    for _ in 0..8 {
        harness.step();
    }
    let at = row_rect(&harness, "done.pdf").center();
    click_at(&harness, at, egui::PointerButton::Primary, Modifiers::NONE);
    click_at(&harness, at, egui::PointerButton::Primary, Modifiers::NONE);
    settle(&mut harness);
    assert_eq!(opener.opened().last(), Some(&file), "double-click");
    // So does Enter on the selected row, and the menu's Open.
    harness.key_press(Key::Enter);
    settle(&mut harness);
    assert_eq!(opener.opened().len(), 4, "Enter");
    menu(&mut harness, "done.pdf", "Open");
    assert_eq!(opener.opened().len(), 5, "the menu's Open");
    assert_eq!(opener.opened().last(), Some(&file));
    // Its kind, by name.
    harness.get_by_label("Documents");
    menu(&mut harness, "slow.bin", "Remove");
}

#[test]
fn remove_takes_downloads_off_the_list_and_the_counts_for_good() {
    let server = TestServer::start();
    let setup = Setup::new();
    {
        let mut harness = setup.harness();
        add_urls(
            &mut harness,
            &format!(
                "{}\n{}",
                server.url("/rows/gone.bin?size=1000"),
                server.url("/rows/kept.bin?size=1000")
            ),
        );
        step_until(&mut harness, "both done", all_done(2));
        settle(&mut harness);
        menu(&mut harness, "gone.bin", "Remove");
        {
            let core = harness.state().core();
            assert!(core.model.rows[0].removed);
            assert_eq!(core.model.counts().done, 1, "a removed row is counted");
        }
        drop(harness);
    }
    let mut harness = setup.harness();
    settle(&mut harness);
    assert!(row_shown(&harness, "kept.bin"));
    // Neither the list nor the Results panel shows it.
    assert_eq!(
        harness.query_all_by_label("gone.bin").count(),
        0,
        "the removed row came back"
    );
    harness.get_by_label("Finished (1)");
    assert!(harness.state().core().model.rows[0].removed);
    assert_eq!(harness.state().core().model.counts().done, 1);
    // Remove leaves the file where it is.
    assert!(setup.downloads.path().join("gone.bin").exists());
}

#[test]
fn remove_with_file_asks_and_deletes_only_what_the_download_wrote() {
    let server = TestServer::start();
    let setup = Setup::new();
    let dir = setup.downloads.path();
    std::fs::write(dir.join("mine.txt"), "not a download's").unwrap();
    let mut harness = setup.harness();
    add_urls(
        &mut harness,
        &format!(
            "{}\n{}",
            server.url("/rows/done.bin?size=1000"),
            server.url("/rows/half.bin?size=3000000&pace=20")
        ),
    );
    step_until(&mut harness, "one done, one running", |app| {
        let m = &app.core().model;
        m.rows.len() == 2 && m.rows[0].state == TaskState::Done && m.rows[1].bytes > 0
    });
    settle(&mut harness);
    let ask = "Remove 1 downloads and delete their files from the disk? This cannot be undone.";
    // Refused: nothing changes.
    menu(&mut harness, "done.bin", "Remove with file");
    harness.get_by_label(ask);
    harness.get_by_label("Keep them").click();
    settle(&mut harness);
    assert!(dir.join("done.bin").exists());
    assert!(!harness.state().core().model.rows[0].removed);
    // Confirmed: the file goes with the row.
    menu(&mut harness, "done.bin", "Remove with file");
    harness.get_by_label("Remove and delete files").click();
    step_until(&mut harness, "the file deleted", |_| {
        !dir.join("done.bin").exists()
    });
    assert!(harness.state().core().model.rows[0].removed);

    // A paused download's part and control file go too (Shift+Delete asks
    // the same).
    menu(&mut harness, "half.bin", "Pause");
    step_until(&mut harness, "paused", |app| {
        app.core().model.rows[1].state == TaskState::Paused
    });
    assert_eq!(support::control_files(dir).len(), 1);
    assert!(dir.join("half.bin.part").exists());
    harness.key_press_modifiers(Modifiers::SHIFT, Key::Delete);
    settle(&mut harness);
    harness.get_by_label(ask);
    harness.get_by_label("Remove and delete files").click();
    step_until(&mut harness, "the part deleted", |_| {
        !dir.join("half.bin.part").exists() && support::control_files(dir).is_empty()
    });
    assert_eq!(support::files_in(dir), ["mine.txt"]);
}

#[test]
fn dragging_waiting_downloads_and_alt_arrows_change_the_line() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = queued(&server, &setup, &["d0.bin", "d1.bin", "d2.bin"]);
    // d2 dropped on the upper half of d0: before it.
    drag_above(&mut harness, "d2.bin", "d0.bin");
    assert_eq!(line(&harness), [2, 0, 1]);

    // Alt+End moves the selected one to the bottom, Alt+Up one place up.
    click_at(
        &harness,
        row_rect(&harness, "d2.bin").center(),
        egui::PointerButton::Primary,
        Modifiers::NONE,
    );
    settle(&mut harness);
    harness.key_press_modifiers(Modifiers::ALT, Key::End);
    settle(&mut harness);
    assert_eq!(line(&harness), [0, 1, 2]);
    harness.key_press_modifiers(Modifiers::ALT, Key::ArrowUp);
    settle(&mut harness);
    assert_eq!(line(&harness), [0, 2, 1]);
    // The row's menu by keyboard: its `…` button takes the focus (Tab
    // goes there) and Enter opens it.
    harness.get_all_by_label("More").next().unwrap().focus();
    settle(&mut harness);
    harness.key_press(Key::Enter);
    settle(&mut harness);
    harness.get_by_label("Remove with file");
    harness.key_press(Key::Escape);
    settle(&mut harness);
    // The help lists the keys.
    harness.get_by_label("Keyboard").click();
    settle(&mut harness);
    harness.get_by_label("Shift+Delete");
    harness.get_by_label("Alt+Home / Alt+End");
}

#[test]
fn on_a_server_remove_and_drag_go_to_the_server_and_remove_with_file_cannot() {
    use serde_json::json;

    let files = TestServer::start();
    let serve = support::serve::Serve::start();
    let url = files.url("/rows/there.bin?size=1000");
    let gid = serve.call("aria2.addUri", json!([[url]])).unwrap();
    // Two that wait paused there, to drag in its line.
    let paused: Vec<_> = ["/rows/w0.bin?size=1000", "/rows/w1.bin?size=1000"]
        .iter()
        .map(|p| {
            let url = files.url(p);
            serve
                .call("aria2.addUri", json!([[url], {"pause": "true"}]))
                .unwrap()
        })
        .collect();
    let setup = Setup::showing_server(&serve.url(), &serve.secret);
    let mut harness = setup.harness();
    step_until(&mut harness, "the server's download done", |app| {
        let m = &app.core().model;
        m.rows.len() == 3 && m.rows.iter().any(|r| r.state == TaskState::Done)
    });
    settle(&mut harness);
    // w1 dragged onto the upper half of w0: first in the server's line.
    drag_above(&mut harness, "w1.bin", "w0.bin");
    support::wait::until("the server's line to start with w1", || {
        let waiting = serve.call("aria2.tellWaiting", json!([0, 10, ["gid"]])).unwrap();
        (waiting[0]["gid"] == paused[1] && waiting[1]["gid"] == paused[0]).then_some(())
    });
    let at = row_rect(&harness, "there.bin").center();
    click_at(&harness, at, egui::PointerButton::Secondary, Modifiers::NONE);
    settle(&mut harness);
    assert!(
        harness
            .get_by_label("Remove with file")
            .accesskit_node()
            .is_disabled(),
        "aria2's RPC cannot delete a server's files"
    );
    harness.key_press(Key::Escape);
    settle(&mut harness);
    let listed = harness.query_all_by_label("there.bin").count();
    menu(&mut harness, "there.bin", "Remove");
    support::wait::until("the server to forget it", || {
        serve
            .call("aria2.tellStatus", json!([gid, ["status"]]))
            .is_err()
            .then_some(())
    });
    step_until(&mut harness, "the row gone", |app| {
        let m = &app.core().model;
        m.rows.iter().filter(|r| r.forgotten).map(|r| &r.url).eq([&url])
    });
    settle(&mut harness);
    assert_eq!(
        harness.query_all_by_label("there.bin").count(),
        listed - 1,
        "still in the list"
    );
    assert!(
        serve.folder().join("there.bin").exists(),
        "Remove deleted the file"
    );
}

/// A finished torrent removed with its files: its folder goes (files,
/// subfolders), the download folder stays. The seeder and tracker are the
/// tests' own on loopback, the DHT off.
#[test]
fn a_torrent_removed_with_its_files_takes_its_folder_and_nothing_else() {
    use support::torrent::{Seeder, files};

    let tracker = support::tracker::Tracker::start();
    let seeder = Seeder::with_tracker(&files(), &tracker.announce_url());
    support::wait::until("the seeder to announce", || {
        (tracker.heard_from(seeder.addr.port()) > 0).then_some(())
    });
    let dir = tempfile::tempdir().unwrap();
    let torrent = dir.path().join("set.torrent");
    std::fs::write(&torrent, &seeder.torrent).unwrap();
    let setup = Setup::for_torrents();
    let mut harness = setup.harness();
    add_urls(&mut harness, &torrent.to_string_lossy());
    step_until(&mut harness, "the torrent done", all_done(1));
    settle(&mut harness);
    let (name, folder) = {
        let core = harness.state().core();
        let row = &core.model.rows[0];
        (row.name.clone(), row.path.clone().unwrap())
    };
    assert!(folder.is_dir(), "{}", folder.display());
    menu(&mut harness, &name, "Remove with file");
    harness.get_by_label("Remove and delete files").click();
    step_until(&mut harness, "the torrent's folder deleted", |_| !folder.exists());
    assert!(setup.downloads.path().is_dir());
    assert!(torrent.exists(), "the .torrent it was added from is not its file");
}

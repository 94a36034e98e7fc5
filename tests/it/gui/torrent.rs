//! Torrents in the window, driven through its labels with egui_kittest: a
//! seeder and a tracker of the tests' own on 127.0.0.1 (the DHT off), the
//! file list that opens before anything is written, and the row's swarm
//! and `seeding` state.

use crate::support;

use egui_kittest::kittest::Queryable;
use fanout::i18n::units::human_bytes;
use fanout::service::model::TaskState;
use support::gui::{Setup, add_urls, all_done, open_preferences, open_preferences_as, settle, step_until};
use support::programs::free_port;
use support::torrent::{NAME, Seeder, files, leech_from};
use support::tracker::Tracker;

/// A seeder found through a tracker on loopback, its `.torrent` written
/// to a file, and a window whose torrents find peers only there.
struct Swarm {
    _tracker: Tracker,
    seeder: Option<Seeder>,
    torrent: std::path::PathBuf,
    _dir: tempfile::TempDir,
    setup: Setup,
}

fn swarm(change: impl FnOnce(&mut fanout::settings::TorrentSettings)) -> Swarm {
    let tracker = Tracker::start();
    let seeder = Seeder::with_tracker(&files(), &tracker.announce_url());
    let dir = tempfile::tempdir().unwrap();
    let torrent = dir.path().join("set.torrent");
    std::fs::write(&torrent, &seeder.torrent).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while tracker.heard_from(seeder.addr.port()) == 0 {
        assert!(std::time::Instant::now() < deadline, "the seeder never announced");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let setup = Setup::new();
    setup.change_settings(|s| {
        s.torrent.dht = false;
        s.torrent.port = free_port();
        change(&mut s.torrent);
    });
    Swarm {
        _tracker: tracker,
        seeder: Some(seeder),
        torrent,
        _dir: dir,
        setup,
    }
}

#[test]
fn the_file_list_opens_before_anything_is_written_and_an_unticked_file_is_never_written() {
    let swarm = swarm(|t| {
        t.choose_files = true;
        // Ends when complete.
        t.seed_ratio = 0.0;
        t.seed_minutes = 0;
    });
    let mut harness = swarm.setup.harness();
    add_urls(&mut harness, &swarm.torrent.to_string_lossy());
    step_until(&mut harness, "the torrent's files", |app| {
        app.core().model.rows.first().is_some_and(|r| r.torrent.is_some())
    });
    settle(&mut harness);
    // The list: every file by its name and size, inside its folder.
    for (path, bytes) in files() {
        let name = path.rsplit('/').next().unwrap();
        harness.get_by_label(name);
        assert!(
            harness
                .query_all_by_label(&human_bytes(bytes.len() as u64))
                .count()
                >= 1,
            "{path}'s size"
        );
    }
    harness.get_by_label("🗁 sub");
    harness.get_by_label_contains("3 of 3 files chosen");
    // Nothing is written while the user chooses.
    let out = swarm.setup.downloads.path().join(NAME);
    assert!(!out.join("a.bin").exists());
    // Closed, the torrent stays paused; its ▶ shows the list again
    // rather than starting it with every file.
    harness.get_by_label("Close").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Download these").is_none());
    assert_eq!(harness.state().core().model.rows[0].state, TaskState::Paused);
    harness.get_by_label("Resume").click();
    settle(&mut harness);
    harness.get_by_label("b.txt").click();
    settle(&mut harness);
    let two: u64 = files()
        .iter()
        .filter(|(p, _)| *p != "sub/b.txt")
        .map(|(_, b)| b.len() as u64)
        .sum();
    harness.get_by_label(&format!("2 of 3 files chosen, {}", human_bytes(two)));
    harness.get_by_label("Download these").click();
    settle(&mut harness);
    step_until(&mut harness, "the torrent", all_done(1));
    let app = harness.state();
    assert_eq!(app.core().model.rows[0].state, TaskState::Done);
    for (path, bytes) in files() {
        let written = std::fs::read(out.join(path)).ok();
        if path == "sub/b.txt" {
            assert_eq!(written, None, "the unticked file was written");
        } else {
            assert!(written == Some(bytes), "{path}");
        }
    }
}

#[test]
fn a_finished_torrent_seeds_to_a_leecher_and_its_row_shows_the_swarm() {
    let mut swarm = swarm(|t| {
        t.choose_files = false;
        // No ratio limit, a minute's seeding; slow enough to be seen.
        t.seed_ratio = 0.0;
        t.seed_minutes = 1;
        t.upload_limit_kib = 100;
    });
    let port = swarm.setup.settings().torrent.port;
    let mut harness = swarm.setup.harness();
    add_urls(&mut harness, &swarm.torrent.to_string_lossy());
    step_until(&mut harness, "seeding", |app| {
        app.core()
            .model
            .rows
            .first()
            .is_some_and(|r| r.state == TaskState::Seeding)
    });
    harness.get_by_label("seeding");
    let out = swarm.setup.downloads.path().join(NAME);
    for (path, bytes) in files() {
        assert!(std::fs::read(out.join(path)).unwrap() == bytes, "{path}");
    }
    // Another peer leeches from fanout, the only one left to leech from
    // (it would learn of the first seeder from fanout otherwise): the row
    // counts what went up.
    drop(swarm.seeder.take());
    let torrent = std::fs::read(&swarm.torrent).unwrap();
    let theirs = tempfile::tempdir().unwrap();
    let into = theirs.path().to_path_buf();
    let leech =
        std::thread::spawn(move || leech_from(&torrent, (std::net::Ipv4Addr::LOCALHOST, port).into(), &into));
    step_until(&mut harness, "the leecher", |app| {
        let core = app.core();
        let swarm = core.model.rows[0].swarm.clone();
        swarm.is_some_and(|s| s.uploaded > 0)
    });
    harness.get_by_label_contains(" · seeds ");
    let total: u64 = files().iter().map(|(_, b)| b.len() as u64).sum();
    assert!(
        leech.join().unwrap().unwrap() > 0,
        "the leecher got nothing from fanout"
    );
    step_until(&mut harness, "all uploaded", |app| {
        let core = app.core();
        core.model.rows[0]
            .swarm
            .as_ref()
            .is_some_and(|s| s.uploaded >= total)
    });
    harness.step();
    harness.get_by_label_contains("· ratio 1.");
    assert_eq!(harness.state().core().model.rows[0].state, TaskState::Seeding);
    // Seeding is paused like any download; its files stay.
    harness.get_by_label("Pause").click();
    step_until(&mut harness, "paused", |app| {
        app.core().model.rows[0].state == TaskState::Paused
    });
    assert!(out.join("a.bin").exists());
}

#[test]
fn settings_torrents_are_changed_in_the_panel_and_kept() {
    let setup = Setup::new();
    let mut harness = setup.harness();
    settle(&mut harness);
    open_preferences(&mut harness, "Torrents");
    harness.get_by_label("DHT (find peers without a tracker)").click();
    harness
        .get_by_label("Choose files before a torrent starts")
        .click();
    settle(&mut harness);
    let kept = setup.settings().torrent;
    assert!(!kept.dht && !kept.choose_files, "{kept:?}");
    assert!(!harness.state().settings().engine_config().torrent.dht);
    // Chinese labels for the same fields.
    open_preferences(&mut harness, "Appearance");
    harness.get_by_label("简体中文").click();
    settle(&mut harness);
    open_preferences_as(&mut harness, "首选项", "种子");
    harness.get_by_label("种子开始前选择文件");
    harness.get_by_label("监听端口");
}

/// A file dropped on the window, as the windowing backend hands it over.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// A `.torrent` dropped on the window (its name with a space) is offered
/// in the add dialog as a download of its own, by its path.
#[test]
fn a_dropped_torrent_file_is_offered_as_a_download() {
    let swarm = swarm(|_| {});
    let dropped = swarm.torrent.with_file_name("the set.torrent");
    std::fs::copy(&swarm.torrent, &dropped).unwrap();
    let mut harness = swarm.setup.harness();
    settle(&mut harness);
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(dropped.clone())));
    step_until(&mut harness, "the add dialog", |app| {
        !app.add_dialog_text().is_empty()
    });
    assert_eq!(
        harness.state().add_dialog_text().trim(),
        dropped.to_string_lossy()
    );
}

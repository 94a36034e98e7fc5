//! The window, driven through its labels with egui_kittest: the real app from
//! the library, temp folders, and the loopback test server. No GPU needed.

use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fanout::engine::Worker;
use fanout::gui::FanoutApp;
use fanout::settings::{EngineChoice, Settings, Theme};
use support::aria2::Rpcd;
use support::gui::{
    Setup, add_urls, all_done, close_preferences, open_preferences, open_preferences_as, set_engine, settle,
    step_until, type_into,
};
use support::{TestServer, body_for, files_in};

#[test]
fn urls_added_in_the_dialog_download_and_get_completion_ranks() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    let text = format!(
        "{}\nthis is not a url\n{}\n",
        server.url("/one.bin?size=3000"),
        server.url("/pic[1-4].jpg?size=2000")
    );
    add_urls(&mut harness, &text);
    // The bad line stays in the field, marked with its reason; the rest is queued.
    harness.get_by_label_contains("line 1: not a valid URL");
    assert_eq!(
        harness.get_by_label("URLs").value().as_deref(),
        Some("this is not a url")
    );
    step_until(&mut harness, "5 downloads", all_done(5));
    harness.get_by_label("Close").click();
    settle(&mut harness);

    let app = harness.state();
    let mut ranks: Vec<usize> = app.core().model.rows.iter().map(|r| r.rank.unwrap()).collect();
    ranks.sort();
    assert_eq!(ranks, [1, 2, 3, 4, 5]);
    assert_eq!(
        files_in(setup.downloads.path()),
        ["one.bin", "pic1.jpg", "pic2.jpg", "pic3.jpg", "pic4.jpg"]
    );
    assert_eq!(
        std::fs::read(setup.downloads.path().join("pic3.jpg")).unwrap(),
        body_for("/pic3.jpg", 2000)
    );
    // What the user sees: a row per task, each done, in the Results panel too.
    assert!(harness.get_all_by_label("pic4.jpg").count() >= 1);
    assert_eq!(harness.get_all_by_label("done").count(), 5);
    assert!(harness.query_by_label_contains("5 tasks: 5 done").is_some());
}

#[test]
fn patterns_expand_to_the_right_count_and_a_huge_one_is_refused() {
    let setup = Setup::new();
    let mut harness = setup.harness();
    harness.get_by_label("Add URLs").click();
    settle(&mut harness);
    harness.get_by_label("URLs").focus();
    settle(&mut harness);
    harness
        .get_by_label("URLs")
        .type_text("http://127.0.0.1:9/a/[001-064].jpg\nhttp://127.0.0.1:9/{x,y,z}/[0-100:10]");
    settle(&mut harness);
    harness.get_by_label("97 URLs to add");
    harness
        .get_by_label("URLs")
        .type_text("\nhttp://127.0.0.1:9/[1-20000]");
    settle(&mut harness);
    harness.get_by_label_contains("line 3: expands to 20000 URLs, more than the limit of 10000");
    harness.get_by_label("1 invalid line (not added)");
}

#[test]
fn engine_and_workers_set_the_next_batchs_concurrency() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    let mut added = 0;
    for (engine, workers, expect) in [
        ("Threads", Some(3.0), 3),
        ("Async", Some(5.0), 5),
        ("Sequential", None, 1),
    ] {
        set_engine(&mut harness, engine, workers);
        server.reset_max_in_flight();
        let n = 10;
        add_urls(
            &mut harness,
            &server.url(&format!("/{engine}/[1-{n}].bin?size=1000&latency=150")),
        );
        added += n;
        step_until(&mut harness, engine, all_done(added));
        assert_eq!(server.max_in_flight(), expect, "{engine}");
        let app = harness.state();
        let by_kind = |w: Option<Worker>| match engine {
            "Threads" => matches!(w, Some(Worker::Thread(_))),
            "Async" => matches!(w, Some(Worker::Slot(_))),
            _ => w == Some(Worker::Sequential),
        };
        assert!(
            app.core().model.rows[added - n..]
                .iter()
                .all(|r| by_kind(r.worker))
        );
    }
}

/// Results panel lines, top to bottom, as (done #, task #).
fn results_column(app: &FanoutApp) -> Vec<usize> {
    app.core().model.released.iter().map(|r| r.index).collect()
}

#[test]
fn keep_submission_order_reorders_the_results_panel() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    set_engine(&mut harness, "Threads", Some(6.0));
    // Task 0 is slowest, task 5 fastest: they finish in reverse.
    let urls: Vec<String> = (0..6)
        .map(|i| server.url(&format!("/r{i}.bin?size=100&latency={}", 300 + (5 - i) * 400)))
        .collect();
    harness.get_by_label("Keep submission order").click();
    settle(&mut harness);
    add_urls(&mut harness, &urls.join("\n"));
    // While task 0 runs, the finished later ones wait, and the panel says so.
    step_until(&mut harness, "a held-back result", |app| {
        app.core().model.held_back() > 0
    });
    assert!(harness.state().core().model.released.is_empty());
    harness.get_by_label_contains("held back for an earlier task");
    step_until(&mut harness, "the batch", all_done(6));
    assert_eq!(results_column(harness.state()), [0, 1, 2, 3, 4, 5]);
    harness.get_by_label("In submission order (executor.map)");

    harness.get_by_label("Keep submission order").click();
    settle(&mut harness);
    harness.get_by_label("In completion order (as_completed)");
    assert_eq!(results_column(harness.state()), [5, 4, 3, 2, 1, 0]);
    let ranks: Vec<usize> = harness
        .state()
        .core()
        .model
        .released
        .iter()
        .map(|r| r.rank)
        .collect();
    assert_eq!(ranks, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn the_typed_download_folder_is_where_files_land() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    let target = setup.downloads.path().join("typed/新しい");
    let field = harness.get_by_label("Download folder");
    field.focus();
    settle(&mut harness);
    harness
        .get_by_label("Download folder")
        .set_text_value_accesskit(&target.to_string_lossy());
    settle(&mut harness);
    add_urls(&mut harness, &server.url("/landed.bin?size=4096"));
    step_until(&mut harness, "the download", all_done(1));
    assert_eq!(files_in(&target), ["landed.bin"]);
    assert_eq!(
        std::fs::read(target.join("landed.bin")).unwrap(),
        body_for("/landed.bin", 4096)
    );
}

#[test]
fn settings_survive_a_restart_of_the_app() {
    let setup = Setup::new();
    let folder = setup.downloads.path().join("elsewhere");
    {
        let mut harness = setup.harness();
        set_engine(&mut harness, "Threads", Some(7.0));
        harness.get_by_label("Keep submission order").click();
        settle(&mut harness);
        support::gui::type_folder(&mut harness, &folder);
        open_preferences(&mut harness, "Engine and connections");
        harness
            .get_by_label("Connect timeout (s)")
            .set_value_accesskit(12.0);
        settle(&mut harness);
    }
    let harness = setup.harness();
    let s = &harness.state().settings();
    assert_eq!(s.engine, EngineChoice::Threads);
    assert_eq!(s.threads, 7);
    assert!(s.keep_order);
    assert_eq!(s.download_dir, folder);
    assert_eq!(s.connect_timeout_secs, 12);
    assert!(*harness.state().settings() == setup.settings());
}

#[test]
fn the_theme_switches_at_once_and_is_remembered() {
    let setup = Setup::new();
    {
        let mut harness = setup.harness();
        open_preferences(&mut harness, "Appearance");
        harness.get_by_label("Dark").click();
        settle(&mut harness);
        assert_eq!(harness.ctx.theme(), egui::Theme::Dark);
        assert!(harness.ctx.global_style().visuals.dark_mode);
        harness.get_by_label("Light").click();
        settle(&mut harness);
        assert_eq!(harness.ctx.theme(), egui::Theme::Light);
        assert!(!harness.ctx.global_style().visuals.dark_mode);
    }
    // The next start opens light, whatever the desktop says.
    let harness = setup.harness();
    assert_eq!(harness.state().settings().theme, Theme::Light);
    assert_eq!(harness.ctx.theme(), egui::Theme::Light);
}

#[test]
fn a_failed_task_shows_its_reason_and_can_be_retried() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    add_urls(&mut harness, &server.url("/missing.bin?status=404"));
    step_until(&mut harness, "the failure", all_done(1));
    settle(&mut harness); // the closed dialog fades out over the table
    harness.get_by_label("failed: HTTP 404 Not Found");
    assert!(files_in(setup.downloads.path()).is_empty());
    harness.get_by_label("Retry").click(); // the row's button
    settle(&mut harness);
    step_until(&mut harness, "the retry", |app| {
        app.core().model.rows[0].rank == Some(2)
    });
    assert!(
        Path::new(setup.downloads.path())
            .read_dir()
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn nothing_starts_while_the_queue_is_paused() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    harness.get_by_label("Pause queue").click();
    settle(&mut harness);
    add_urls(&mut harness, &server.url("/held[1-3].bin?size=1000"));
    let until = Instant::now() + Duration::from_millis(500);
    while Instant::now() < until {
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.requests(), 0);
    assert_eq!(harness.state().core().model.counts().queued, 3);
    harness.get_by_label_contains("queue paused");
    harness.get_by_label("Pause queue").click();
    step_until(&mut harness, "the batch after unpausing", all_done(3));
    assert_eq!(
        files_in(setup.downloads.path()),
        ["held1.bin", "held2.bin", "held3.bin"]
    );
}

#[test]
fn the_queue_comes_back_after_a_restart() {
    let server = TestServer::start();
    let setup = Setup::new();
    {
        let mut harness = setup.harness();
        add_urls(
            &mut harness,
            &format!(
                "{}\n{}",
                server.url("/kept.bin?size=3000"),
                server.url("/gone.bin?status=404")
            ),
        );
        step_until(&mut harness, "the first batch", all_done(2));
        settle(&mut harness);
        harness.get_by_label("Pause queue").click();
        settle(&mut harness);
        // With a header and a referer of their own, which must survive the
        // restart.
        add_urls(
            &mut harness,
            &format!(
                "{} header=\"X-Later: yes\" referer=https://r.example/",
                server.url("/later[1-2].bin?size=2000")
            ),
        );
        settle(&mut harness);
        assert_eq!(harness.state().core().model.counts().queued, 2);
    } // the window closes with two tasks never started
    let mut harness = setup.harness();
    settle(&mut harness);
    let rows: Vec<_> = harness
        .state()
        .core()
        .model
        .rows
        .iter()
        .map(|r| (r.state.label(), r.rank))
        .collect();
    assert_eq!(
        rows,
        [
            ("done".to_string(), rows[0].1),
            ("failed: HTTP 404 Not Found".to_string(), rows[1].1),
            ("paused".to_string(), None),
            ("paused".to_string(), None)
        ]
    );
    let mut old_ranks = [rows[0].1.unwrap(), rows[1].1.unwrap()];
    old_ranks.sort();
    assert_eq!(old_ranks, [1, 2]);
    harness.get_by_label_contains("2 unfinished downloads are back, paused");
    assert_eq!(
        harness.state().core().model.released.len(),
        2,
        "the Results panel keeps the finished ones"
    );
    assert!(harness.get_all_by_label("kept.bin").count() >= 1);

    harness.get_by_label("Select all").click();
    settle(&mut harness);
    harness.get_by_label("Resume selected").click();
    step_until(&mut harness, "the resumed tasks", all_done(4));
    let app = harness.state();
    let mut new_ranks: Vec<usize> = app.core().model.rows[2..]
        .iter()
        .map(|r| r.rank.unwrap())
        .collect();
    new_ranks.sort();
    assert_eq!(new_ranks, [3, 4], "Done # goes on from the restored ranks");
    for path in ["/later1.bin", "/later2.bin"] {
        let heads = server.headers_for(path);
        let h = heads.last().unwrap();
        assert_eq!(h["x-later"], "yes", "{path}");
        assert_eq!(h["referer"], "https://r.example/", "{path}");
    }
    assert_eq!(
        files_in(setup.downloads.path()),
        ["kept.bin", "later1.bin", "later2.bin"]
    );
    // The failed one can still be retried after the restart.
    assert!(app.core().model.rows[1].retryable);

    // Clear list empties the window and the store, not the folder.
    settle(&mut harness);
    harness.get_by_label("Clear list").click();
    settle(&mut harness);
    assert!(harness.state().core().model.rows.is_empty());
    drop(harness);
    let harness = setup.harness();
    assert!(harness.state().core().model.rows.is_empty());
    assert_eq!(files_in(setup.downloads.path()).len(), 3);
}

#[test]
fn pasting_urls_on_the_window_opens_the_dialog_with_them() {
    let setup = Setup::new();
    let mut harness = setup.harness();
    harness.event(egui::Event::Paste("not urls at all".into()));
    settle(&mut harness);
    assert!(
        harness.query_by_label("URLs").is_none(),
        "plain text opens nothing"
    );
    harness.event(egui::Event::Paste("http://127.0.0.1:9/a/[1-5].jpg".into()));
    settle(&mut harness);
    assert_eq!(
        harness.get_by_label("URLs").value().as_deref(),
        Some("http://127.0.0.1:9/a/[1-5].jpg")
    );
    harness.get_by_label("5 URLs to add");
}

#[test]
fn a_download_cut_off_by_closing_the_window_continues_from_its_part() {
    let server = TestServer::start();
    let setup = Setup::new();
    let size = 3_000_000;
    let url = server.url(&format!("/cut.bin?size={size}&pace=10&etag=c"));
    {
        let mut harness = setup.harness();
        add_urls(&mut harness, &url);
        step_until(&mut harness, "some progress", |app| {
            app.core().model.rows[0].bytes > 300_000
        });
    } // the window closes mid-download
    let part = setup.downloads.path().join("cut.bin.part");
    let on_disk = std::fs::metadata(&part).expect("the part stays").len();
    assert!(on_disk > 0);
    let served_before = server.body_bytes_settled();

    // This time the user chose to continue unfinished downloads at start.
    setup.change_settings(|settings| {
        settings.resume_on_start = true;
    });
    let mut harness = setup.harness();
    step_until(&mut harness, "the rest of the file", all_done(1));
    let saved = setup.downloads.path().join("cut.bin");
    assert_eq!(std::fs::read(&saved).unwrap(), body_for("/cut.bin", size));
    // Only what was missing came over the wire the second time.
    let served_after = server.body_bytes() - served_before;
    assert!(
        served_after <= size as u64 - on_disk + 256 * 1024,
        "{served_after} bytes for {} missing",
        size as u64 - on_disk
    );
    assert!(server.ranges().last().is_some_and(|r| r != "bytes=0-"));
    assert_eq!(files_in(setup.downloads.path()), ["cut.bin"]);
}

#[test]
fn a_checksum_from_the_dialog_is_checked_and_connections_per_file_apply() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    // A wrong SHA-256 for one URL: the task fails with the reason, and the
    // bytes wait as NAME.corrupt, never under the file's own name.
    harness.get_by_label("Add URLs").click();
    settle(&mut harness);
    harness.get_by_label("URLs").focus();
    settle(&mut harness);
    harness
        .get_by_label("URLs")
        .type_text(&server.url("/checked.bin?size=300000"));
    settle(&mut harness);
    harness.get_by_label("SHA-256 (optional, for one URL)").focus();
    settle(&mut harness);
    harness
        .get_by_label("SHA-256 (optional, for one URL)")
        .type_text(&"ab".repeat(32));
    settle(&mut harness);
    harness.get_by_label("Add to queue").click();
    harness.step();
    harness.step();
    step_until(&mut harness, "the checked download", all_done(1));
    harness.get_by_label_contains("failed: SHA-256 mismatch");
    assert_eq!(files_in(setup.downloads.path()), ["checked.bin.corrupt"]);
    // Its `…` menu shows the checksum it was given and its own speed
    // limit, which can be set there.
    harness.get_by_label("More").click();
    settle(&mut harness);

    harness.get_by_label_contains(&format!("SHA-256 to check: {}", "ab".repeat(32)));
    // The row's own (the global setting is in Preferences, not shown).
    harness
        .get_by_label("Speed limit (KiB/s)")
        .set_value_accesskit(500.0);
    settle(&mut harness);
    assert_eq!(
        harness.state().core().model.rows[0].options.rate_limit,
        Some(500 * 1024)
    );
    harness.key_press(egui::Key::Escape);
    settle(&mut harness);

    // Three connections per file: a big file is fetched over three at once.
    open_preferences(&mut harness, "Engine and connections");
    harness
        .get_by_label("Connections per file")
        .set_value_accesskit(3.0);
    settle(&mut harness);
    close_preferences(&mut harness);
    server.reset_max_in_flight();
    let size = 17 * 1024 * 1024;
    add_urls(&mut harness, &server.url(&format!("/big.iso?size={size}&pace=1")));
    step_until(&mut harness, "the big download", all_done(2));
    // Three at once; a fourth may overlap for a moment when one connection
    // takes over the rest of another's range near the end (the server
    // counts the old one until it sees it closed). Seen once in a loaded
    // run.
    let most = server.max_in_flight();
    assert!((3..=4).contains(&most), "{most} requests at once");
    assert!(std::fs::read(setup.downloads.path().join("big.iso")).unwrap() == body_for("/big.iso", size));
    assert_eq!(harness.state().settings().segments, 3);
}

#[test]
fn the_aria2_engine_runs_the_queue_on_a_daemon_and_says_where() {
    let Some(daemon) = support::aria2::Daemon::start() else {
        return;
    };
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    harness.get_by_label("aria2").click();
    settle(&mut harness);
    // The local folder and its dialog give way to the daemon's folder;
    // where the daemon is, is in Preferences.
    assert!(harness.query_by_label("Choose…").is_none());
    open_preferences(&mut harness, "Engine and connections");
    harness.get_by_label("aria2 RPC address").focus();
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("aria2 RPC address").type_text(&daemon.url);
    settle(&mut harness);
    type_into(&mut harness, "aria2 secret", &daemon.secret);
    close_preferences(&mut harness);
    type_into(
        &mut harness,
        "Remote folder",
        &daemon.folder().display().to_string(),
    );
    add_urls(&mut harness, &server.url("/remote/r.bin?size=40000"));
    step_until(&mut harness, "the aria2 download", all_done(1));
    let port = daemon.url.split(':').nth(2).unwrap().trim_end_matches("/jsonrpc");
    harness.get_by_label(&format!("Engine: aria2 at 127.0.0.1:{port}"));
    harness.get_by_label("connected");
    let row = &harness.state().core().model.rows[0];
    assert_eq!(row.worker, Some(Worker::Aria2));
    assert!(std::fs::read(daemon.folder().join("r.bin")).unwrap() == body_for("/remote/r.bin", 40000));
}

#[test]
fn the_window_speaks_chinese_when_switched_and_remembers_it() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    settle(&mut harness);
    open_preferences(&mut harness, "Appearance");
    harness.get_by_label("简体中文").click();
    settle(&mut harness);
    // Preferences itself speaks it at once.
    harness.get_by_label("界面");
    harness.get_by_label("引擎与连接");
    close_preferences(&mut harness);
    for label in [
        "添加网址",
        "暂停队列",
        "首选项",
        "引擎",
        "结果",
        "下载文件夹",
        "时间线",
        "引擎对比",
    ] {
        harness.get_by_label(label);
    }
    assert!(harness.query_by_label("Add URLs").is_none(), "English left over");
    // The whole path of a download, in Chinese: the dialog, the table, a
    // failure's reason and the status bar.
    harness.get_by_label("添加网址").click();
    settle(&mut harness);
    harness.get_by_label("网址").focus();
    settle(&mut harness);
    let text = format!(
        "{}\n{}\nnot a url",
        server.url("/zh/ok.jpg?size=1000"),
        server.url("/zh/gone.jpg?status=404")
    );
    harness.get_by_label("网址").type_text(&text);
    settle(&mut harness);
    harness.get_by_label_contains("将添加 2 个网址");
    harness.get_by_label_contains("第 3 行：不是有效的网址");
    harness.get_by_label("加入队列").click();
    harness.step();
    harness.step();
    step_until(&mut harness, "two tasks", all_done(2));
    harness.get_by_label("关闭").click();
    settle(&mut harness);
    harness.get_by_label("完成");
    harness.get_by_label("失败：HTTP 404 Not Found");
    harness.get_by_label_contains("共 2 个任务：1 个完成，1 个失败");
    for label in ["进度", "速度", "状态", "操作", "执行者"] {
        harness.get_by_label(label);
    }
    drop(harness);

    // The choice is saved: the next start is Chinese too, until switched back.
    let mut harness = setup.harness();
    settle(&mut harness);
    harness.get_by_label("添加网址");
    open_preferences_as(&mut harness, "首选项", "界面");
    harness.get_by_label("English").click();
    settle(&mut harness);
    harness.get_by_label("Add URLs");
    assert!(harness.query_by_label("添加网址").is_none());
}

#[test]
fn the_title_counts_the_batch_and_the_timeline_shows_its_lanes() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    settle(&mut harness);
    assert_eq!(harness.state().title(), "fanout");
    set_engine(&mut harness, "Threads", Some(2.0));
    let urls: Vec<String> = (0..6)
        .map(|i| server.url(&format!("/tl/{i}.jpg?size=5000&latency={}", 100 + 50 * i)))
        .collect();
    add_urls(&mut harness, &urls.join("\n"));
    assert_eq!(harness.state().title(), "fanout — 0/6");
    step_until(&mut harness, "some of the batch", |app| {
        app.title() == "fanout — 2/6"
    });
    step_until(&mut harness, "the batch", all_done(6));
    assert_eq!(harness.state().title(), "fanout — 6/6");
    let (title, body) = harness
        .state()
        .last_notification()
        .clone()
        .expect("the batch end is noticed");
    assert_eq!(title, "fanout: downloads finished");
    assert!(body.starts_with("6 saved, 0 failed, 0 cancelled, in "), "{body}");

    let t = harness.state().core().model.batch.timeline.clone();
    assert_eq!(t.lanes().len(), 2, "two threads, two lanes: {:?}", t.lanes());
    assert_eq!(t.peak_in_flight(), 2);
    harness.get_by_label("Timeline").click();
    settle(&mut harness);
    harness.get_by_label_contains("tasks: 6, lanes: 2, time: ");
    harness.get_by_label_contains("most at once: 2");
    // Hovering the first lane shows the task of the bar under the pointer,
    // and only that one. The chart starts under the summary, its lanes right
    // of the lane names (92 px). A point between two bars shows nothing, so
    // a few points along the lane are tried.
    let summary = harness.get_by_label_contains("tasks: 6, lanes: 2").rect();
    let first_lane = t.lane_order()[0];
    let mut shown = Vec::new();
    for x in [150.0, 260.0, 370.0, 480.0] {
        harness.hover_at(egui::pos2(summary.left() + 92.0 + x, summary.bottom() + 30.0));
        for _ in 0..8 {
            harness.step();
        }
        shown = t
            .bars()
            .iter()
            .filter(|b| {
                let details = format!("#{} {}.jpg\ndone\n", b.index, b.index);
                harness.query_by_label_contains(&details).is_some()
            })
            .collect();
        if !shown.is_empty() {
            break;
        }
    }
    assert_eq!(shown.len(), 1, "one bar's details: {shown:?}");
    assert_eq!(shown[0].lane, first_lane, "{shown:?}");
    harness.get_by_label_contains(&format!("on {}", t.lanes()[first_lane]));

    // A new batch starts a new timeline and a new count.
    add_urls(&mut harness, &server.url("/tl/next.jpg?size=10"));
    step_until(&mut harness, "the second batch", all_done(7));
    assert_eq!(harness.state().title(), "fanout — 1/1");
    assert_eq!(harness.state().core().model.batch.timeline.bars().len(), 1);
}

#[test]
fn compare_engines_runs_the_list_under_each_engine_and_exports_csv() {
    let server = TestServer::start();
    let setup = Setup::new();
    let mut harness = setup.harness();
    settle(&mut harness);
    let urls: Vec<String> = (0..5)
        .map(|i| server.url(&format!("/cmp/{i}.jpg?size=20000&latency=80")))
        .collect();
    add_urls(&mut harness, &urls.join("\n"));
    step_until(&mut harness, "the list", all_done(5));
    harness.get_by_label("Compare engines").click();
    settle(&mut harness);
    harness.get_by_label("5 URLs from the list");
    harness.get_by_label("Run comparison").click();
    harness.step();
    step_until(&mut harness, "the comparison", |app| {
        !app.compare().is_running() && app.compare().runs.len() == 3
    });
    assert!(
        harness.state().compare().error.is_none(),
        "{:?}",
        harness.state().compare().error
    );
    for engine in ["Sequential", "Threads", "Async"] {
        harness.get_by_label_contains(&format!("{engine}: total use "));
    }
    assert_eq!(
        harness
            .get_all_by_label_contains("seconds, 5 saved, 0 failed")
            .count(),
        3
    );
    for chart in [
        "Total time (s)",
        "Peak in flight",
        "Throughput (MB/s)",
        "Completion order",
    ] {
        harness.get_by_label(chart);
    }
    let peaks: Vec<usize> = harness.state().compare().runs.iter().map(|r| r.peak).collect();
    assert_eq!(peaks[0], 1, "sequential");
    assert!(peaks[2] > 1, "async {peaks:?}");
    // The scratch folders are gone; the list's own files are untouched.
    let scratch = setup.config.path().join("scratch");
    assert!(files_in(&scratch).is_empty(), "{:?}", files_in(&scratch));
    assert_eq!(files_in(setup.downloads.path()).len(), 5);

    harness.get_by_label("Save as CSV").click();
    settle(&mut harness);
    let csv: Vec<_> = files_in(setup.downloads.path())
        .into_iter()
        .filter(|f| f.ends_with(".csv"))
        .collect();
    assert_eq!(csv.len(), 1, "{csv:?}");
    let text = std::fs::read_to_string(setup.downloads.path().join(&csv[0])).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("engine,workers,total_s,peak_in_flight"));
    assert!(lines[1].starts_with("sequential,1,"), "{text}");
    harness.get_by_label_contains("Saved ");

    // The PNG is the charts as drawn: cut from a screenshot of the frame.
    harness.get_by_label("Save as PNG").click();
    step_until(&mut harness, "the PNG", |app| {
        files_in(app.settings().download_dir.as_path())
            .iter()
            .any(|f| f.ends_with(".png"))
    });
    let png = files_in(setup.downloads.path())
        .into_iter()
        .find(|f| f.ends_with(".png"))
        .unwrap();
    let image = image::open(setup.downloads.path().join(&png))
        .expect("a PNG that decodes")
        .to_rgb8();
    let (w, h) = image.dimensions();
    assert!(
        w >= 600 && (250..800).contains(&h),
        "the charts' area, not the window: {w}x{h}"
    );
    let colours: std::collections::HashSet<_> = image.pixels().map(|p| p.0).collect();
    assert!(
        colours.len() >= 16,
        "a drawn chart, not a blank one: {} colours",
        colours.len()
    );
    // The three engines' bar colours are in it.
    for rgb in [[0x8e, 0x8e, 0x93], [0x3b, 0x82, 0xf6], [0x2e, 0xa0, 0x43]] {
        assert!(image.pixels().any(|p| p.0 == rgb), "no bar of colour {rgb:?}");
    }
}

#[test]
fn an_engine_that_cannot_start_leaves_a_window_that_works() {
    let server = TestServer::start();
    let setup = Setup::new();
    {
        let mut harness = setup.harness();
        add_urls(&mut harness, &server.url("/dead/a.bin?size=1000"));
        step_until(&mut harness, "the first download", all_done(1));
    }
    // A broken engine in settings.json, as a user might leave it.
    let path = setup.options().settings_path();
    let mut settings = Settings::load(&path);
    settings.engine = EngineChoice::Aria2;
    settings.aria2_url = "garbage".into();
    settings.save(&path).unwrap();

    let mut harness = setup.harness();
    settle(&mut harness);
    harness.get_by_label_contains("The download engine did not start");
    // The saved queue is shown all the same, with its result.
    assert_eq!(harness.state().core().model.rows.len(), 1);
    assert_eq!(harness.state().core().model.released.len(), 1);
    // URLs added meanwhile are not lost: they wait in the dialog.
    let url = server.url("/dead/b.bin?size=2000");
    add_urls(&mut harness, &url);
    settle(&mut harness);
    assert_eq!(
        harness.state().core().model.rows.len(),
        1,
        "nothing queued without an engine"
    );
    harness.get_by_label_contains("No engine runs");
    assert!(harness.state().add_dialog_text().contains(&url));
    harness.get_by_label("Close").click();
    settle(&mut harness);

    // Choosing a working engine starts it at once, with the queue.
    set_engine(&mut harness, "Async", None);
    assert!(
        harness
            .query_by_label_contains("The download engine did not start")
            .is_none()
    );
    add_urls(&mut harness, &url);
    step_until(&mut harness, "a download on the new engine", all_done(2));
    assert_eq!(harness.state().core().model.rows[1].rank, Some(2), "ranks go on");
    assert_eq!(files_in(setup.downloads.path()), ["a.bin", "b.bin"]);

    // A refused engine change says so, until a working one is chosen.
    set_engine(&mut harness, "aria2", None);
    harness.get_by_label_contains("Engine not changed");
    set_engine(&mut harness, "Async", None);
    assert!(harness.query_by_label_contains("Engine not changed").is_none());
}

#[test]
fn the_add_dialog_takes_the_keyboard_when_it_opens() {
    let setup = Setup::new();
    let mut harness = setup.harness();
    harness.get_by_label("Add URLs").click();
    settle(&mut harness);
    // No click into the field: typing goes there all the same.
    harness.event(egui::Event::Text("http://127.0.0.1:9/typed.bin".into()));
    settle(&mut harness);
    assert_eq!(harness.state().add_dialog_text(), "http://127.0.0.1:9/typed.bin");
}

#[test]
fn settings_show_the_rpc_secret_and_say_where_it_is_kept() {
    let setup = Setup::new();
    let mut options = setup.options();
    options.serve_rpc = fanout::gui::ServeRpc::OnPort(0);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1360.0, 800.0))
        .build_eframe(move |cc| FanoutApp::new(cc, options.clone()));
    step_until(&mut harness, "the RPC server", |app| app.rpc_port().is_some());
    settle(&mut harness);
    let secret = harness.state().rpc_secret().unwrap().to_string();
    open_preferences(&mut harness, "Browser and other programs");
    harness.get_by_label("Accept downloads from other programs");
    // In Preferences, shortened (the empty list's guide shows it whole,
    // in the address for the browser).
    harness
        .get_by_role_and_label(egui::Role::Window, "Preferences")
        .get_by_label_contains(&secret[..6]);
    // No keyring here: the window says the secret is in a file.
    harness.get_by_label("kept in a file only you can read");
    let port = harness.state().rpc_port().unwrap();
    harness.get_by_label(&format!("other programs: port {port}"));
    // Never in settings.json.
    let settings = std::fs::read_to_string(setup.options().settings_path()).unwrap_or_default();
    assert!(!settings.contains(&secret));
}

#[test]
fn the_cookies_file_of_the_add_dialog_sends_its_cookies_to_their_site() {
    let server = TestServer::start();
    let setup = Setup::new();
    let cookies = setup.config.path().join("cookies.txt");
    std::fs::write(
        &cookies,
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tfrom-browser\nother.example\tFALSE\t/\tFALSE\t0\tnot\tsent\n",
    )
    .unwrap();
    let mut harness = setup.harness();
    settle(&mut harness);
    harness.get_by_label("Add URLs").click();
    settle(&mut harness);
    type_into(&mut harness, "Cookies file (optional)", cookies.to_str().unwrap());
    type_into(&mut harness, "URLs", &server.url("/c/a.bin?size=100"));
    harness.get_by_label("Add to queue").click();
    step_until(&mut harness, "the download", all_done(1));
    let heads = server.headers_for("/c/a.bin");
    assert_eq!(heads.last().unwrap()["cookie"], "session=from-browser");
    // Kept with the task, for a restart.
    assert_eq!(
        harness.state().core().model.rows[0].options.cookies.as_deref(),
        Some(cookies.as_path())
    );
}

//! Where a file goes. When it is already in the folder: `rename` (beside
//! it, the default), `skip` (kept, no body fetched) and `update` (asked for
//! only if the server's copy changed, replaced whole and stamped with the
//! server's date), against the test server's `Last-Modified` and 304
//! (`lm=`), for each engine; the CLI's `--if-exists` with `"skipped":
//! true`. Sorting into folders by type, with names that collide. Per-site
//! rules: a folder, headers, a user agent and a most of files at once.

use crate::support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use fanout::engine::rules::SiteRules;
use fanout::engine::sort::Categories;
use fanout::engine::{BackendKind, Engine, EngineConfig, IfExists, Job, TaskResult};
use support::wait::{results, saved_path};
use support::{TestServer, body_for, files_in};

fn run(kind: BackendKind, if_exists: IfExists, dir: &Path, url: &str) -> TaskResult {
    let config = EngineConfig {
        retry_delay: Duration::from_millis(10),
        if_exists,
        ..EngineConfig::new(kind)
    };
    run_all(config, dir, &[url.to_string()]).remove(0)
}

/// Every URL through one engine; results in submission order.
fn run_all(config: EngineConfig, dir: &Path, urls: &[String]) -> Vec<TaskResult> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config, tx, Arc::new(|| {})).unwrap();
    for url in urls {
        engine.submit(Job::new(url, dir));
    }
    let mut done = results(&rx, urls.len()).0;
    done.sort_by_key(|r| r.index);
    done
}

fn fanout(args: &[&str]) -> std::process::Output {
    support::programs::fanout(args, None, &[])
}

fn skipped(r: &TaskResult) -> bool {
    r.outcome.as_ref().is_ok_and(|s| s.skipped)
}

each_backend!(skip_keeps_the_file_and_fetches_no_body, 2);
fn skip_keeps_the_file_and_fetches_no_body(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.bin"), b"mine").unwrap();
    // Named by the URL: nothing is asked at all.
    let r = run(
        kind,
        IfExists::Skip,
        dir.path(),
        &server.url("/ie/a.bin?size=50000"),
    );
    assert!(skipped(&r), "{r:?}");
    assert_eq!(saved_path(&r), dir.path().join("a.bin"));
    assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), b"mine");
    assert_eq!(server.requests(), 0);
    // Named only by the server: its answer's head is read, not its body.
    std::fs::write(dir.path().join("c.bin"), b"mine too").unwrap();
    let cd = support::enc("attachment; filename=\"c.bin\"");
    let r = run(
        kind,
        IfExists::Skip,
        dir.path(),
        &server.url(&format!("/ie/get?size=4000000&pace=20&cd={cd}")),
    );
    assert!(skipped(&r), "{r:?}");
    assert_eq!(std::fs::read(dir.path().join("c.bin")).unwrap(), b"mine too");
    assert!(
        server.body_bytes() < 4_000_000,
        "the whole body came: {}",
        server.body_bytes()
    );
    // A file that is not there is fetched as ever.
    let r = run(
        kind,
        IfExists::Skip,
        dir.path(),
        &server.url("/ie/b.bin?size=5000"),
    );
    assert!(!skipped(&r));
    assert!(std::fs::read(saved_path(&r)).unwrap() == body_for("/ie/b.bin", 5000));
    assert_eq!(files_in(dir.path()), ["a.bin", "b.bin", "c.bin"]);
}

each_backend!(update_replaces_the_file_only_with_a_whole_newer_copy, 2);
fn update_replaces_the_file_only_with_a_whole_newer_copy(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("u.bin");
    let (t1, t2) = (1_600_000_000u64, 1_700_000_000u64);
    let mtime = || std::fs::metadata(&path).unwrap().modified().unwrap();
    // Not there yet: fetched, and dated as the server dates it.
    let r = run(
        kind,
        IfExists::Update,
        dir.path(),
        &server.url(&format!("/ie/u.bin?size=3000&lm={t1}")),
    );
    assert!(!skipped(&r));
    assert!(std::fs::read(&path).unwrap() == body_for("/ie/u.bin", 3000));
    assert_eq!(mtime(), UNIX_EPOCH + Duration::from_secs(t1));
    // Unchanged on the server: 304, nothing fetched, the file untouched.
    let r = run(
        kind,
        IfExists::Update,
        dir.path(),
        &server.url(&format!("/ie/u.bin?size=3000&lm={t1}")),
    );
    assert!(skipped(&r), "{r:?}");
    assert_eq!(r.http_status, Some(304));
    let asked = server.headers_for("/ie/u.bin");
    assert!(asked[1].get("if-modified-since").is_some(), "{asked:?}");
    // Changed (newer, another size): replaced whole, under its own name.
    let r = run(
        kind,
        IfExists::Update,
        dir.path(),
        &server.url(&format!("/ie/u.bin?size=7000&lm={t2}")),
    );
    assert!(!skipped(&r));
    assert_eq!(saved_path(&r), path);
    assert!(std::fs::read(&path).unwrap() == body_for("/ie/u.bin", 7000));
    assert_eq!(mtime(), UNIX_EPOCH + Duration::from_secs(t2));
    // No `u (1).bin`, no part left behind.
    assert_eq!(files_in(dir.path()), ["u.bin"]);
}

each_backend!(an_update_cut_off_leaves_the_old_file_whole, 2);
fn an_update_cut_off_leaves_the_old_file_whole(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // (Dated now: the server's copy, from 2096, is newer.)
    std::fs::write(dir.path().join("k.bin"), b"old and whole").unwrap();
    let config = EngineConfig {
        retries: 0,
        if_exists: IfExists::Update,
        ..EngineConfig::new(kind)
    };
    let (tx, rx) = crossbeam_channel::unbounded();
    let engine = Engine::new(config, tx, Arc::new(|| {})).unwrap();
    engine.submit(Job::new(
        server.url("/ie/k.bin?size=200000&drop=100000&lm=4000000000"),
        dir.path(),
    ));
    let r = results(&rx, 1).0.remove(0);
    assert!(r.outcome.is_err(), "{r:?}");
    assert_eq!(std::fs::read(dir.path().join("k.bin")).unwrap(), b"old and whole");
}

#[test]
fn the_cli_says_skipped_in_json() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.bin"), b"mine").unwrap();
    let o = fanout(&[
        "get",
        "--json",
        "--if-exists",
        "skip",
        "-o",
        dir.path().to_str().unwrap(),
        &server.url("/ie/s.bin"),
    ]);
    assert!(o.status.success());
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["skipped"], true);
    assert_eq!(line["status"], "ok");
    assert_eq!(std::fs::read(dir.path().join("s.bin")).unwrap(), b"mine");
}

each_backend!(sorted_files_go_to_their_type_s_folder_without_replacing_any, 4);
fn sorted_files_go_to_their_type_s_folder_without_replacing_any(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("Video")).unwrap();
    std::fs::write(dir.path().join("Video/clip.mp4"), b"mine").unwrap();
    let cd = support::enc("attachment; filename=\"report.pdf\"");
    let urls = [
        "/so/clip.mp4?size=3000".to_string(),
        "/so/song.MP3?size=3001".to_string(),
        "/so/1/pic.jpg?size=3002&latency=200".to_string(),
        "/so/2/pic.jpg?size=3003&latency=200".to_string(),
        format!("/so/get?size=3004&cd={cd}"),
        "/so/picture?size=3005&ct=image/png".to_string(),
        "/so/thing.xyz?size=3006".to_string(),
    ]
    .map(|u| server.url(&u));
    let config = EngineConfig {
        sort: Some(Arc::new(Categories::default())),
        ..EngineConfig::new(kind)
    };
    let done = run_all(config, dir.path(), &urls);
    let rel = |r: &TaskResult| {
        saved_path(r)
            .strip_prefix(dir.path())
            .unwrap()
            .to_string_lossy()
            .into_owned()
    };
    // The one already there stays; the new one is named beside it.
    assert_eq!(rel(&done[0]), "Video/clip (1).mp4");
    assert_eq!(std::fs::read(dir.path().join("Video/clip.mp4")).unwrap(), b"mine");
    assert_eq!(rel(&done[1]), "Music/song.MP3");
    let mut pics = vec![rel(&done[2]), rel(&done[3])];
    pics.sort();
    assert_eq!(pics, ["Images/pic (1).jpg", "Images/pic.jpg"]);
    // Named by the server, sorted by that name; no extension: by its type.
    assert_eq!(rel(&done[4]), "Documents/report.pdf");
    assert_eq!(rel(&done[5]), "Images/picture");
    assert_eq!(rel(&done[6]), "Other/thing.xyz");
    for r in &done {
        let path = saved_path(r);
        let size = r.url.split("size=").nth(1).unwrap()[..4].parse().unwrap();
        let url_path = r.url.split("127.0.0.1:").nth(1).unwrap();
        let url_path = &url_path[url_path.find('/').unwrap()..url_path.find('?').unwrap()];
        assert!(
            std::fs::read(path).unwrap() == body_for(url_path, size),
            "{path:?}: wrong bytes"
        );
    }
    // No part (or anything else) left beside the folders.
    let mut top = files_in(dir.path());
    top.retain(|n| !dir.path().join(n).is_dir());
    assert!(top.is_empty(), "{top:?}");
}

#[test]
fn the_cli_sorts_with_sort() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let o = fanout(&[
        "get",
        "--sort",
        "-o",
        dir.path().to_str().unwrap(),
        &server.url("/so/tune.flac?size=100"),
    ]);
    assert!(o.status.success());
    assert!(dir.path().join("Music/tune.flac").is_file());
}

each_backend!(a_site_rule_sets_folder_headers_and_files_at_once, 8);
fn a_site_rule_sets_folder_headers_and_files_at_once(kind: BackendKind) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let ruled = dir.path().join("ruled");
    let rules = SiteRules::parse(&format!(
        "[[rule]]\nhosts = \"127.0.0.1\"\nmax_files = 1\nconnections = 1\nfolder = {:?}\n\
         headers = [\"X-Rule: yes\"]\nuser_agent = \"RuleAgent/1\"\n",
        ruled.to_str().unwrap()
    ))
    .unwrap();
    let config = EngineConfig {
        rules,
        ..EngineConfig::new(kind)
    };
    // Four files of the ruled host, one of another (localhost: no rule).
    let mut urls: Vec<String> = (0..4)
        .map(|i| server.url(&format!("/ru/{i}.bin?size=2000&latency=150")))
        .collect();
    urls.push(
        server
            .url("/ru/free.bin?size=2000")
            .replacen("127.0.0.1", "localhost", 1),
    );
    let done = run_all(config, dir.path(), &urls);
    for r in &done[..4] {
        assert_eq!(saved_path(r).parent(), Some(ruled.as_path()), "{r:?}");
        assert_eq!(r.rule.as_deref(), Some("127.0.0.1"));
        let name = saved_path(r).file_name().unwrap().to_string_lossy().into_owned();
        let head = &server.headers_for(&format!("/ru/{name}"))[0];
        assert_eq!(head.get("x-rule").unwrap(), "yes");
        assert_eq!(head.get("user-agent").unwrap(), "RuleAgent/1");
    }
    // The ruled host never had two files at once (the engine allows 8).
    let starts: Vec<_> = done[..4].iter().map(|r| (r.started, r.finished)).collect();
    for (i, a) in starts.iter().enumerate() {
        for b in &starts[i + 1..] {
            assert!(a.1 <= b.0 || b.1 <= a.0, "two at once: {starts:?}");
        }
    }
    assert_eq!(done[4].rule, None);
    assert_eq!(saved_path(&done[4]).parent(), Some(dir.path()));
    assert!(server.headers_for("/ru/free.bin")[0].get("x-rule").is_none());
}

#[test]
fn the_cli_reads_rules_and_names_the_rule_in_json() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[[rule]]\nhosts = \"*.0.0.1\"\nheaders = [\"X-Rule: cli\"]\n",
    )
    .unwrap();
    let o = fanout(&[
        "get",
        "--json",
        "--rules",
        rules.to_str().unwrap(),
        "-o",
        dir.path().to_str().unwrap(),
        &server.url("/ru/cli.bin"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let line: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(line["rule"], "*.0.0.1");
    assert_eq!(server.headers_for("/ru/cli.bin")[0].get("x-rule").unwrap(), "cli");
    // A rule that does not read is a usage error, with where.
    std::fs::write(&rules, "[[rule]]\nhosts = \"a\"\nmax_files = 0\n").unwrap();
    let o = fanout(&[
        "get",
        "--rules",
        rules.to_str().unwrap(),
        "-o",
        dir.path().to_str().unwrap(),
        &server.url("/ru/cli.bin"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("rule 1: max_files"));
}

//! `fanout get` as scripts use it: the built binary, spawned, against the
//! in-process test server. Output format and exit status are a contract.

use crate::support;

use std::process::{Command, Output, Stdio};

use serde_json::Value;
use std::time::{Duration, Instant};

use support::{TestServer, body_for, control_files, files_in};

fn fanout(args: &[&str], stdin: Option<&str>) -> Output {
    fanout_with(args, stdin, &[])
}

/// `fanout` with environment variables set (an empty value removes one).
fn fanout_with(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    support::programs::fanout(args, stdin, env)
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn json_lines(out: &Output) -> Vec<Value> {
    stdout_lines(out)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_results_carry_the_documented_fields_and_failures_set_exit_1(engine: &str) {
    let server = TestServer::start();
    let ok = server.url("/cli/good.jpg?size=12345");
    let missing = server.url("/cli/missing.jpg?status=404");
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    let out = fanout(
        &[
            "get", "--json", "-e", engine, "-o", out_dir, &ok, "nonsense", &missing,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{engine}: {}", stderr(&out));
    let mut lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{engine}: one line per result");
    lines.sort_by_key(|v| v["index"].as_u64());

    let good = &lines[0];
    assert_eq!(good["url"], ok.as_str());
    assert_eq!(good["status"], "ok");
    assert_eq!(good["bytes"], 12345);
    assert_eq!(good["http_status"], 200);
    let path = good["path"].as_str().unwrap();
    assert_eq!(std::fs::read(path).unwrap(), body_for("/cli/good.jpg", 12345));
    assert!(good["worker"].as_str().is_some_and(|w| !w.is_empty()));
    assert!(good["started_ms"].as_u64().unwrap() <= good["finished_ms"].as_u64().unwrap());
    assert!(good.get("error").is_none());

    let bad = &lines[1];
    assert_eq!(
        (bad["index"].as_u64(), bad["status"].as_str()),
        (Some(1), Some("failed"))
    );
    assert!(
        bad["error"].as_str().unwrap().contains("not a valid URL"),
        "{bad}"
    );
    assert!(bad.get("http_status").is_none() && bad.get("path").is_none());

    let notfound = &lines[2];
    assert_eq!(notfound["http_status"], 404);
    assert_eq!(notfound["error"], "HTTP 404 Not Found");

    let mut ranks: Vec<u64> = lines.iter().map(|v| v["rank"].as_u64().unwrap()).collect();
    ranks.sort();
    assert_eq!(ranks, [1, 2, 3]);
    assert!(
        stderr(&out).contains("1 ok, 2 failed in "),
        "{engine}: {}",
        stderr(&out)
    );
    assert_eq!(
        files_in(dir.path()),
        ["good.jpg"],
        "{engine}: no file for failures"
    );
}
each_backend!(json_results_carry_the_documented_fields_and_failures_set_exit_1;
    sequential => "sequential",
    threads => "threads",
    tokio => "async",
);

fn ordered_prints_in_submission_order_and_default_prints_as_completed(engine: &str) {
    let server = TestServer::start();
    let urls: Vec<String> = [800, 500, 200, 0]
        .iter()
        .enumerate()
        .map(|(i, ms)| server.url(&format!("/cli/{i}.jpg?size=1000&latency={ms}")))
        .collect();
    let args_for = |engine: &str, ordered: bool, dir: &str| {
        let mut a = vec![
            "get".to_string(),
            "--json".into(),
            "-e".into(),
            engine.into(),
            "-o".into(),
            dir.into(),
        ];
        if ordered {
            a.push("--ordered".into());
        }
        a.extend(urls.iter().cloned());
        a
    };
    for ordered in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let args = args_for(engine, ordered, dir.path().to_str().unwrap());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = fanout(&args, None);
        assert_eq!(out.status.code(), Some(0), "{engine}: {}", stderr(&out));
        let indices: Vec<u64> = json_lines(&out)
            .iter()
            .map(|v| v["index"].as_u64().unwrap())
            .collect();
        let expected = if ordered || engine == "sequential" {
            [0, 1, 2, 3]
        } else {
            [3, 2, 1, 0]
        };
        assert_eq!(indices, expected, "{engine}, ordered={ordered}");
    }
}
each_backend!(ordered_prints_in_submission_order_and_default_prints_as_completed;
    sequential => "sequential",
    threads => "threads",
    tokio => "async",
);

#[test]
fn urls_come_from_files_and_stdin_skipping_blanks_and_comments() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("urls.txt");
    std::fs::write(
        &list,
        format!(
            "# album\n{}\n\n  {}  \n",
            server.url("/in/1.jpg"),
            server.url("/in/2.jpg")
        ),
    )
    .unwrap();
    let out_dir = dir.path().join("out");
    let piped = format!("{}\n# not this\n", server.url("/in/3.jpg"));
    let out = fanout(
        &[
            "get",
            "-i",
            list.to_str().unwrap(),
            "-i",
            "-",
            "-o",
            out_dir.to_str().unwrap(),
        ],
        Some(&piped),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(files_in(&out_dir), ["1.jpg", "2.jpg", "3.jpg"]);
    // The human format: one line per file, each saying ok and where it went.
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("ok ") && l.contains(out_dir.to_str().unwrap())),
        "{lines:?}"
    );
    assert!(stderr(&out).contains("3 ok, 0 failed in "));
}

#[test]
fn a_sequential_run_with_a_worker_count_runs_and_says_it_is_not_used() {
    // A script that loops over the engines with one -j, as the note does.
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/seq/one.bin?size=5000");
    let out = fanout(
        &[
            "get",
            "-e",
            "sequential",
            "-j",
            "16",
            "-o",
            dir.path().to_str().unwrap(),
            &url,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("-j 16 is not used: the sequential engine runs one download at a time"),
        "{}",
        stderr(&out)
    );
    assert_eq!(files_in(dir.path()), ["one.bin"]);
}

#[test]
fn a_list_saved_with_a_byte_order_mark_keeps_its_first_url() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let text = format!(
        "\u{feff}{}\r\n{}\r\n",
        server.url("/bom/first.bin?size=10"),
        server.url("/bom/second.bin?size=10")
    );
    std::fs::write(&list, text).unwrap();
    let out_dir = dir.path().join("out");
    let out = fanout(
        &[
            "get",
            "-i",
            list.to_str().unwrap(),
            "-o",
            out_dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(files_in(&out_dir), ["first.bin", "second.bin"]);
}

#[test]
fn an_untrusted_certificate_fails_at_once_and_stderr_holds_only_fanout_s_words() {
    let tls = support::tls::TlsServer::start("http://127.0.0.1:9/never");
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = fanout_with(
        &["get", "-o", dir.path().to_str().unwrap(), &tls.url("/x.bin")],
        None,
        // Whatever the machine trusts, not this certificate; no log asked for.
        &[("SSL_CERT_FILE", ""), ("SSL_CERT_DIR", ""), ("RUST_LOG", "")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let failed = String::from_utf8_lossy(&out.stdout);
    assert!(failed.contains("certificate is not trusted"), "{failed}");
    assert_eq!(
        tls.connections.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // stderr is a pipe here: no colour codes, no library's log lines.
    assert!(!err.contains('\x1b'), "{err:?}");
    assert!(!err.contains("ERROR") && !err.contains("WARN"), "{err}");
}

#[test]
fn an_https_url_redirected_to_http_is_followed_and_said() {
    let server = TestServer::start();
    let target = server.url("/plain/after.bin?size=2000");
    let tls = support::tls::TlsServer::start(&target);
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &tls.cert_pem).unwrap();
    let out_dir = dir.path().join("out");
    let out = fanout_with(
        &["get", "-o", out_dir.to_str().unwrap(), &tls.url("/start.bin")],
        None,
        &[("SSL_CERT_FILE", ca.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("redirected from HTTPS to HTTP: {target}")),
        "{}",
        stderr(&out)
    );
    // Named from the URL given, as curl -O and wget name it; the bytes are
    // the target's.
    assert_eq!(files_in(&out_dir), ["start.bin"]);
    assert_eq!(
        std::fs::read(out_dir.join("start.bin")).unwrap(),
        body_for("/plain/after.bin", 2000)
    );
}

#[test]
fn usage_errors_exit_2_with_a_reason() {
    let cases: [(&[&str], &str); 9] = [
        (&["get"], "no URLs given"),
        (&["get", "-s", "33", "http://127.0.0.1/x"], "1 to 32"),
        (
            &["get", "--limit-rate", "fast", "http://127.0.0.1/x"],
            "not a rate",
        ),
        (
            &["get", "--sha256", "12ab", "http://127.0.0.1/x"],
            "64 hex digits",
        ),
        (
            &[
                "get",
                "--sha256",
                &"ab".repeat(32),
                "http://127.0.0.1/x",
                "http://127.0.0.1/y",
            ],
            "checks one file, and 2 URLs",
        ),
        (
            &["get", "-e", "threads", "-j", "0", "http://127.0.0.1/x"],
            "at least 1 thread",
        ),
        (&["get", "-e", "warp", "http://127.0.0.1/x"], "warp"),
        (
            &["get", "-i", "/nonexistent/list.txt"],
            "cannot read /nonexistent/list.txt",
        ),
        (
            &[
                "get",
                "-o",
                concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml/out"),
                "http://127.0.0.1/x",
            ],
            "cannot use output folder",
        ),
    ];
    for (args, reason) in cases {
        let out = fanout(args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(reason), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
    // A bad option in a list names its line, before anything is fetched.
    let out = fanout(
        &["get", "-i", "-"],
        Some("http://127.0.0.1/a\nhttp://127.0.0.1/b segments=64\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("standard input line 2: segments=64"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn failures_in_text_mode_name_the_url_and_the_reason() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let gone = server.url("/gone.bin?status=500");
    let out = fanout(
        &["get", "--retries", "0", "-o", dir.path().to_str().unwrap(), &gone],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout_lines(&out),
        [format!("failed #0    {gone}  HTTP 500 Internal Server Error")]
    );
    assert!(stderr(&out).contains("0 ok, 1 failed in "));
}

#[test]
fn without_o_files_land_in_the_current_folder() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(["get", "--json", &server.url("/here/x.bin?size=10")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(files_in(dir.path()), ["x.bin"]);
    let line = &json_lines(&out)[0];
    let saved = dir.path().join(line["path"].as_str().unwrap());
    assert_eq!(std::fs::read(saved).unwrap(), body_for("/here/x.bin", 10));
}

fn a_killed_run_is_continued_by_the_next_run_with_only_the_missing_bytes(engine: &str) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let size = 3_000_000usize;
    let path = format!("/big-{engine}.bin");
    let url = server.url(&format!("{path}?size={size}&pace=10&etag=k"));
    let part = dir.path().join(format!("big-{engine}.bin.part"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(["get", "-e", engine, "-o", out, &url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Let it get some way, and leave its control file, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(&part).map_or(0, |m| m.len()) < 300_000 || control_files(dir.path()).is_empty() {
        assert!(Instant::now() < deadline, "{engine}: no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let on_disk = std::fs::metadata(&part).unwrap().len();
    let served_before = server.body_bytes_settled();

    let again = fanout(&["get", "--json", "-e", engine, "-o", out, &url], None);
    assert_eq!(again.status.code(), Some(0), "{engine}: {}", stderr(&again));
    let saved = dir.path().join(format!("big-{engine}.bin"));
    assert_eq!(std::fs::read(&saved).unwrap(), body_for(&path, size), "{engine}");
    assert_eq!(
        server.ranges().last(),
        Some(&format!("bytes={on_disk}-")),
        "{engine}"
    );
    assert_eq!(
        server.body_bytes() - served_before,
        (size as u64) - on_disk,
        "{engine}"
    );
    assert_eq!(files_in(dir.path()), [format!("big-{engine}.bin")], "{engine}");
}
each_backend!(a_killed_run_is_continued_by_the_next_run_with_only_the_missing_bytes;
    sequential => "sequential",
    threads => "threads",
    tokio => "async",
);

/// Bytes a segmented part's control file says are still missing.
fn missing_in_control(dir: &std::path::Path) -> Option<u64> {
    let name = control_files(dir).into_iter().next()?;
    let control: Value = serde_json::from_slice(&std::fs::read(dir.join(name)).ok()?).ok()?;
    let ranges = control["segments"].as_array()?;
    Some(
        ranges
            .iter()
            .map(|r| r[1].as_u64().unwrap() - r[0].as_u64().unwrap())
            .sum(),
    )
}

fn a_killed_segmented_run_continues_every_range_in_the_next_run(engine: &str) {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let size = 4_000_000u64;
    let path = format!("/seg-{engine}.bin");
    let url = server.url(&format!("{path}?size={size}&pace=50&etag=k"));
    let args = [
        "get",
        "-e",
        engine,
        "-s",
        "4",
        "--min-split-size",
        "1M",
        "-o",
        out,
        &url,
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the segment map on disk records some progress, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(20);
    while missing_in_control(dir.path()).is_none_or(|m| m > size - 800_000) {
        assert!(Instant::now() < deadline, "{engine}: no progress on disk");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let missing = missing_in_control(dir.path()).unwrap();
    let (served_before, asked_before) = (server.body_bytes(), server.ranges().len());

    let again = fanout(&args, None);
    assert_eq!(again.status.code(), Some(0), "{engine}: {}", stderr(&again));
    let saved = dir.path().join(format!("seg-{engine}.bin"));
    assert!(
        std::fs::read(&saved).unwrap() == body_for(&path, size as usize),
        "{engine}: wrong bytes"
    );
    // The second run asked only for closed ranges (no request from 0),
    // and fetched what the map said was missing, give or take what a
    // connection had in flight when its range was split.
    let asked: Vec<String> = server.ranges()[asked_before..].to_vec();
    assert!(
        !asked.is_empty() && asked.iter().all(|r| !r.ends_with('-')),
        "{engine}: {asked:?}"
    );
    let fetched = server.body_bytes() - served_before;
    assert!(
        fetched <= missing + size / 10,
        "{engine}: fetched {fetched}, missing {missing}"
    );
    assert!(
        fetched < size - 500_000,
        "{engine}: fetched {fetched} of {size} again"
    );
    assert_eq!(files_in(dir.path()), [format!("seg-{engine}.bin")], "{engine}");
}
each_backend!(a_killed_segmented_run_continues_every_range_in_the_next_run;
    threads => "threads",
    tokio => "async",
);

/// The value of `name` in the last request for `path`, if it had one.
fn sent(server: &TestServer, path: &str, name: &str) -> Option<String> {
    server
        .headers_for(path)
        .last()
        .unwrap_or_else(|| panic!("no request for {path}"))
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

#[test]
fn headers_referer_and_user_agent_reach_the_server_and_a_bad_header_is_refused() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("list.txt");
    // A line's own header replaces the flag's of the same name.
    let line = format!(
        "{} header=\"X-Token: line\" out=\"renamed file.bin\"\n",
        server.url("/h/b.bin?size=20")
    );
    std::fs::write(&input, line).unwrap();
    let out = fanout(
        &[
            "get",
            "-H",
            "X-Token: flag",
            "-H",
            "Accept-Language: en",
            "--referer",
            "https://example.org/",
            "--user-agent",
            "Script/2",
            "-o",
            dir.path().to_str().unwrap(),
            "-i",
            input.to_str().unwrap(),
            &server.url("/h/a.bin?size=10"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sent(&server, "/h/a.bin", "x-token").as_deref(), Some("flag"));
    assert_eq!(
        sent(&server, "/h/a.bin", "accept-language").as_deref(),
        Some("en")
    );
    assert_eq!(
        sent(&server, "/h/a.bin", "referer").as_deref(),
        Some("https://example.org/")
    );
    assert_eq!(
        sent(&server, "/h/a.bin", "user-agent").as_deref(),
        Some("Script/2")
    );
    assert_eq!(sent(&server, "/h/b.bin", "x-token").as_deref(), Some("line"));
    assert!(std::fs::read(dir.path().join("renamed file.bin")).unwrap() == body_for("/h/b.bin", 20));
    // A header that would break the request is refused before any request.
    let before = server.requests();
    for bad in ["NoColon", "Bad Name: 1", "Range: bytes=0-"] {
        let out = fanout(&["get", "-H", bad, &server.url("/h/c.bin")], None);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(!stderr(&out).is_empty());
    }
    assert_eq!(server.requests(), before);
}

#[test]
fn cookies_from_a_browser_file_go_only_where_they_match() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let port = server.url("").rsplit(':').next().unwrap().to_string();
    let cookies = dir.path().join("cookies.txt");
    std::fs::write(
        &cookies,
        "# Netscape HTTP Cookie File\n\
         127.0.0.1\tFALSE\t/\tFALSE\t0\tip\t1\n\
         localhost\tFALSE\t/\tFALSE\t0\tname\t2\n\
         127.0.0.1\tFALSE\t/private\tFALSE\t0\tprivate\t3\n\
         127.0.0.1\tFALSE\t/\tTRUE\t0\tsecure\t4\n\
         127.0.0.1\tFALSE\t/\tFALSE\t1000\texpired\t5\n\
         #HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\thttponly\t6\n",
    )
    .unwrap();
    let moved = format!("http://localhost:{port}/moved/c.bin?size=30");
    let out = fanout(
        &[
            "get",
            "--load-cookies",
            cookies.to_str().unwrap(),
            "-o",
            dir.path().to_str().unwrap(),
            &server.url("/public/a.bin?size=10"),
            &server.url("/private/b.bin?size=10"),
            &server.url(&format!("/go?redirect={}", support::enc(&moved))),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Domain and path match; a secure cookie stays off plain HTTP; an
    // expired one is dropped; #HttpOnly_ lines are cookies.
    assert_eq!(
        sent(&server, "/public/a.bin", "cookie").as_deref(),
        Some("ip=1; httponly=6")
    );
    assert_eq!(
        sent(&server, "/private/b.bin", "cookie").as_deref(),
        Some("private=3; ip=1; httponly=6")
    );
    // A redirect to another host gets that host's cookies only.
    assert_eq!(
        sent(&server, "/go", "cookie").as_deref(),
        Some("ip=1; httponly=6")
    );
    assert_eq!(sent(&server, "/moved/c.bin", "cookie").as_deref(), Some("name=2"));
    // A damaged file is refused before any request, with its line.
    std::fs::write(&cookies, "127.0.0.1\tFALSE\t/\n").unwrap();
    let before = server.requests();
    let out = fanout(
        &[
            "get",
            "--load-cookies",
            cookies.to_str().unwrap(),
            &server.url("/x"),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("line 1"));
    assert_eq!(server.requests(), before);
}

//! `fanout get`: the headless front end over the same engine as the window.
//!
//! The output is a contract for scripts: one line per result on stdout, in
//! release order (completion order, or submission order with `--ordered`),
//! optionally as JSON; a one-line summary on stderr; exit status 0 when every
//! download succeeded, 1 when any failed, 2 for a usage error.
//!
//! This file holds the command line (`fanout [URL…]` and `fanout get`) and
//! what it asks for; `download` runs the engine and prints the results.

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::engine::{
    Aria2Remote, BackendKind, EngineConfig, Header, Headers, IfExists, parse_rate, parse_sha256,
};
use crate::input::{self, Options};

mod download;
pub mod manual;
mod metalink;
mod net;
pub mod serve;
mod torrent;
use download::download;
pub use download::{json_line, text_line};
pub use net::NetArgs;
pub use serve::{ServeArgs, run_serve};
pub use torrent::{Select, TorrentArgs};

/// Exit status when every download succeeded.
pub const EXIT_OK: u8 = 0;
/// Exit status when at least one download failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit status for a usage error (bad flags, nothing to download).
pub const EXIT_USAGE: u8 = 2;

/// What `fanout --version` says: the version and the commit it was built
/// from (`build.rs`), so a bug report names the code it is about.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("FANOUT_COMMIT"), ")");

#[derive(Debug, Parser)]
#[command(
    name = "fanout",
    version = VERSION,
    about = "A download manager that fans out over one thread, a thread pool or an async runtime",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub open: OpenArgs,
}

/// `fanout [URL…]`: the window, with URLs to queue.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// URLs to queue in the window: the one already running, else a new
    /// one. A path or a file:// URL is read as a list of URLs.
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,
    /// Save these URLs into DIR instead of the window's download folder.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Write a .desktop file (and the icon) into the user's data folder, so
    /// fanout is in the application menu and "Open with" passes URLs to it;
    /// then exit.
    #[arg(long)]
    pub install_desktop_entry: bool,
    /// Start without showing the window (in the tray; as `Start at login`
    /// does); a running window queues the URLs without coming forward.
    #[arg(long)]
    pub hidden: bool,
}

impl OpenArgs {
    /// What to hand the window: URL lines (lists read from files), the
    /// folder made absolute, and Wayland's activation token.
    pub fn handoff(&self) -> Result<crate::platform::instance::Handoff, UsageError> {
        let mut lines = Vec::new();
        for arg in &self.urls {
            let file = match url::Url::parse(arg) {
                Ok(u) if u.scheme() == "file" => Some(
                    u.to_file_path()
                        .map_err(|_| UsageError(format!("{arg}: not a file on this machine")))?,
                ),
                Ok(_) => None,
                Err(_) => Some(PathBuf::from(arg)).filter(|p| p.is_file()),
            };
            match file {
                // A `.torrent` (or a metalink) is a download, not a list: its
                // absolute path is the line, for a window or service
                // started elsewhere.
                Some(path)
                    if crate::engine::is_torrent_source(&path.to_string_lossy())
                        || crate::engine::metalink::is_metalink_name(&path.to_string_lossy()) =>
                {
                    let path = std::path::absolute(&path)
                        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
                    lines.push(path.to_string_lossy().into_owned());
                }
                Some(path) => {
                    let text = input::read_list(&path).ok_or_else(|| {
                        UsageError(format!("{}: not a readable list of URLs", path.display()))
                    })?;
                    lines.extend(text.lines().map(str::to_string).filter(|l| !l.trim().is_empty()));
                }
                // A bad URL is still handed over: it fails in the window,
                // with its reason, and the rest go on.
                None => lines.push(arg.clone()),
            }
        }
        let dir = match &self.output {
            Some(d) => {
                Some(std::path::absolute(d).map_err(|e| UsageError(format!("-o {}: {e}", d.display())))?)
            }
            None => None,
        };
        Ok(crate::platform::instance::Handoff {
            lines,
            dir,
            activation_token: std::env::var("XDG_ACTIVATION_TOKEN").ok(),
            hidden: self.hidden,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download URLs without opening a window.
    Get(Box<GetArgs>),
    /// Run the downloads service with no window: the queue, the engine and
    /// the RPC (for a home server; stop with SIGTERM or Ctrl+C).
    Serve(serve::ServeArgs),
    /// Print the shell completion script for SHELL on standard output.
    Completions(manual::CompletionsArgs),
    /// Print fanout's manual page (roff) on standard output:
    /// `fanout man > fanout.1`.
    Man,
    /// Print the desktop entry for a system-wide install (Exec=fanout, the
    /// icon theme's fanout), as the Debian package installs it.
    DesktopEntry,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// One thread, one download after another.
    Sequential,
    /// A pool of OS threads (default 20), each blocked on one download.
    Threads,
    /// Tokio tasks with async HTTP (default 64 in flight; -j 0 = unbounded).
    Async,
    /// An aria2 daemon over JSON-RPC (--aria2-url; default 5 handed over at once).
    Aria2,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    fanout get https://example.com/a.jpg https://example.com/b.jpg\n  \
    fanout get -i urls.txt -o album -e threads -j 20 --ordered\n  \
    seq 1 64 | sed 's|^|https://host/13052/|; s|$|.jpg|' | fanout get -i - --json\n  \
    fanout get 'magnet:?xt=urn:btih:...' --select 1,3-4 --seed-ratio 1.0")]
pub struct GetArgs {
    /// URLs to download: http(s) URLs, magnet: links, .torrent files (a
    /// path, or a URL that serves one) and metalinks (.meta4 or .metalink:
    /// a path or an http(s) URL; each file in it is a download).
    pub urls: Vec<String>,
    /// Read URLs from FILE, one per line (blank lines and # comments are
    /// skipped); `-` reads standard input. May be given more than once.
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub inputs: Vec<PathBuf>,
    /// Folder to save into (created if missing).
    #[arg(short = 'o', long = "output", value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
    /// How to fan out.
    #[arg(short = 'e', long = "engine", value_enum, default_value_t = EngineArg::Async)]
    pub engine: EngineArg,
    /// Most downloads at once (threads: pool size; async: tasks in flight, 0 = unbounded).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Print results in the order the URLs were given, not as they finish.
    #[arg(long)]
    pub ordered: bool,
    /// Print each result as one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Tries after the first for a lost connection, a stall, a short body or
    /// a 5xx; each continues from the bytes already saved where it can.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub retries: usize,
    /// Seconds without a byte before an attempt counts as stalled.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub stall_timeout: u64,
    /// Connections for one big file (1 to 32) when the server takes ranges;
    /// each counts against -j.
    #[arg(short = 's', long = "segments", value_name = "K", default_value_t = EngineConfig::DEFAULT_SEGMENTS,
          value_parser = parse_segments)]
    pub segments: usize,
    /// Files smaller than this are never split (bytes; K and M suffixes).
    #[arg(long, value_name = "SIZE", default_value = "16M", value_parser = parse_size)]
    pub min_split_size: u64,
    /// Speed limit over all downloads, in bytes per second: 500K, 5M.
    #[arg(long, value_name = "RATE", value_parser = parse_limit)]
    pub limit_rate: Option<u64>,
    /// The SHA-256 the one URL given must have; a mismatch fails it and
    /// keeps the bytes as NAME.corrupt. In a -i list write `URL sha256=HEX`.
    #[arg(long, value_name = "HEX", value_parser = parse_sha256)]
    pub sha256: Option<[u8; 32]>,
    /// The aria2 daemon's JSON-RPC address, for -e aria2. -o is then a
    /// folder on that machine (without -o, the daemon's own --dir).
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:6800/jsonrpc")]
    pub aria2_url: String,
    /// A file holding the daemon's secret token (else $FANOUT_ARIA2_SECRET).
    #[arg(long, value_name = "FILE")]
    pub aria2_secret_file: Option<PathBuf>,
    /// A header every request sends, as curl's -H: 'Cookie: a=1'. May be
    /// given more than once; a line's own header= replaces one of the same
    /// name.
    #[arg(short = 'H', long = "header", value_name = "'NAME: VALUE'", value_parser = parse_header)]
    pub headers: Vec<Header>,
    /// The Referer every request sends.
    #[arg(long, value_name = "URL")]
    pub referer: Option<String>,
    /// The User-Agent every request sends, instead of fanout's.
    #[arg(long, value_name = "TEXT")]
    pub user_agent: Option<String>,
    /// Cookies exported from a browser (the Netscape cookies.txt of curl,
    /// wget, aria2 and yt-dlp): each request, redirects included, gets
    /// those that match its domain, path and scheme.
    #[arg(long, value_name = "FILE")]
    pub load_cookies: Option<PathBuf>,
    /// When the file is already in the folder: save beside it as NAME (1)
    /// (rename), keep it and fetch nothing (skip), or fetch it only if the
    /// server's copy changed and replace it whole (update).
    #[arg(long, value_enum, value_name = "WHAT", default_value_t = IfExistsArg::Rename)]
    pub if_exists: IfExistsArg,
    /// Put each file in a subfolder of -o by its type: Video, Music,
    /// Images, Archives, Documents, Programs, else Other (by extension,
    /// then Content-Type).
    #[arg(long)]
    pub sort: bool,
    /// A stream's variant, when the playlist is an HLS master: its number
    /// as listed (1 is the first), a height (720p) or a bandwidth. The
    /// highest bandwidth when not given.
    #[arg(long, value_name = "WHICH")]
    pub variant: Option<String>,
    /// Stop recording a live stream after this much media, in seconds (or
    /// with m or h: 90s, 30m, 2h). Without it, a live stream is recorded
    /// until stopped (Ctrl+C here, Pause in the window), and what it
    /// recorded is kept.
    #[arg(long, value_name = "TIME", value_parser = crate::engine::parse_duration)]
    pub duration: Option<std::time::Duration>,
    #[command(flatten)]
    pub net: NetArgs,
    #[command(flatten)]
    pub torrent: TorrentArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IfExistsArg {
    Rename,
    Skip,
    Update,
}

impl From<IfExistsArg> for IfExists {
    fn from(a: IfExistsArg) -> IfExists {
        match a {
            IfExistsArg::Rename => IfExists::Rename,
            IfExistsArg::Skip => IfExists::Skip,
            IfExistsArg::Update => IfExists::Update,
        }
    }
}

fn parse_header(text: &str) -> Result<Header, String> {
    Header::parse(text).map_err(|e| e.to_string())
}

impl GetArgs {
    /// The headers the flags give every download, before a line's own.
    pub fn headers(&self) -> Result<Headers, UsageError> {
        let mut headers: Headers = self.headers.iter().cloned().collect();
        for (name, value) in [("referer", &self.referer), ("user-agent", &self.user_agent)] {
            if let Some(v) = value {
                headers.push(Header::new(name, v).map_err(|e| UsageError(format!("--{name}: {e}")))?);
            }
        }
        Ok(headers)
    }
}

fn parse_segments(text: &str) -> Result<usize, String> {
    text.parse()
        .ok()
        .filter(|k| (1..=EngineConfig::MAX_SEGMENTS).contains(k))
        .ok_or_else(|| format!("use 1 to {} connections", EngineConfig::MAX_SEGMENTS))
}

fn parse_limit(text: &str) -> Result<u64, String> {
    parse_rate(text)?.ok_or_else(|| "a limit of 0 is no limit: leave the flag out".to_string())
}

fn parse_size(text: &str) -> Result<u64, String> {
    Ok(parse_rate(text)?.unwrap_or(0))
}

/// A problem with the command line itself.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

impl GetArgs {
    /// The backend these flags ask for.
    pub fn backend(&self) -> Result<BackendKind, UsageError> {
        Ok(match (self.engine, self.jobs) {
            // A script that loops over engines with one -j (comparing
            // them on the same list) must run: `prepare` says the -j is not used.
            (EngineArg::Sequential, _) => BackendKind::Sequential,
            (EngineArg::Threads, Some(0)) => {
                return Err(UsageError("-j 0: the thread pool needs at least 1 thread".into()));
            }
            (EngineArg::Threads, n) => BackendKind::Threads {
                workers: n.unwrap_or(BackendKind::DEFAULT_THREADS),
            },
            (EngineArg::Async, n) => BackendKind::Async {
                limit: n.unwrap_or(BackendKind::DEFAULT_ASYNC_LIMIT),
            },
            (EngineArg::Aria2, Some(0)) => {
                return Err(UsageError(
                    "-j 0: aria2 needs at least 1 download at a time".into(),
                ));
            }
            (EngineArg::Aria2, n) => BackendKind::Aria2 {
                limit: n.unwrap_or(BackendKind::DEFAULT_ARIA2_LIMIT),
            },
        })
    }

    /// All URLs with their options, arguments first, then each input file
    /// in order.
    pub fn collect_urls(&self) -> Result<Vec<(String, Options)>, UsageError> {
        let mut urls: Vec<(String, Options)> = self
            .urls
            .iter()
            .map(|u| (u.clone(), Options::default()))
            .collect();
        for input in &self.inputs {
            let text = if input.as_os_str() == "-" {
                let mut lines = Vec::new();
                for line in std::io::stdin().lock().lines() {
                    lines.push(line.map_err(|e| UsageError(format!("cannot read standard input: {e}")))?);
                }
                lines.join("\n")
            } else {
                std::fs::read_to_string(input)
                    .map_err(|e| UsageError(format!("cannot read {}: {e}", input.display())))?
            };
            let name = if input.as_os_str() == "-" {
                "standard input".to_string()
            } else {
                input.display().to_string()
            };
            urls.extend(parse_url_list(&text).map_err(|(n, e)| UsageError(format!("{name} line {n}: {e}")))?);
        }
        let mut urls = metalink::expand(urls)?;
        if urls.is_empty() {
            return Err(UsageError(
                "no URLs given: pass them as arguments or with -i FILE".into(),
            ));
        }
        if let Some(hash) = self.sha256 {
            if urls.len() != 1 {
                return Err(UsageError(format!(
                    "--sha256 checks one file, and {} URLs were given: write `URL sha256=HEX` lines in a -i list instead",
                    urls.len()
                )));
            }
            urls[0].1.sha256 = Some(hash);
        }
        Ok(urls)
    }
}

/// One URL per line, each optionally followed by `key=value` options (see
/// [`crate::input`]); blank lines and lines starting with `#` are skipped.
/// A bad option is an error with its line number.
pub fn parse_url_list(text: &str) -> Result<Vec<(String, Options)>, (usize, String)> {
    let mut out = Vec::new();
    for (n, line) in input::strip_bom(text).lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (url, options) = input::split_line(line).map_err(|e| (n + 1, e.to_string()))?;
        out.push((url.to_string(), options));
    }
    Ok(out)
}

/// Runs `fanout get` and returns the process exit status.
pub fn run_get(args: &GetArgs) -> u8 {
    match prepare(args) {
        Ok((backend, urls)) => download(args, backend, urls),
        Err(e) => {
            eprintln!("fanout get: {e}");
            EXIT_USAGE
        }
    }
}

fn prepare(args: &GetArgs) -> Result<(BackendKind, Vec<(String, Options)>), UsageError> {
    let backend = args.backend()?;
    if let (BackendKind::Sequential, Some(n @ (0 | 2..))) = (backend, args.jobs) {
        eprintln!("fanout get: -j {n} is not used: the sequential engine runs one download at a time");
    }
    let urls = args.collect_urls()?;
    // With aria2 the folder is on the daemon's machine.
    if !matches!(backend, BackendKind::Aria2 { .. }) {
        std::fs::create_dir_all(&args.output)
            .map_err(|e| UsageError(format!("cannot use output folder {}: {e}", args.output.display())))?;
    }
    Ok((backend, urls))
}

impl GetArgs {
    /// The daemon for -e aria2, with its secret from --aria2-secret-file or
    /// $FANOUT_ARIA2_SECRET.
    pub fn aria2(&self) -> Result<Aria2Remote, UsageError> {
        let secret = match &self.aria2_secret_file {
            Some(f) => Some(
                std::fs::read_to_string(f)
                    .map_err(|e| {
                        UsageError(format!("cannot read the aria2 secret from {}: {e}", f.display()))
                    })?
                    .trim_end_matches(['\r', '\n'])
                    .to_string(),
            ),
            None => std::env::var("FANOUT_ARIA2_SECRET").ok(),
        };
        Ok(Aria2Remote {
            url: self.aria2_url.clone(),
            secret: secret.filter(|s| !s.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(args: &[&str]) -> GetArgs {
        let mut full = vec!["fanout", "get"];
        full.extend_from_slice(args);
        match Cli::try_parse_from(full).unwrap().command {
            Some(Command::Get(g)) => *g,
            _ => panic!("not `fanout get`"),
        }
    }

    /// `fanout 'magnet:…'` and `fanout x.torrent` (a path or a desktop's
    /// `file://` URL) hand over the torrent itself, not a list read from it.
    #[test]
    fn magnets_and_torrent_files_are_handed_over_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let torrent = dir.path().join("set.torrent");
        std::fs::write(&torrent, b"d4:infod4:name3:setee").unwrap();
        let magnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567";
        let file_url = url::Url::from_file_path(&torrent).unwrap().to_string();
        let args = OpenArgs {
            urls: vec![magnet.into(), torrent.display().to_string(), file_url],
            output: None,
            install_desktop_entry: false,
            hidden: false,
        };
        let lines = args.handoff().unwrap().lines;
        let path = torrent.display().to_string();
        assert_eq!(lines, [magnet, path.as_str(), path.as_str()]);
        // What the window checks its lines with takes all of them.
        for line in &lines {
            assert!(crate::engine::task_url(line).is_ok(), "{line}");
        }
    }

    #[test]
    fn engine_flags_map_to_backends() {
        assert_eq!(get(&["u"]).backend().unwrap(), BackendKind::Async { limit: 64 });
        assert_eq!(
            get(&["-e", "async", "-j", "0", "u"]).backend().unwrap(),
            BackendKind::Async { limit: 0 }
        );
        assert_eq!(
            get(&["-e", "threads", "u"]).backend().unwrap(),
            BackendKind::Threads { workers: 20 }
        );
        assert_eq!(
            get(&["-e", "threads", "-j", "4", "u"]).backend().unwrap(),
            BackendKind::Threads { workers: 4 }
        );
        assert_eq!(
            get(&["-e", "sequential", "u"]).backend().unwrap(),
            BackendKind::Sequential
        );
        assert!(get(&["-e", "threads", "-j", "0", "u"]).backend().is_err());
        assert_eq!(
            get(&["-e", "sequential", "-j", "8", "u"]).backend().unwrap(),
            BackendKind::Sequential
        );
    }

    #[test]
    fn url_lists_skip_blanks_and_comments() {
        let text = "# album\nhttp://h/1.jpg\n\n   http://h/2.jpg  \n  # off\nnot a url\n";
        let urls: Vec<String> = parse_url_list(text)
            .unwrap()
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        assert_eq!(urls, ["http://h/1.jpg", "http://h/2.jpg", "not a url"]);
        let err = parse_url_list("http://h/1.jpg\nhttp://h/2.jpg sha256=00\n").unwrap_err();
        assert_eq!(err.0, 2);
        // Notepad starts a UTF-8 file with a byte-order mark.
        let urls = parse_url_list("\u{feff}http://h/1.jpg\r\nhttp://h/2.jpg\r\n").unwrap();
        assert_eq!(urls[0].0, "http://h/1.jpg");
        assert_eq!(urls.len(), 2);
    }
}

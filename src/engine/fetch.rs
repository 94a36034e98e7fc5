//! One HTTP transfer: naming, the `.part` file, length validation.
//!
//! The blocking and the async backends differ only in how they pull chunks
//! off the socket; everything that decides whether a file is good lives in
//! [`Transfer`], so both are held to the same rules:
//! - bytes go to `NAME.part`, created with `create_new` (never truncating
//!   anything, never following a planted symlink);
//! - the file gets its real name only when the body is complete (its length
//!   matches `Content-Length` when one was sent), and never replaces an
//!   existing file: a taken name becomes `NAME (1).ext`;
//! - a failed transfer removes its `.part`, so nothing half-written remains.

use std::error::Error as StdError;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_DISPOSITION, HeaderMap, LOCATION};
use url::Url;

use super::job::{Event, FetchError, Saved};
use super::queue::{Task, TaskCtl};
use super::{EngineConfig, EngineError, Reporter, naming};

/// How often a running task reports its byte count.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// Writes are batched up to this size: fewer syscalls per megabyte. Small
/// files get a buffer of their own size, so a swarm of them costs no large
/// allocations (which malloc would serve with mmap and munmap each time).
const WRITE_BUFFER: usize = 256 * 1024;
const MIN_WRITE_BUFFER: usize = 8 * 1024;
/// Read size for the blocking client.
const READ_BUFFER: usize = 64 * 1024;
const MAX_REDIRECTS: usize = 10;

/// Only absolute http(s) URLs with a host are downloadable.
pub fn parse_url(raw: &str) -> Result<Url, FetchError> {
    let url = Url::parse(raw.trim()).map_err(|e| FetchError::InvalidUrl(format!("{e}: {raw:?}")))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(FetchError::UnsupportedScheme(other.to_string())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::InvalidUrl(format!("no host in {raw:?}")));
    }
    Ok(url)
}

/// What one attempt at a task produced.
pub(crate) struct Attempt {
    pub outcome: Result<Saved, FetchError>,
    pub http_status: Option<u16>,
    pub bytes: u64,
}

impl Attempt {
    pub(crate) fn failed(http_status: Option<u16>, bytes: u64, e: FetchError) -> Self {
        Attempt {
            outcome: Err(e),
            http_status,
            bytes,
        }
    }
}

/// Follows up to ten redirects and only to http(s): a server must not be
/// able to bounce a download to `file://` or loop it forever.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let scheme = attempt.url().scheme().to_string();
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if scheme != "http" && scheme != "https" {
            attempt.error(format!("redirect to a {scheme:?} URL"))
        } else {
            attempt.follow()
        }
    })
}

pub(crate) fn blocking_client(config: &EngineConfig) -> Result<reqwest::blocking::Client, EngineError> {
    reqwest::blocking::Client::builder()
        .user_agent(&config.user_agent)
        .redirect(redirect_policy())
        .connect_timeout(config.connect_timeout)
        // The blocking client applies this to each read, not to the whole body.
        .timeout(config.read_timeout)
        .build()
        .map_err(|e| EngineError::Client(chain(&e)))
}

pub(crate) fn async_client(config: &EngineConfig) -> Result<reqwest::Client, EngineError> {
    reqwest::Client::builder()
        .user_agent(&config.user_agent)
        .redirect(redirect_policy())
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .build()
        .map_err(|e| EngineError::Client(chain(&e)))
}

/// `outer: inner: root`, skipping causes whose text the parent already shows.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Turns a transport error (from sending or from reading the body) into a
/// reason a user can read.
fn transport_error(err: &(dyn StdError + 'static)) -> FetchError {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(re) = e.downcast_ref::<reqwest::Error>() {
            // reqwest's own text repeats the URL, which the result already
            // carries: the causes say what went wrong.
            let text = re.source().map_or_else(|| chain(re), chain);
            if re.is_timeout() {
                return FetchError::Timeout(text);
            }
            if re.is_redirect() {
                return FetchError::Redirect(text);
            }
            if re.is_connect() {
                return FetchError::Connect(text);
            }
            return FetchError::Transport(text);
        }
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::TimedOut {
                return FetchError::Timeout(chain(err));
            }
            // The blocking client's body reads wrap a reqwest::Error in an
            // io::Error, whose `source()` skips the wrapped error itself.
            if let Some(inner) = io.get_ref() {
                cur = Some(inner);
                continue;
            }
        }
        cur = e.source();
    }
    FetchError::Transport(chain(err))
}

/// A body being written to its `.part` file.
pub(crate) struct Transfer<'a> {
    reporter: &'a Reporter,
    ctl: &'a TaskCtl,
    index: usize,
    status: u16,
    expected: Option<u64>,
    received: u64,
    last_report: Instant,
    part: PartFile,
}

impl<'a> Transfer<'a> {
    /// Checks the response head and opens the `.part` file. An HTTP error
    /// status fails here, before any file exists.
    pub(crate) fn begin(
        reporter: &'a Reporter,
        task: &'a Task,
        status: StatusCode,
        headers: &HeaderMap,
        content_length: Option<u64>,
    ) -> Result<Self, Attempt> {
        let code = status.as_u16();
        if status.is_redirection() {
            // The client follows every redirect it may; one left over points
            // somewhere it must not go (another scheme) or nowhere.
            let to = headers
                .get(LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let reason = match to {
                Some(to) => format!("HTTP {code} to {to:?}, which is not an http(s) URL"),
                None => format!("HTTP {code} without a Location"),
            };
            return Err(Attempt::failed(Some(code), 0, FetchError::Redirect(reason)));
        }
        if !status.is_success() {
            let reason = status.canonical_reason().unwrap_or("").to_string();
            return Err(Attempt::failed(
                Some(code),
                0,
                FetchError::Http { status: code, reason },
            ));
        }
        // Raw UTF-8 is common in `filename="…"` although RFC 6266 says
        // ASCII; decode it rather than lose the name.
        let disposition = headers
            .get(CONTENT_DISPOSITION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let name = naming::file_name(&task.url, disposition.as_deref());
        let buffer = content_length.map_or(WRITE_BUFFER, |n| {
            usize::try_from(n)
                .unwrap_or(WRITE_BUFFER)
                .clamp(MIN_WRITE_BUFFER, WRITE_BUFFER)
        });
        let part =
            PartFile::create(&task.dir, &name, buffer).map_err(|e| Attempt::failed(Some(code), 0, e))?;
        reporter.emit(Event::Receiving {
            index: task.index,
            name: part.name.clone(),
            total: content_length,
        });
        Ok(Transfer {
            reporter,
            ctl: &task.ctl,
            index: task.index,
            status: code,
            expected: content_length,
            received: 0,
            last_report: Instant::now(),
            part,
        })
    }

    pub(crate) fn write(&mut self, chunk: &[u8]) -> Result<(), Attempt> {
        if self.reporter.stopping.load(Ordering::Relaxed) || self.ctl.halted() {
            return Err(self.fail(FetchError::Cancelled));
        }
        self.received += chunk.len() as u64;
        if let Some(expected) = self.expected
            && self.received > expected
        {
            return Err(self.fail(FetchError::LongBody { expected }));
        }
        if let Err(e) = self.part.file.write_all(chunk) {
            let err = self.part.io_error(&e);
            return Err(self.fail(err));
        }
        if self.last_report.elapsed() >= PROGRESS_EVERY {
            self.last_report = Instant::now();
            self.reporter.emit(Event::Progress {
                index: self.index,
                bytes: self.received,
                total: self.expected,
            });
        }
        Ok(())
    }

    /// The body ended early with a transport error.
    pub(crate) fn interrupted(&self, err: &(dyn StdError + 'static)) -> Attempt {
        let cause = transport_error(err);
        let e = match cause {
            FetchError::Timeout(_) => cause,
            other => FetchError::Interrupted {
                received: self.received,
                expected: self
                    .expected
                    .map_or_else(|| "an unknown number of".to_string(), |n| n.to_string()),
                detail: other.to_string(),
            },
        };
        self.fail(e)
    }

    fn fail(&self, e: FetchError) -> Attempt {
        Attempt::failed(Some(self.status), self.received, e)
    }

    /// The body ended cleanly: check its length and give the file its name.
    pub(crate) fn finish(self) -> Attempt {
        if let Some(expected) = self.expected
            && self.received != expected
        {
            return self.fail(FetchError::ShortBody {
                received: self.received,
                expected,
            });
        }
        let (status, bytes) = (self.status, self.received);
        match self.part.commit() {
            Ok(path) => Attempt {
                outcome: Ok(Saved { path, bytes }),
                http_status: Some(status),
                bytes,
            },
            Err(e) => Attempt::failed(Some(status), bytes, e),
        }
    }
}

/// `NAME.part` while the body arrives. Removed on drop unless committed.
struct PartFile {
    file: BufWriter<File>,
    dir: PathBuf,
    /// The final name this part is meant to get: candidate `k` of `base`.
    name: String,
    /// The name as the server or URL gave it, before collision suffixes.
    base: String,
    k: usize,
    path: PathBuf,
    committed: bool,
}

impl PartFile {
    /// Finds the first candidate `NAME (k)` whose final file does not exist
    /// and whose `.part` we could create exclusively.
    fn create(dir: &Path, base: &str, buffer: usize) -> Result<Self, FetchError> {
        let io_err = |p: &Path, e: io::Error| FetchError::Io {
            path: p.display().to_string(),
            detail: e.to_string(),
        };
        let mut made_dir = false;
        let mut k = 0;
        while k < 10_000 {
            let name = naming::candidate(base, k);
            if dir.join(&name).symlink_metadata().is_ok() {
                k += 1;
                continue;
            }
            let path = dir.join(format!("{name}.part"));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(PartFile {
                        file: BufWriter::with_capacity(buffer, file),
                        dir: dir.to_path_buf(),
                        name,
                        base: base.to_string(),
                        k,
                        path,
                        committed: false,
                    });
                }
                // The folder is made on first use rather than checked for
                // every task: creating files is what costs on a busy batch.
                Err(e) if e.kind() == io::ErrorKind::NotFound && !made_dir => {
                    std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
                    made_dir = true;
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => k += 1,
                Err(e) => return Err(io_err(&path, e)),
            }
        }
        Err(io_err(
            dir,
            io::Error::other(format!("no free name left for {base:?}")),
        ))
    }

    fn io_error(&self, e: &io::Error) -> FetchError {
        FetchError::Io {
            path: self.path.display().to_string(),
            detail: e.to_string(),
        }
    }

    /// Moves the finished part to the first free final name without ever
    /// replacing a file created meanwhile (a plain rename would).
    fn commit(mut self) -> Result<PathBuf, FetchError> {
        self.file.flush().map_err(|e| self.io_error(&e))?;
        for k in self.k..self.k + 10_000 {
            let name = naming::candidate(&self.base, k);
            // Leave names that another running download has reserved.
            if k != self.k && self.dir.join(format!("{name}.part")).symlink_metadata().is_ok() {
                continue;
            }
            let target = self.dir.join(name);
            match rename_noreplace(&self.path, &target) {
                Ok(()) => {
                    self.committed = true;
                    return Ok(target);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(self.io_error(&e)),
            }
        }
        Err(self.io_error(&io::Error::other("no free name left")))
    }
}

/// Renames `from` to `to` unless `to` exists, in one atomic step where the
/// system can (`renameat2` with `RENAME_NOREPLACE` on Linux).
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        use rustix::io::Errno;
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            // A file system without the flag: the portable way below.
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {}
            Err(e) => return Err(e.into()),
        }
    }
    link_then_unlink(from, to)
}

/// A hard link fails if the target exists, where a rename would replace it.
/// Where links are not supported either (FAT, some network mounts): a
/// rename, checked just before.
fn link_then_unlink(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::hard_link(from, to) {
        Ok(()) => {
            let _ = std::fs::remove_file(from);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if to.symlink_metadata().is_err() => std::fs::rename(from, to),
        Err(_) => Err(io::ErrorKind::AlreadyExists.into()),
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// One download with the blocking client (sequential and threads backends).
pub(crate) fn run_blocking(client: &reqwest::blocking::Client, reporter: &Reporter, task: &Task) -> Attempt {
    let mut resp = match client.get(task.url.clone()).send() {
        Ok(r) => r,
        Err(e) => return Attempt::failed(None, 0, transport_error(&e)),
    };
    let len = resp.content_length();
    let mut t = match Transfer::begin(reporter, task, resp.status(), resp.headers(), len) {
        Ok(t) => t,
        Err(a) => return a,
    };
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        match resp.read(&mut buf) {
            Ok(0) => return t.finish(),
            Ok(n) => {
                if let Err(a) = t.write(&buf[..n]) {
                    return a;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return t.interrupted(&e),
        }
    }
}

/// One download with the async client (async backend).
pub(crate) async fn run_async(client: &reqwest::Client, reporter: &Reporter, task: &Task) -> Attempt {
    let mut resp = match client.get(task.url.clone()).send().await {
        Ok(r) => r,
        Err(e) => return Attempt::failed(None, 0, transport_error(&e)),
    };
    let len = resp.content_length();
    let mut t = match Transfer::begin(reporter, task, resp.status(), resp.headers(), len) {
        Ok(t) => t,
        Err(a) => return a,
    };
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if let Err(a) = t.write(&chunk) {
                    return a;
                }
            }
            Ok(None) => return t.finish(),
            Err(e) => return t.interrupted(&e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_are_accepted() {
        assert!(parse_url("http://example.com/a.jpg").is_ok());
        assert!(parse_url("  https://example.com/a.jpg  ").is_ok());
        assert!(
            matches!(parse_url("ftp://example.com/a"), Err(FetchError::UnsupportedScheme(s)) if s == "ftp")
        );
        assert!(matches!(
            parse_url("file:///etc/passwd"),
            Err(FetchError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            parse_url("example.com/a.jpg"),
            Err(FetchError::InvalidUrl(_))
        ));
        assert!(matches!(parse_url("http://"), Err(FetchError::InvalidUrl(_))));
        assert!(matches!(parse_url("not a url"), Err(FetchError::InvalidUrl(_))));
    }

    #[test]
    fn part_files_never_replace_existing_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), b"old").unwrap();
        let mut first = PartFile::create(dir.path(), "a.txt", 64).unwrap();
        let mut second = PartFile::create(dir.path(), "a.txt", 64).unwrap();
        assert_eq!(first.name, "a (1).txt");
        assert_eq!(second.name, "a (2).txt");
        first.file.write_all(b"first").unwrap();
        second.file.write_all(b"second").unwrap();
        // Someone creates the first one's target meanwhile: it moves on.
        std::fs::write(dir.path().join("a (1).txt"), b"squatter").unwrap();
        let p1 = first.commit().unwrap();
        let p2 = second.commit().unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"old");
        assert_eq!(std::fs::read(dir.path().join("a (1).txt")).unwrap(), b"squatter");
        assert_eq!(std::fs::read(&p2).unwrap(), b"second");
        assert_eq!(p2, dir.path().join("a (2).txt"));
        assert_eq!(std::fs::read(&p1).unwrap(), b"first");
        assert_eq!(p1, dir.path().join("a (3).txt"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn an_abandoned_part_file_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let part = PartFile::create(dir.path(), "x.bin", 64).unwrap();
        assert!(dir.path().join("x.bin.part").exists());
        drop(part);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn the_portable_rename_never_replaces_either() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        std::fs::write(&a, b"new").unwrap();
        std::fs::write(&b, b"old").unwrap();
        let err = link_then_unlink(&a, &b).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&b).unwrap(), b"old");
        link_then_unlink(&a, &c).unwrap();
        assert_eq!(std::fs::read(&c).unwrap(), b"new");
        assert!(!a.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::os::unix::fs::symlink(&victim, dir.path().join("f.bin.part")).unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("f.bin")).unwrap();
        let part = PartFile::create(dir.path(), "f.bin", 64).unwrap();
        assert_eq!(part.name, "f (1).bin");
        assert!(!victim.exists());
    }
}

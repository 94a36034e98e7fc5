//! Why a task failed, and what happened to it on the way: typed, so each
//! front end puts the numbers and paths in its own words (and language).
//! `Display` is the English that `fanout get` prints.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Why a task failed, in words a user can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("not a valid URL: {0}")]
    InvalidUrl(String),
    #[error("unsupported URL scheme {0:?}: only http and https can be downloaded")]
    UnsupportedScheme(String),
    #[error("HTTP {status} {reason}")]
    Http { status: u16, reason: String },
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("timed out: {0}")]
    Timeout(String),
    /// The server's certificate was not accepted: final, like a 404, since
    /// asking again gets the same certificate.
    #[error("the server's certificate is not trusted: {0}")]
    Tls(String),
    /// The proxy refused the connection or the request (a 407, wrong
    /// credentials): final, since the proxy would answer the same again.
    #[error("the proxy {proxy} failed: {reason}")]
    Proxy { proxy: String, reason: String },
    /// The URL's user and password would go unencrypted to a public host.
    #[error(
        "not sent: the URL's user name and password would cross the internet unencrypted to {host} over plain HTTP; use https, or allow it (--allow-plain-auth, or in Settings)"
    )]
    PlainAuth { host: String },
    #[error("redirect refused: {0}")]
    Redirect(#[from] RedirectError),
    /// The body stopped early with a transport error (`cause`), or with the
    /// server closing the connection (`cause` is `None`).
    #[error("connection lost after {received}{} bytes: {}", of_total(*expected), cause.as_deref().unwrap_or("the server closed it"))]
    Interrupted {
        received: u64,
        expected: Option<u64>,
        cause: Option<String>,
    },
    #[error("body too short: the server promised {expected} bytes and sent {received}")]
    ShortBody { received: u64, expected: u64 },
    #[error("body too long: the server promised {expected} bytes and sent more")]
    LongBody { expected: u64 },
    #[error("{0}")]
    Transport(String),
    #[error("cannot write {}: {detail}", path.display())]
    Io {
        path: PathBuf,
        kind: io::ErrorKind,
        detail: String,
    },
    #[error("bad answer to a range request: {0}")]
    BadRange(#[from] RangeError),
    #[error("SHA-256 mismatch: expected {expected}, got {got}; the bytes are kept as {}", kept.display())]
    Checksum {
        expected: String,
        got: String,
        kept: PathBuf,
    },
    /// The download's cookies file could not be read (final: reading it
    /// again gives the same).
    #[error("cannot use the cookies file: {0}")]
    CookieFile(String),
    /// What a remote engine reported that fanout has no closer word for.
    #[error("{0}")]
    Remote(String),
    #[error("cancelled")]
    Cancelled,
    /// A stream's playlist cannot be downloaded (its encryption, its shape).
    #[error("{0}")]
    Stream(#[from] StreamError),
    /// A torrent cannot be downloaded, or its download failed.
    #[error("{0}")]
    Torrent(#[from] TorrentError),
    /// One piece of a stream failed for good (after its own retries): the
    /// stream fails with it, and no file that looks complete is left.
    #[error("segment {number} ({url}) failed: {cause}")]
    Segment {
        number: usize,
        url: String,
        cause: Box<FetchError>,
    },
}

/// Why a playlist cannot be downloaded. Final: the same playlist would say
/// the same again.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    /// Encryption fanout does not do (`SAMPLE-AES`, a `KEYFORMAT` other
    /// than identity, DASH `ContentProtection`): the text says which.
    #[error("not supported: {0}; nothing was written")]
    Unsupported(String),
    /// The document could not be read as a playlist.
    #[error("not a playlist fanout can read: {0}")]
    Invalid(String),
    /// A playlist with nothing to fetch.
    #[error("the playlist has no segments")]
    Empty,
    /// `--variant` (or the dialog's choice) names no variant there.
    #[error("no variant {0} in the master playlist")]
    NoVariant(String),
    /// A key was not 16 bytes.
    #[error("the key at {0} is not a 16-byte AES-128 key")]
    BadKey(String),
}

/// Why a torrent cannot be downloaded. Final: trying again would meet
/// the same torrent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TorrentError {
    /// Not a torrent or magnet link fanout can read (librqbit's reason).
    #[error("not a torrent fanout can read: {0}")]
    Invalid(String),
    /// A file's path (as the torrent wrote it, its names joined with `/`)
    /// would leave the torrent's folder, or fanout's name rules would
    /// change it: nothing is written.
    #[error("refused: the torrent names {why}: {path:?}")]
    Refused { path: String, why: Refusal },
    /// A magnet's metadata (the torrent's file list) came from no peer.
    #[error("no peer gave the torrent's metadata: {0}")]
    NoMetadata(String),
    /// `--select` names a file the torrent does not have.
    #[error("no file {wanted} in the torrent: it has {count}")]
    NoSuchFile { wanted: usize, count: usize },
    /// The BitTorrent session could not start (the port is taken, say).
    #[error("BitTorrent could not start: {0}")]
    Session(String),
    /// The download failed on the way (a disk error, the library's).
    #[error("the torrent failed: {0}")]
    Failed(String),
}

/// Why a torrent's file path is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A `..` in it: the file would be written above the folder.
    #[error("a file outside its folder")]
    Outside,
    /// `/x`, `C:\x`: a path of the whole system, not the folder's.
    #[error("a file by an absolute path")]
    Absolute,
    /// `/` or `\` inside one of its names.
    #[error("a file with a path separator inside a name")]
    Separator,
    /// An empty name, or `.`.
    #[error("a file with an empty name")]
    Empty,
    /// A name Windows keeps for a device (`CON`, `nul.txt`, `COM1`).
    #[error("a file with a name reserved for a device")]
    Reserved,
    /// A control character, a leading or trailing space, a trailing dot.
    #[error(
        "a file with a name fanout cannot keep as it is (a control character, a space at its start or end, or a dot at its end)"
    )]
    Character,
    /// Longer than [`crate::naming::MAX_NAME_BYTES`].
    #[error("a file with a name over {max} bytes", max = crate::naming::MAX_NAME_BYTES)]
    TooLong,
}

/// ` of N` when the size is known.
fn of_total(expected: Option<u64>) -> String {
    expected.map_or_else(String::new, |n| format!(" of {n}"))
}

impl FetchError {
    /// Whether another URL of the same file (a mirror) may succeed where
    /// this one failed: anything the server or the network did, not a
    /// cancel, a full disk or a file that failed its checksum.
    pub fn mirror_may_help(&self) -> bool {
        !matches!(
            self,
            FetchError::Cancelled | FetchError::Io { .. } | FetchError::Checksum { .. }
        )
    }

    /// Whether another attempt may succeed: a lost or stalled connection, a
    /// short body, a server error. Not a 404, a bad URL, an untrusted
    /// certificate or a full disk.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Connect(_)
            | FetchError::Timeout(_)
            | FetchError::Interrupted { .. }
            | FetchError::ShortBody { .. }
            | FetchError::Transport(_)
            | FetchError::BadRange(_) => true,
            FetchError::Http { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    /// An I/O error on `path`, keeping its kind (a full disk, no permission).
    pub fn io(path: impl Into<PathBuf>, e: &io::Error) -> Self {
        FetchError::Io {
            path: path.into(),
            kind: e.kind(),
            detail: e.to_string(),
        }
    }
}

/// Why a redirect was not followed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("more than {max} redirects")]
    TooMany { max: usize },
    /// A redirect to something that is not http(s) (`file:`, `ftp:`).
    #[error("redirect to a {0:?} URL")]
    Scheme(String),
    #[error("HTTP {status} without a Location")]
    NoLocation { status: u16 },
}

/// A server that answered a range request with something else than the
/// bytes asked for: those bytes are never spliced into the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    /// A resume was refused with 416 and the part is not the whole file.
    #[error("the server refused the range from byte {offset} (416); starting over")]
    Refused { offset: u64 },
    /// A resume got a 206 for another range (or another file size).
    #[error(
        "asked for the bytes from {from} on, got Content-Range {}; starting over",
        shown(got)
    )]
    Resume { from: u64, got: Option<String> },
    /// A 206 to a request that asked for no range.
    #[error("206 to a request without a range")]
    Unasked,
    /// One connection of a segmented download got another range.
    #[error("asked for bytes {from}-{last} of {total}, got Content-Range {}", shown(got))]
    Segment {
        from: u64,
        last: u64,
        total: u64,
        got: Option<String>,
    },
    /// One connection of a segmented download got the whole file.
    #[error("asked for bytes {from}-{last}, got the whole file ({status})")]
    WholeBody { from: u64, last: u64, status: u16 },
    /// The file's validator changed between two requests.
    #[error("the file changed on the server ({before} became {}); starting over", after.as_deref().unwrap_or("no validator"))]
    Changed { before: String, after: Option<String> },
}

fn shown(got: &Option<String>) -> &str {
    got.as_deref().unwrap_or("none")
}

/// Something that happened to a task without ending it, for its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// An attempt failed; the next one starts after `delay`.
    Retry {
        attempt: usize,
        error: FetchError,
        delay: Duration,
    },
    /// The file's validator changed between two attempts: starting over.
    FileChanged { before: String, after: String },
    /// A whole body came back to a resume: starting over.
    RangeIgnored { offset: u64 },
    /// A segmented download got a wrong answer to a range request and goes
    /// on over one connection.
    RangeLied(RangeError),
    /// The expected SHA-256 matched.
    Verified { sha256: String },
    /// An https URL was redirected to plain http (followed, as curl and
    /// aria2 do, but the user should know the bytes came unencrypted).
    Downgraded { to: String },
    /// The URL failed for good; trying another URL of the same file.
    Mirror { to: String },
    /// Options a program sent with the download that fanout does not use.
    Ignored { options: Vec<String> },
    /// The URL is a stream's playlist: what it holds.
    Stream {
        /// `HLS` or `DASH`.
        format: String,
        /// Its pieces (segments and init sections) over all its tracks.
        pieces: usize,
        tracks: usize,
        /// The variant taken from a master, as the dialog shows it.
        variant: Option<String>,
        /// Recorded until stopped.
        live: bool,
    },
    /// A stream continues with the pieces an earlier run joined.
    PiecesKept { pieces: usize },
    /// Video and audio were joined into one file by ffmpeg.
    Muxed,
    /// Video and audio stay two files: the audio is `audio`, and `reason`
    /// says why they were not joined.
    KeptApart { audio: String, reason: String },
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Note::Retry {
                attempt,
                error,
                delay,
            } => write!(
                f,
                "attempt {attempt} failed: {error}; trying again in {:.1} s",
                delay.as_secs_f64()
            ),
            Note::FileChanged { before, after } => write!(
                f,
                "the file changed on the server ({before} became {after}); starting over"
            ),
            Note::RangeIgnored { offset } => write!(
                f,
                "the server ignored the range from byte {offset}; starting over"
            ),
            Note::RangeLied(what) => write!(
                f,
                "the server answered a range request wrongly: {what}; downloading over one connection instead"
            ),
            Note::Verified { sha256 } => write!(f, "SHA-256 verified: {sha256}"),
            Note::Downgraded { to } => write!(f, "redirected from HTTPS to HTTP: {to}"),
            Note::Mirror { to } => write!(f, "failed for good; trying the next URL of the file: {to}"),
            Note::Ignored { options } => write!(f, "options not used by fanout: {}", options.join(", ")),
            Note::Stream {
                format,
                pieces,
                tracks,
                variant,
                live,
            } => {
                write!(f, "{format} stream: {pieces} segments in {tracks} track(s)")?;
                if let Some(v) = variant {
                    write!(f, ", variant {v}")?;
                }
                if *live {
                    f.write_str(", live: recording until stopped")?;
                }
                Ok(())
            }
            Note::PiecesKept { pieces } => write!(f, "continuing after the {pieces} segments already joined"),
            Note::Muxed => f.write_str("video and audio joined into one file by ffmpeg"),
            Note::KeptApart { audio, reason } => {
                write!(
                    f,
                    "video and audio kept as two files (the audio is {audio}): {reason}"
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_stay_numbers_and_an_unknown_size_is_not_a_word() {
        let known = FetchError::Interrupted {
            received: 5,
            expected: Some(10),
            cause: None,
        };
        assert_eq!(
            known.to_string(),
            "connection lost after 5 of 10 bytes: the server closed it"
        );
        let unknown = FetchError::Interrupted {
            received: 5,
            expected: None,
            cause: Some("reset".into()),
        };
        assert_eq!(unknown.to_string(), "connection lost after 5 bytes: reset");
    }

    #[test]
    fn a_bad_certificate_is_final_and_a_lost_connection_is_not() {
        assert!(!FetchError::Tls("UnknownIssuer".into()).is_retryable());
        assert!(FetchError::Connect("refused".into()).is_retryable());
        assert!(FetchError::from(RangeError::Unasked).is_retryable());
        let disk = FetchError::io("/x", &io::Error::from(io::ErrorKind::StorageFull));
        assert!(!disk.is_retryable());
        assert!(matches!(
            disk,
            FetchError::Io {
                kind: io::ErrorKind::StorageFull,
                ..
            }
        ));
    }
}

//! One line of input, as `fanout get -i FILE` and the add dialog read it:
//! a URL (or a batch pattern), then optional `key=value` words for that
//! file:
//!
//! ```text
//! https://host/big.iso sha256=9f86d0… segments=16 limit=2M
//! ```
//!
//! - `sha256=HEX`: the file must have this SHA-256 (64 hex digits);
//! - `segments=K`: connections for this file (1 to 32);
//! - `limit=RATE`: its own speed limit (`500K`, `2M`, bytes per second);
//! - `out=NAME`: the file's name;
//! - `mirror=URL` (repeatable): another URL of the same file, tried when
//!   the first fails for good;
//! - `cookies=FILE`: a browser's exported cookies (Netscape `cookies.txt`);
//! - `header="Name: value"` (repeatable), `referer=URL`, `user-agent=TEXT`:
//!   what every request of the file sends (a cookie, a referer);
//! - `variant=WHICH`: a stream's variant, when its playlist is an HLS
//!   master (its number as listed, a height such as `720p`, a bandwidth);
//! - `duration=TIME`: how much of a live stream to record (`90s`, `30m`);
//! - a torrent's, as aria2 names them: `select=1,3-4` (its files, 1-based),
//!   `seed-ratio=R` and `seed-time=MINUTES` (seeding after completion),
//!   `bt-tracker=URL` (repeatable, or a comma list), `upload-limit=RATE`,
//!   `peer=HOST:PORT` (repeatable), and `pause-metadata` (a word alone:
//!   pause once the files are known, to choose them).
//!
//! A value with spaces is quoted: `header="Cookie: a=1; b=2"` (`\"` and
//! `\\` inside double quotes); single quotes take the text as it is.

use crate::engine::{
    EngineConfig, FetchError, Header, HeaderError, Headers, Job, StreamOptions, TorrentOptions, hex,
    minutes_text, naming, parse_duration, parse_minutes, parse_peer, parse_rate, parse_ratio, parse_select,
    parse_sha256, ratio_text, select_text,
};
use pattern::PatternError;

pub mod metalink;
pub mod pattern;

/// What the option errors list as the words a line may have.
const EXPECTED: &str = "sha256=HEX, segments=K, limit=RATE, out=NAME, header=\"Name: value\", referer=URL, user-agent=TEXT, mirror=URL, cookies=FILE, variant=WHICH, duration=TIME, select=LIST, seed-ratio=R, seed-time=MINUTES, bt-tracker=URL, upload-limit=RATE, peer=HOST:PORT or pause-metadata";

/// Words that stand alone, without `=value`.
const FLAGS: [&str; 1] = ["pause-metadata"];

/// The text without a leading UTF-8 byte-order mark, which Notepad and
/// other Windows editors write at the start of a file.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The text of a list of URLs in a file (a dropped file, a path given to
/// `fanout`): `None` for one that cannot be read or is too big to be a
/// list (4 MiB: a video dropped by mistake is not slurped).
pub fn read_list(path: &std::path::Path) -> Option<String> {
    if std::fs::metadata(path).ok()?.len() > 4 << 20 {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    Some(strip_bom(&text).to_string())
}

/// What a line asks of its file besides the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub sha256: Option<[u8; 32]>,
    pub segments: Option<usize>,
    pub rate_limit: Option<u64>,
    /// The download's own headers (referer and user agent among them).
    pub headers: Headers,
    /// The file's name, already made safe.
    pub name: Option<String>,
    /// Other URLs of the same file.
    pub mirrors: Vec<String>,
    /// A cookies file (Netscape format).
    pub cookies: Option<std::path::PathBuf>,
    /// What to take of a stream.
    pub stream: StreamOptions,
    /// What to take of a torrent, and how long to seed it.
    pub torrent: TorrentOptions,
}

/// A word after a URL that is not a good option. Typed, so the window can
/// say it in its language; `Display` is the CLI's English.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error("{0:?} after the URL: expected {EXPECTED}")]
    NotAnOption(String),
    #[error("unknown option {0:?}: expected {EXPECTED}")]
    Unknown(String),
    #[error("segments={0}: use 1 to {max} connections", max = EngineConfig::MAX_SEGMENTS)]
    Segments(String),
    #[error("{0:?} is not a SHA-256: expected 64 hex digits")]
    Sha256(String),
    #[error("{0:?} is not a rate: write bytes per second, or a number with K, M or G")]
    Rate(String),
    #[error("{0}")]
    Header(#[from] HeaderError),
    #[error("out={0:?} is not a file name")]
    Name(String),
    #[error("a quote is not closed: {0}")]
    Quote(String),
    #[error("duration={0:?} is not a time: use seconds, or 30m, 2h")]
    Duration(String),
    #[error("select={0:?}: expected the files' numbers and ranges, as 1,3-4")]
    Select(String),
    #[error("seed-ratio={0:?}: expected a number of 0.0 or more, as 1.0")]
    SeedRatio(String),
    #[error("seed-time={0:?}: expected 0 or more minutes, as 30")]
    SeedTime(String),
    #[error("peer={0:?}: expected HOST:PORT")]
    Peer(String),
    #[error("pause-metadata={0:?}: expected true or false")]
    PauseMetadata(String),
}

impl Options {
    /// Reads `key=value` words (already unquoted); the first bad one is the
    /// error.
    pub fn parse<'a>(words: impl IntoIterator<Item = &'a str>) -> Result<Options, OptionError> {
        let mut o = Options::default();
        for word in words {
            let Some((key, value)) = word.split_once('=').or_else(|| {
                // A flag alone is a flag set.
                FLAGS.contains(&word).then_some((word, "true"))
            }) else {
                return Err(OptionError::NotAnOption(word.to_string()));
            };
            let t = &mut o.torrent;
            match key {
                "sha256" => {
                    o.sha256 = Some(parse_sha256(value).map_err(|_| OptionError::Sha256(value.into()))?);
                }
                "segments" => {
                    let k: usize = value
                        .parse()
                        .ok()
                        .filter(|k| (1..=EngineConfig::MAX_SEGMENTS).contains(k))
                        .ok_or_else(|| OptionError::Segments(value.into()))?;
                    o.segments = Some(k);
                }
                "limit" => o.rate_limit = parse_rate(value).map_err(|_| OptionError::Rate(value.into()))?,
                "out" => {
                    o.name = Some(naming::sanitize(value).ok_or_else(|| OptionError::Name(value.into()))?)
                }
                "header" => o.headers.push(Header::parse(value)?),
                "referer" => o.headers.push(Header::new("referer", value)?),
                "user-agent" => o.headers.push(Header::new("user-agent", value)?),
                "mirror" => o.mirrors.push(value.to_string()),
                "cookies" => o.cookies = Some(value.into()),
                "variant" => o.stream.variant = Some(value.to_string()),
                "duration" => {
                    o.stream.duration =
                        Some(parse_duration(value).map_err(|_| OptionError::Duration(value.into()))?)
                }
                "select" => {
                    t.select = Some(parse_select(value).ok_or_else(|| OptionError::Select(value.into()))?)
                }
                "seed-ratio" => {
                    t.seed.ratio_milli =
                        Some(parse_ratio(value).ok_or_else(|| OptionError::SeedRatio(value.into()))?)
                }
                "seed-time" => {
                    t.seed.time =
                        Some(parse_minutes(value).ok_or_else(|| OptionError::SeedTime(value.into()))?)
                }
                "bt-tracker" => t.trackers.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|u| !u.is_empty())
                        .map(str::to_string),
                ),
                "upload-limit" => {
                    t.upload_limit = parse_rate(value).map_err(|_| OptionError::Rate(value.into()))?
                }
                "peer" => t
                    .peers
                    .push(parse_peer(value).ok_or_else(|| OptionError::Peer(value.into()))?),
                "pause-metadata" => {
                    t.pause_metadata = match value {
                        "true" => true,
                        "false" => false,
                        _ => return Err(OptionError::PauseMetadata(value.into())),
                    }
                }
                other => return Err(OptionError::Unknown(other.into())),
            }
        }
        Ok(o)
    }

    /// Options as [`Options::to_words`] wrote them (the saved queue).
    pub fn from_words(text: &str) -> Result<Options, OptionError> {
        Options::parse(words(text)?.iter().map(String::as_str))
    }

    /// The words [`Options::from_words`] reads back (for the saved queue).
    pub fn to_words(&self) -> String {
        let mut words = Vec::new();
        if let Some(d) = &self.sha256 {
            words.push(format!("sha256={}", hex(d)));
        }
        if let Some(k) = self.segments {
            words.push(format!("segments={k}"));
        }
        if let Some(r) = self.rate_limit {
            words.push(format!("limit={r}"));
        }
        if let Some(name) = &self.name {
            words.push(format!("out={}", quote(name)));
        }
        for h in self.headers.iter() {
            words.push(format!("header={}", quote(&h.line())));
        }
        for m in &self.mirrors {
            words.push(format!("mirror={}", quote(m)));
        }
        if let Some(c) = &self.cookies {
            words.push(format!("cookies={}", quote(&c.to_string_lossy())));
        }
        if let Some(v) = &self.stream.variant {
            words.push(format!("variant={}", quote(v)));
        }
        if let Some(d) = self.stream.duration {
            words.push(format!("duration={}s", d.as_secs_f64()));
        }
        let t = &self.torrent;
        if let Some(select) = &t.select {
            words.push(format!("select={}", select_text(select)));
        }
        if let Some(r) = t.seed.ratio_milli {
            words.push(format!("seed-ratio={}", ratio_text(r)));
        }
        if let Some(time) = t.seed.time {
            words.push(format!("seed-time={}", minutes_text(time)));
        }
        for url in &t.trackers {
            words.push(format!("bt-tracker={}", quote(url)));
        }
        if let Some(r) = t.upload_limit {
            words.push(format!("upload-limit={r}"));
        }
        for peer in &t.peers {
            words.push(format!("peer={peer}"));
        }
        if t.pause_metadata {
            words.push("pause-metadata".to_string());
        }
        words.join(" ")
    }

    pub fn is_empty(&self) -> bool {
        *self == Options::default()
    }

    /// `job` with these options.
    pub fn apply(&self, mut job: Job) -> Job {
        job.sha256 = self.sha256;
        job.segments = self.segments;
        job.rate_limit = self.rate_limit;
        job.headers = self.headers.clone();
        job.name = self.name.clone();
        job.mirrors = self.mirrors.clone();
        job.cookies = self.cookies.clone();
        job.stream = self.stream.clone();
        job.torrent = self.torrent.clone();
        job
    }
}

/// A value as a word [`words`] reads back: quoted when it has spaces or
/// quotes.
fn quote(value: &str) -> String {
    if !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        return value.to_string();
    }
    let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// Splits text into words at white space, where `"…"` (with `\"` and
/// `\\`) and `'…'` keep spaces inside a word and are taken off.
pub fn words(text: &str) -> Result<Vec<String>, OptionError> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => out.extend(word.take()),
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => w.extend(chars.next()),
                        Some(c) => w.push(c),
                        None => return Err(OptionError::Quote(text.trim().into())),
                    }
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err(OptionError::Quote(text.trim().into())),
                    }
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word);
    Ok(out)
}

/// Splits a line into its URL (or pattern) and its options. A line whose
/// later words are not all `key=value` is one (bad) URL, so it fails as its
/// own task with the URL's reason rather than stopping the batch.
pub fn split_line(line: &str) -> Result<(&str, Options), OptionError> {
    let line = line.trim();
    let (url, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = words(rest)?;
    if rest
        .iter()
        .any(|w| !w.contains('=') && !FLAGS.contains(&w.as_str()))
    {
        return Ok((line, Options::default()));
    }
    Ok((url, Options::parse(rest.iter().map(String::as_str))?))
}

/// Why a line of the add field cannot be queued. Typed, so the window
/// can say it in its language ([`crate::i18n::lines`]).
#[derive(Debug)]
pub enum LineError {
    Option(OptionError),
    Metalink(metalink::LoadError),
    Pattern(PatternError),
    Url(FetchError),
    /// `sha256=` on a line that stands for this many URLs.
    ShaOneFile(u128),
}

/// Checks a line without expanding it: how many URLs it stands for
/// (`None`: a blank line or a comment). The count comes from the pattern,
/// and the first and last URL it makes are parsed (the others differ only
/// in the numbers or words of the groups).
pub fn check(line: &str, cap: usize) -> Result<Option<u128>, LineError> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let (line, options) = split_line(line).map_err(LineError::Option)?;
    // A metalink on this machine is its files.
    if let Some(path) = metalink::local_path(line) {
        return match metalink::read(&path) {
            Ok(files) if files.len() > cap => Err(LineError::Pattern(PatternError::TooMany {
                count: files.len() as u128,
                cap,
            })),
            Ok(files) => Ok(Some(files.len() as u128)),
            Err(e) => Err(LineError::Metalink(e)),
        };
    }
    let n = pattern::count(line).map_err(LineError::Pattern)?;
    if n > cap as u128 {
        return Err(LineError::Pattern(PatternError::TooMany { count: n, cap }));
    }
    let (first, last) = pattern::ends(line).map_err(LineError::Pattern)?;
    for url in [first, last] {
        crate::engine::task_url(&url).map_err(LineError::Url)?;
    }
    if options.sha256.is_some() && n != 1 {
        return Err(LineError::ShaOneFile(n));
    }
    Ok(Some(n))
}

/// Splits the field into the URLs to queue (each with its line's options)
/// and the text to leave in the field (the bad lines, so the user can fix
/// them).
pub fn take_valid(text: &str, cap: usize) -> (Vec<(String, Options)>, String) {
    let (mut urls, mut kept) = (Vec::new(), Vec::new());
    for line in text.lines() {
        match check(line, cap) {
            Ok(Some(_)) => {
                if let Ok((pattern, options)) = split_line(line) {
                    if let Some(files) = metalink::local_path(pattern).and_then(|p| metalink::read(&p).ok()) {
                        urls.extend(metalink::downloads(&files, &options));
                        continue;
                    }
                    let expanded = pattern::expand(pattern, cap).unwrap_or_default();
                    urls.extend(expanded.into_iter().map(|u| (u, options.clone())));
                }
            }
            Err(_) => kept.push(line),
            Ok(None) => {}
        }
    }
    (urls, kept.join("\n"))
}

/// Whether pasted or dropped text looks like URLs worth opening the dialog for.
pub fn has_urls(text: &str) -> bool {
    text.lines()
        .any(|l| matches!(check(l, pattern::DEFAULT_CAP), Ok(Some(_))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_follow_the_url() {
        let hash = "ab".repeat(32);
        let line = format!("https://h/a.iso  sha256={hash} segments=4 limit=1M");
        let (url, o) = split_line(&line).unwrap();
        assert_eq!(url, "https://h/a.iso");
        assert_eq!(o.sha256, Some([0xab; 32]));
        assert_eq!(o.segments, Some(4));
        assert_eq!(o.rate_limit, Some(1 << 20));
        assert_eq!(Options::parse(o.to_words().split(' ')), Ok(o));
        assert_eq!(split_line("https://h/b").unwrap().1, Options::default());
        for bad in [
            "u sha256=12",
            "u segments=0",
            "u segments=33",
            "u color=red",
            "u limit=fast",
        ] {
            assert!(split_line(bad).is_err(), "{bad}");
        }
        // Quoted values, read back from the words the saved queue keeps.
        let line = r#"https://h/c header="Cookie: a=1; b=\"2\"" referer=https://r/ user-agent='Mozilla 5' out="my file.bin""#;
        let (_, o) = split_line(line).unwrap();
        assert_eq!(o.headers.get("cookie").as_deref(), Some(r#"a=1; b="2""#));
        assert_eq!(o.headers.get("referer").as_deref(), Some("https://r/"));
        assert_eq!(o.headers.get("user-agent").as_deref(), Some("Mozilla 5"));
        assert_eq!(o.name.as_deref(), Some("my file.bin"));
        let again = Options::parse(words(&o.to_words()).unwrap().iter().map(String::as_str));
        assert_eq!(again, Ok(o));
        for bad in [
            "u header=\"X: a",
            "u header=nocolon",
            "u header=\"Range: bytes=1-\"",
            "u out=..",
        ] {
            assert!(split_line(bad).is_err(), "{bad}");
        }
        // A stream's variant and recording time, kept with the line.
        let (_, o) = split_line("https://h/live.m3u8 variant=720p duration=1.5m").unwrap();
        assert_eq!(o.stream.variant.as_deref(), Some("720p"));
        assert_eq!(o.stream.duration, Some(std::time::Duration::from_secs(90)));
        assert_eq!(Options::from_words(&o.to_words()), Ok(o));
        assert!(split_line("u duration=forever").is_err());
        // A torrent's choices, in aria2's words, kept with the line.
        let line = "magnet:?xt=urn:btih:ab select=1,3-4 seed-ratio=1.5 seed-time=0.5 \
                    bt-tracker=http://t1/a,http://t2/a bt-tracker=udp://t3:80 upload-limit=100K \
                    peer=127.0.0.1:6881 pause-metadata";
        let (url, o) = split_line(line).unwrap();
        assert_eq!(url, "magnet:?xt=urn:btih:ab");
        let t = &o.torrent;
        assert_eq!(t.select, Some(vec![0, 2, 3]));
        assert_eq!(t.seed.ratio_milli, Some(1500));
        assert_eq!(t.seed.time, Some(std::time::Duration::from_secs(30)));
        assert_eq!(t.trackers, ["http://t1/a", "http://t2/a", "udp://t3:80"]);
        assert_eq!(t.upload_limit, Some(100 << 10));
        assert_eq!(t.peers, ["127.0.0.1:6881".parse().unwrap()]);
        assert!(t.pause_metadata);
        assert_eq!(Options::from_words(&o.to_words()), Ok(o));
        // The add dialog takes such a line.
        assert_eq!(check(line, 10).unwrap(), Some(1));
        for (bad, why) in [
            ("u select=0", OptionError::Select("0".into())),
            ("u seed-ratio=-1", OptionError::SeedRatio("-1".into())),
            ("u seed-time=soon", OptionError::SeedTime("soon".into())),
            ("u peer=nowhere", OptionError::Peer("nowhere".into())),
            (
                "u pause-metadata=maybe",
                OptionError::PauseMetadata("maybe".into()),
            ),
            ("u upload-limit=fast", OptionError::Rate("fast".into())),
        ] {
            assert_eq!(split_line(bad), Err(why), "{bad}");
        }
        // Not options at all: the line is one URL, which will fail as such.
        assert_eq!(
            split_line(" not a url ").unwrap(),
            ("not a url", Options::default())
        );
    }
}

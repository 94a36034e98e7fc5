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
//! - `limit=RATE`: its own speed limit (`500K`, `2M`, bytes per second).

use crate::engine::{EngineConfig, Job, hex, parse_rate, parse_sha256};

/// The text without a leading UTF-8 byte-order mark, which Notepad and
/// other Windows editors write at the start of a file.
pub fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// What a line asks of its file besides the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub sha256: Option<[u8; 32]>,
    pub segments: Option<usize>,
    pub rate_limit: Option<u64>,
}

/// A word after a URL that is not a good option. Typed, so the window can
/// say it in its language; `Display` is the CLI's English.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error("{0:?} after the URL: expected sha256=HEX, segments=K or limit=RATE")]
    NotAnOption(String),
    #[error("unknown option {0:?}: expected sha256=HEX, segments=K or limit=RATE")]
    Unknown(String),
    #[error("segments={0}: use 1 to {max} connections", max = EngineConfig::MAX_SEGMENTS)]
    Segments(String),
    #[error("{0:?} is not a SHA-256: expected 64 hex digits")]
    Sha256(String),
    #[error("{0:?} is not a rate: write bytes per second, or a number with K, M or G")]
    Rate(String),
}

impl Options {
    /// Reads `key=value` words; the first bad one is the error.
    pub fn parse<'a>(words: impl IntoIterator<Item = &'a str>) -> Result<Options, OptionError> {
        let mut o = Options::default();
        for word in words {
            let Some((key, value)) = word.split_once('=') else {
                return Err(OptionError::NotAnOption(word.to_string()));
            };
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
                other => return Err(OptionError::Unknown(other.into())),
            }
        }
        Ok(o)
    }

    /// The words [`Options::parse`] reads back (for the saved queue).
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
        job
    }
}

/// Splits a line into its URL (or pattern) and its options. A line whose
/// later words are not all `key=value` is one (bad) URL, so it fails as its
/// own task with the URL's reason rather than stopping the batch.
pub fn split_line(line: &str) -> Result<(&str, Options), OptionError> {
    let line = line.trim();
    let mut words = line.split_whitespace();
    let url = words.next().unwrap_or("");
    let rest: Vec<&str> = words.collect();
    if rest.iter().any(|w| !w.contains('=')) {
        return Ok((line, Options::default()));
    }
    Ok((url, Options::parse(rest)?))
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
        // Not options at all: the line is one URL, which will fail as such.
        assert_eq!(
            split_line(" not a url ").unwrap(),
            ("not a url", Options::default())
        );
    }
}

//! Batch patterns: one line that stands for many URLs, as curl and download
//! managers write them.
//!
//! - `[1-64]` numbers 1 to 64; `[001-064]` zero-padded to the width of the
//!   first bound; `[0-100:10]` with a step;
//! - `{a,b,c}` each of a list.
//!
//! Several groups multiply, left to right, like curl's globbing. Anything
//! that does not read as a group stays literal, so an IPv6 host such as
//! `http://[::1]/` or a brace without a comma is left alone.

use std::fmt;

/// The most URLs one add may expand to, unless the caller says otherwise.
pub const DEFAULT_CAP: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// `[a-b]` with `a > b` (`group` is what stood between the brackets).
    Backwards { group: String, from: u64, to: u64 },
    /// `[a-b:0]`.
    ZeroStep { group: String },
    /// A number past `u64`.
    TooLarge { group: String, value: String },
    /// The line stands for more URLs than the cap allows.
    TooMany { count: u128, cap: usize },
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Backwards { group, from, to } => {
                write!(
                    f,
                    "bad range: [{group}]: {from} is after {to}; write the smaller number first"
                )
            }
            PatternError::ZeroStep { group } => {
                write!(f, "bad range: [{group}]: the step must be at least 1")
            }
            PatternError::TooLarge { group, value } => {
                write!(f, "bad range: [{group}]: {value} is too large")
            }
            PatternError::TooMany { count, cap } => write!(
                f,
                "expands to {count} URLs, more than the limit of {cap}; split it into smaller ranges"
            ),
        }
    }
}

impl std::error::Error for PatternError {}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Range {
        from: u64,
        to: u64,
        step: u64,
        width: usize,
    },
    List(Vec<String>),
}

impl Part {
    fn len(&self) -> u128 {
        match self {
            Part::Text(_) => 1,
            Part::Range { from, to, step, .. } => ((to - from) / step) as u128 + 1,
            Part::List(items) => items.len() as u128,
        }
    }

    fn item(&self, i: u128, out: &mut String) {
        match self {
            Part::Text(t) => out.push_str(t),
            Part::Range {
                from, step, width, ..
            } => {
                let n = *from + (i as u64) * step;
                out.push_str(&format!("{n:0width$}"));
            }
            Part::List(items) => out.push_str(&items[i as usize]),
        }
    }
}

/// `[from-to]` or `[from-to:step]`, all decimal digits.
fn range(inner: &str) -> Option<Result<Part, PatternError>> {
    let (bounds, step) = match inner.split_once(':') {
        Some((b, s)) => (b, Some(s)),
        None => (inner, None),
    };
    let (a, b) = bounds.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) || !step.is_none_or(digits) {
        return None;
    }
    let parse = |s: &str| {
        s.parse::<u64>().map_err(|_| PatternError::TooLarge {
            group: inner.to_string(),
            value: s.to_string(),
        })
    };
    Some((|| {
        let (from, to) = (parse(a)?, parse(b)?);
        let step = step.map(parse).transpose()?.unwrap_or(1);
        if step == 0 {
            return Err(PatternError::ZeroStep {
                group: inner.to_string(),
            });
        }
        if from > to {
            return Err(PatternError::Backwards {
                group: inner.to_string(),
                from,
                to,
            });
        }
        let width = if a.len() > 1 && a.starts_with('0') {
            a.len()
        } else {
            0
        };
        Ok(Part::Range {
            from,
            to,
            step,
            width,
        })
    })())
}

fn parse(line: &str) -> Result<Vec<Part>, PatternError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let group = match c {
            '[' => rest.find(']').and_then(|end| Some((range(&rest[1..end])?, end))),
            '{' => rest.find('}').and_then(|end| {
                let inner = &rest[1..end];
                inner.contains(',').then(|| {
                    (
                        Ok(Part::List(inner.split(',').map(str::to_string).collect())),
                        end,
                    )
                })
            }),
            _ => None,
        };
        match group {
            Some((part, end)) => {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(part?);
                rest = &rest[end + 1..];
            }
            None => {
                text.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

/// How many URLs `line` stands for, without making them: the add dialog
/// shows this live as the user types.
pub fn count(line: &str) -> Result<u128, PatternError> {
    Ok(parse(line)?
        .iter()
        .map(Part::len)
        .fold(1u128, |a, n| a.saturating_mul(n)))
}

/// The first and the last URL `line` stands for, without making the others
/// (the add dialog checks these two as the user types).
pub fn ends(line: &str) -> Result<(String, String), PatternError> {
    let parts = parse(line)?;
    let (mut first, mut last) = (String::new(), String::new());
    for part in &parts {
        part.item(0, &mut first);
        part.item(part.len() - 1, &mut last);
    }
    Ok((first, last))
}

/// The URLs `line` stands for, in order, refusing more than `cap`.
pub fn expand(line: &str, cap: usize) -> Result<Vec<String>, PatternError> {
    let parts = parse(line)?;
    let total = parts
        .iter()
        .map(Part::len)
        .fold(1u128, |a, n| a.saturating_mul(n));
    if total > cap as u128 {
        return Err(PatternError::TooMany { count: total, cap });
    }
    let mut out = Vec::with_capacity(total as usize);
    for mut i in 0..total {
        // Mixed radix, the last group changing fastest.
        let mut picks = vec![0u128; parts.len()];
        for (k, part) in parts.iter().enumerate().rev() {
            picks[k] = i % part.len();
            i /= part.len();
        }
        let mut url = String::with_capacity(line.len() + 8);
        for (part, pick) in parts.iter().zip(picks) {
            part.item(pick, &mut url);
        }
        out.push(url);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_pad_and_step() {
        let urls = expand("https://host/13052/[1-64].jpg", DEFAULT_CAP).unwrap();
        assert_eq!(urls.len(), 64);
        assert_eq!(urls[0], "https://host/13052/1.jpg");
        assert_eq!(urls[63], "https://host/13052/64.jpg");
        let padded = expand("http://h/[001-064].jpg", DEFAULT_CAP).unwrap();
        assert_eq!(padded[0], "http://h/001.jpg");
        assert_eq!(padded[63], "http://h/064.jpg");
        let stepped = expand("http://h/p[0-100:10]", DEFAULT_CAP).unwrap();
        assert_eq!(stepped.len(), 11);
        assert_eq!(stepped[10], "http://h/p100");
        assert_eq!(count("http://h/p[0-100:10]").unwrap(), 11);
        let (first, last) = ends("http://h/{a,b}/[001-124:7]").unwrap();
        assert_eq!(
            (first.as_str(), last.as_str()),
            ("http://h/a/001", "http://h/b/120")
        );
    }

    #[test]
    fn lists_and_groups_multiply_left_to_right() {
        let urls = expand("http://h/{a,b}/[1-2].png", DEFAULT_CAP).unwrap();
        assert_eq!(
            urls,
            [
                "http://h/a/1.png",
                "http://h/a/2.png",
                "http://h/b/1.png",
                "http://h/b/2.png"
            ]
        );
    }

    #[test]
    fn what_is_not_a_group_stays_literal() {
        for line in [
            "http://[::1]:8080/a",
            "http://h/{x}",
            "http://h/[a-z]",
            "http://h/a[1-",
            "http://h/中文",
        ] {
            assert_eq!(expand(line, DEFAULT_CAP).unwrap(), [line]);
        }
    }

    #[test]
    fn bad_ranges_and_huge_batches_are_refused_with_a_reason() {
        assert!(matches!(
            expand("http://h/[9-1]", 10),
            Err(PatternError::Backwards { .. } | PatternError::ZeroStep { .. })
        ));
        assert!(matches!(
            expand("http://h/[1-9:0]", 10),
            Err(PatternError::Backwards { .. } | PatternError::ZeroStep { .. })
        ));
        let err = expand("http://h/[1-100]/[1-200]", DEFAULT_CAP).unwrap_err();
        assert_eq!(
            err,
            PatternError::TooMany {
                count: 20_000,
                cap: 10_000
            }
        );
        assert!(err.to_string().contains("20000"));
        assert_eq!(count("http://h/[1-100]/[1-200]").unwrap(), 20_000);
        // The count never overflows, however silly the pattern.
        assert!(count(&"[0-18446744073709551615]".repeat(4)).unwrap() > 10_000);
    }
}

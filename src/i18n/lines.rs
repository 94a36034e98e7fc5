//! The add field's lines checked for the window: how many URLs each stands
//! for, or why it cannot be queued, in the window's language.

use super::{error, metalink_error, option_error, pattern_error, tr};
use crate::input::{self, LineError};

/// What one line of the field amounts to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineCheck {
    Blank,
    /// It stands for this many URLs.
    Ok(u128),
    Bad(String),
}

/// The field's lines, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    pub lines: Vec<LineCheck>,
    pub urls: u128,
    pub bad: usize,
}

/// Checks a line without expanding it (see [`input::check`]).
pub fn check_line(line: &str, cap: usize) -> LineCheck {
    match input::check(line, cap) {
        Ok(None) => LineCheck::Blank,
        Ok(Some(n)) => LineCheck::Ok(n),
        Err(e) => LineCheck::Bad(line_error(&e)),
    }
}

/// Why a line cannot be queued, in the window's language.
pub fn line_error(e: &LineError) -> String {
    match e {
        LineError::Option(e) => option_error(e),
        LineError::Metalink(e) => metalink_error(e),
        LineError::Pattern(e) => pattern_error(e),
        LineError::Url(e) => error(e),
        LineError::ShaOneFile(n) => tr!(ShaOneFileLine, n = n),
    }
}

pub fn analyse(text: &str, cap: usize) -> Analysis {
    let mut a = Analysis::default();
    for line in text.lines() {
        let check = check_line(line, cap);
        match &check {
            LineCheck::Ok(n) => a.urls += n,
            LineCheck::Bad(_) => a.bad += 1,
            LineCheck::Blank => {}
        }
        a.lines.push(check);
    }
    a
}

//! `~/.netrc`, read the way curl reads it: `machine HOST login USER
//! password PASS` entries, a `default` entry for any other host, `macdef`
//! blocks skipped, and quoted tokens with backslash escapes.

use std::path::{Path, PathBuf};

/// A user name and password.
#[derive(Clone, PartialEq, Eq)]
struct Login {
    user: String,
    password: String,
}

/// The entries of one netrc file.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Netrc {
    machines: Vec<(String, Login)>,
    default: Option<Login>,
}

impl std::fmt::Debug for Netrc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hosts: Vec<&str> = self.machines.iter().map(|(h, _)| h.as_str()).collect();
        f.debug_struct("Netrc")
            .field("machines", &hosts)
            .field("default", &self.default.is_some())
            .finish()
    }
}

/// `~/.netrc` (`_netrc` on Windows, as curl looks for it).
pub fn default_path() -> Option<PathBuf> {
    let home = dirs::home_dir()?;
    let name = if cfg!(windows) { "_netrc" } else { ".netrc" };
    Some(home.join(name))
}

/// The file's tokens: words, or quoted strings with `\"`, `\\`, `\n`.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        // A `#` starting a token comments out the rest of the line.
        if c == '#' {
            for c in chars.by_ref() {
                if c == '\n' {
                    break;
                }
            }
            continue;
        }
        let mut token = String::new();
        if c == '"' {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => token.push('\n'),
                        Some('r') => token.push('\r'),
                        Some('t') => token.push('\t'),
                        Some(other) => token.push(other),
                        None => {}
                    },
                    c => token.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                token.push(c);
                chars.next();
            }
        }
        out.push(token);
    }
    out
}

impl Netrc {
    pub fn parse(text: &str) -> Netrc {
        // A `macdef` body runs to the next blank line: drop those first.
        let mut kept = String::new();
        let mut in_macro = false;
        for line in text.lines() {
            if in_macro {
                in_macro = !line.trim().is_empty();
                continue;
            }
            if line.split_whitespace().any(|w| w == "macdef") {
                in_macro = true;
                let before = line.split("macdef").next().unwrap_or("");
                kept.push_str(before);
                kept.push('\n');
                continue;
            }
            kept.push_str(line);
            kept.push('\n');
        }
        let mut netrc = Netrc::default();
        // The entry being read: its host (`None` for `default`), login, password.
        let mut entry: Option<(Option<String>, Option<String>, Option<String>)> = None;
        let finish = |entry: Option<(Option<String>, Option<String>, Option<String>)>, netrc: &mut Netrc| {
            if let Some((host, Some(user), password)) = entry {
                let login = Login {
                    user,
                    password: password.unwrap_or_default(),
                };
                match host {
                    Some(h) => netrc.machines.push((h.to_ascii_lowercase(), login)),
                    None if netrc.default.is_none() => netrc.default = Some(login),
                    None => {}
                }
            }
        };
        let toks = tokens(&kept);
        let mut it = toks.iter();
        while let Some(t) = it.next() {
            match t.as_str() {
                "machine" => {
                    finish(entry.take(), &mut netrc);
                    entry = it.next().map(|h| (Some(h.clone()), None, None));
                }
                "default" => {
                    finish(entry.take(), &mut netrc);
                    entry = Some((None, None, None));
                }
                "login" => {
                    if let (Some(e), Some(v)) = (entry.as_mut(), it.next()) {
                        e.1 = Some(v.clone());
                    }
                }
                "password" => {
                    if let (Some(e), Some(v)) = (entry.as_mut(), it.next()) {
                        e.2 = Some(v.clone());
                    }
                }
                "account" => {
                    it.next();
                }
                _ => {}
            }
        }
        finish(entry.take(), &mut netrc);
        netrc
    }

    /// Reads `path`; a missing file is an empty one (as curl treats it).
    pub fn load(path: &Path) -> Result<Netrc, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Netrc::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Netrc::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// The user and password for `host`: its own machine entry (the first
    /// one), else the default entry.
    pub fn login(&self, host: &str) -> Option<(&str, &str)> {
        let host = host.to_ascii_lowercase();
        self.machines
            .iter()
            .find(|(h, _)| *h == host)
            .map(|(_, l)| l)
            .or(self.default.as_ref())
            .map(|l| (l.user.as_str(), l.password.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_matched_by_host_and_default_comes_last() {
        let n = Netrc::parse(
            "# mine\nmachine files.example.com login alice password \"s3 cret\"\n\
             machine other.example login bob\n  password pw2 account x\n\
             macdef init\ncd /pub\nget a\n\n\
             default login anonymous password me@example.com\n",
        );
        assert_eq!(n.login("FILES.example.com"), Some(("alice", "s3 cret")));
        assert_eq!(n.login("other.example"), Some(("bob", "pw2")));
        assert_eq!(n.login("elsewhere").unwrap().0, "anonymous");
        assert!(!format!("{n:?}").contains("s3 cret"));
        let none = Netrc::parse("machine a login u password p");
        assert!(none.login("b").is_none());
    }
}

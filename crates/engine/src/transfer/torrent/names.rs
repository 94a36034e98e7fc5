//! The file names a torrent gives, checked before a byte is written: each
//! file's path must stay inside the torrent's folder and pass fanout's
//! name rules as it is. A `.torrent`'s own bytes are read here (its
//! bencoded `info`: `name`, and each `files[].path` list) before librqbit
//! sees them, so a refusal names the path as the torrent wrote it and
//! says why, rather than librqbit's "suspicious separator in filename".
//! A magnet's file list comes from its peers through librqbit, whose own
//! checks (`..`, separators) come first there; [`refusal`] then checks
//! the rest (reserved, over-long names) in [`super::plan`].

use crate::error::{Refusal, TorrentError};
use crate::naming;

/// Refuses the `.torrent` `bytes` when one of its paths would leave its
/// folder or break fanout's name rules. What is not a torrent passes:
/// librqbit says what is wrong with it.
pub(crate) fn check(bytes: &[u8]) -> Result<(), TorrentError> {
    let Some(paths) = paths(bytes) else {
        return Ok(());
    };
    for path in paths {
        let components: Vec<String> = path
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        if let Some(why) = refusal(&components) {
            return Err(TorrentError::Refused {
                path: components.join("/"),
                why,
            });
        }
    }
    Ok(())
}

/// Why a path (its components, as the torrent lists them) is refused, if
/// it is: the worst reason first.
pub(crate) fn refusal(components: &[String]) -> Option<Refusal> {
    let separators = |c: &str| c.contains(['/', '\\']);
    let pieces = || components.iter().flat_map(|c| c.split(['/', '\\']));
    let absolute = match components.first() {
        None => false,
        Some(first) => {
            let b = first.as_bytes();
            // `/x` or `\x` in one name; a first name that is empty (the
            // list ["", "etc", "x"] is written `/etc/x`); `C:`, `C:\x`.
            (components.len() > 1 && first.is_empty())
                || b.first().is_some_and(|&c| c == b'/' || c == b'\\')
                || (b.len() >= 2
                    && b[0].is_ascii_alphabetic()
                    && b[1] == b':'
                    && b.get(2).is_none_or(|&c| c == b'/' || c == b'\\'))
        }
    };
    if absolute {
        return Some(Refusal::Absolute);
    }
    if pieces().any(|p| p == "..") {
        return Some(Refusal::Outside);
    }
    if components.is_empty() || components.iter().any(|c| c.is_empty() || c == ".") {
        return Some(Refusal::Empty);
    }
    if components.iter().any(|c| separators(c)) {
        return Some(Refusal::Separator);
    }
    if components.iter().any(|c| c.len() > naming::MAX_NAME_BYTES) {
        return Some(Refusal::TooLong);
    }
    if components.iter().any(|c| naming::is_windows_reserved(c)) {
        return Some(Refusal::Reserved);
    }
    if components.iter().any(|c| !unchanged(c)) {
        return Some(Refusal::Character);
    }
    None
}

/// Whether one path component passes fanout's name rules unchanged: no
/// control character, no leading or trailing space, no trailing dot, not
/// only dots. The characters only Windows forbids (`:`, `?`…) pass here,
/// where they are written as they are.
fn unchanged(component: &str) -> bool {
    let windows_only: String = component
        .chars()
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    naming::sanitize(component).as_deref() == Some(windows_only.as_str())
}

/// Every path the torrent's `info` names, as lists of raw components:
/// the folder's name alone (several files) then each file's path, or
/// the one file's name. `None` when the bytes are not a torrent.
fn paths(bytes: &[u8]) -> Option<Vec<Vec<&[u8]>>> {
    let (torrent, _) = value(bytes, 0)?;
    let info = torrent.get(b"info")?;
    let name = info.get(b"name").and_then(Value::bytes);
    let mut paths = Vec::new();
    match info.get(b"files") {
        Some(Value::List(files)) => {
            if let Some(name) = name {
                paths.push(vec![name]);
            }
            for file in files {
                let path = match file.get(b"path") {
                    Some(Value::List(p)) => p.iter().filter_map(Value::bytes).collect(),
                    _ => Vec::new(),
                };
                paths.push(path);
            }
        }
        _ => paths.push(vec![name?]),
    }
    Some(paths)
}

/// A bencoded value, its strings borrowed from the torrent's bytes.
enum Value<'a> {
    Int,
    Bytes(&'a [u8]),
    List(Vec<Value<'a>>),
    Dict(Vec<(&'a [u8], Value<'a>)>),
}

impl<'a> Value<'a> {
    fn get(&self, key: &[u8]) -> Option<&Value<'a>> {
        match self {
            Value::Dict(pairs) => pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// Nesting deeper than this is no torrent (and would only use the stack).
const MAX_DEPTH: usize = 32;

/// The value at the start of `b`, and what follows it.
fn value(b: &[u8], depth: usize) -> Option<(Value<'_>, &[u8])> {
    if depth > MAX_DEPTH {
        return None;
    }
    match *b.first()? {
        b'i' => {
            let end = b.iter().position(|&c| c == b'e')?;
            Some((Value::Int, &b[end + 1..]))
        }
        b'l' => {
            let mut rest = &b[1..];
            let mut items = Vec::new();
            while *rest.first()? != b'e' {
                let (v, r) = value(rest, depth + 1)?;
                items.push(v);
                rest = r;
            }
            Some((Value::List(items), &rest[1..]))
        }
        b'd' => {
            let mut rest = &b[1..];
            let mut pairs = Vec::new();
            while *rest.first()? != b'e' {
                let (k, r) = string(rest)?;
                let (v, r) = value(r, depth + 1)?;
                pairs.push((k, v));
                rest = r;
            }
            Some((Value::Dict(pairs), &rest[1..]))
        }
        _ => string(b).map(|(s, r)| (Value::Bytes(s), r)),
    }
}

/// The byte string `N:…` at the start of `b`, and what follows it.
fn string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = b.iter().position(|&c| c == b':')?;
    let len: usize = std::str::from_utf8(&b[..colon]).ok()?.parse().ok()?;
    let rest = &b[colon + 1..];
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A torrent of `name` with files at `paths` (several: a folder).
    fn torrent(name: &str, paths: &[&[&str]]) -> Vec<u8> {
        let s = |t: &str| format!("{}:{t}", t.len());
        let files: String = paths
            .iter()
            .map(|p| {
                let list: String = p.iter().map(|c| s(c)).collect();
                format!("d6:lengthi5e4:pathl{list}ee")
            })
            .collect();
        format!(
            "d8:announce3:abc4:infod5:filesl{files}e4:name{}12:piece lengthi16384e6:pieces20:{}ee",
            s(name),
            "x".repeat(20)
        )
        .into_bytes()
    }

    /// A single-file torrent named `name`.
    fn single(name: &str) -> Vec<u8> {
        format!(
            "d4:infod6:lengthi5e4:name{}:{name}12:piece lengthi16384e6:pieces20:{}ee",
            name.len(),
            "x".repeat(20)
        )
        .into_bytes()
    }

    fn refused(path: &str, why: Refusal) -> Result<(), TorrentError> {
        Err(TorrentError::Refused {
            path: path.into(),
            why,
        })
    }

    #[test]
    fn each_refused_path_is_named_as_the_torrent_wrote_it_with_its_reason() {
        let long = "x".repeat(300);
        let long_in = format!("sub/{long}");
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<u8>, Result<(), TorrentError>)> = vec![
            ("fine", torrent("set", &[&["a.bin"], &["sub", "b.txt"], &["名前 é.dat"]]), Ok(())),
            ("windows-only characters", torrent("set", &[&["what?.txt"], &["a:b"]]), Ok(())),
            ("one file", single("a.iso"), Ok(())),
            ("up in one name", torrent("set", &[&["ok"], &["a/../../x"]]), refused("a/../../x", Refusal::Outside)),
            ("up as names", torrent("set", &[&["ok"], &["a", "..", "..", "x"]]), refused("a/../../x", Refusal::Outside)),
            ("up first", torrent("set", &[&["..", "x"]]), refused("../x", Refusal::Outside)),
            ("up by backslash", torrent("set", &[&["a\\..\\x"]]), refused("a\\..\\x", Refusal::Outside)),
            ("folder up", torrent("..", &[&["a"], &["b"]]), refused("..", Refusal::Outside)),
            ("single up", single(".."), refused("..", Refusal::Outside)),
            ("absolute", torrent("set", &[&["/etc/passwd"]]), refused("/etc/passwd", Refusal::Absolute)),
            ("absolute as names", torrent("set", &[&["", "etc", "x"]]), refused("/etc/x", Refusal::Absolute)),
            ("drive", torrent("set", &[&["C:\\x"]]), refused("C:\\x", Refusal::Absolute)),
            ("drive alone", torrent("set", &[&["c:", "x"]]), refused("c:/x", Refusal::Absolute)),
            ("single absolute", single("/x"), refused("/x", Refusal::Absolute)),
            ("separator", torrent("set", &[&["a/b"]]), refused("a/b", Refusal::Separator)),
            ("empty name", torrent("set", &[&["a", "", "b"]]), refused("a//b", Refusal::Empty)),
            ("dot", torrent("set", &[&[".", "b"]]), refused("./b", Refusal::Empty)),
            ("no path", torrent("set", &[&[]]), refused("", Refusal::Empty)),
            ("device", torrent("set", &[&["ok"], &["CON"]]), refused("CON", Refusal::Reserved)),
            ("device with extension", torrent("set", &[&["sub", "nul.txt"]]), refused("sub/nul.txt", Refusal::Reserved)),
            ("device port", torrent("set", &[&["com1"]]), refused("com1", Refusal::Reserved)),
            ("control character", torrent("set", &[&["a\u{1}b"]]), refused("a\u{1}b", Refusal::Character)),
            ("trailing dot", torrent("set", &[&["a."]]), refused("a.", Refusal::Character)),
            ("trailing space", torrent("set", &[&["a "]]), refused("a ", Refusal::Character)),
            ("over-long", torrent("set", &[&["sub", &long]]), refused(&long_in, Refusal::TooLong)),
            ("not a torrent", b"<html>".to_vec(), Ok(())),
            ("cut short", torrent("set", &[&["a/../x"]])[..40].to_vec(), Ok(())),
        ];
        for (case, bytes, want) in cases {
            assert_eq!(check(&bytes), want, "{case}");
        }
    }

    #[test]
    fn nesting_past_any_torrent_is_not_read() {
        let deep = format!("{}{}", "l".repeat(10_000), "e".repeat(10_000));
        assert_eq!(check(deep.as_bytes()), Ok(()));
    }

    #[test]
    fn the_message_says_what_was_refused_and_why() {
        let e = check(&torrent("set", &[&["a", "..", "..", "x"]])).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"refused: the torrent names a file outside its folder: "a/../../x""#
        );
    }
}

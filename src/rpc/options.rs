//! The options of `aria2.addUri` that browser extensions and web front
//! ends send, read into what a fanout download takes; the rest are named
//! back so the task's log can say they were not used.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::wire::RpcError;
use crate::engine::{EngineConfig, Header, naming, parse_rate, parse_sha256};
use crate::input::Options;

/// A download as `aria2.addUri` asked for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Add {
    pub url: String,
    pub dir: PathBuf,
    /// With the other URIs as `mirrors`.
    pub options: Options,
    /// Added paused (`pause=true`): waits for `unpause`.
    pub paused: bool,
    /// Options that were given and are not used.
    pub ignored: Vec<String>,
}

/// An option's value as text: aria2 takes strings, clients also send
/// numbers and booleans.
fn text(key: &str, v: &Value) -> Result<String, RpcError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(RpcError::params(format!("option {key} must be a string"))),
    }
}

/// `split=16` and the like: a count of connections, kept within fanout's.
pub fn connections(key: &str, v: &Value) -> Result<usize, RpcError> {
    let t = text(key, v)?;
    let n: usize = t
        .trim()
        .parse()
        .map_err(|_| RpcError::params(format!("{key}={t:?} is not a number")))?;
    Ok(n.clamp(1, EngineConfig::MAX_SEGMENTS))
}

/// A folder as aria2 takes it: absolute, or relative to the download folder.
pub fn folder(dir: &str, base: &Path) -> PathBuf {
    let d = Path::new(dir.trim());
    if dir.trim().is_empty() {
        base.to_path_buf()
    } else if d.is_absolute() {
        d.to_path_buf()
    } else {
        base.join(d)
    }
}

/// A rate as aria2 writes it (`2M`, `500K`, `0` for none).
pub fn rate(key: &str, v: &Value) -> Result<Option<u64>, RpcError> {
    let t = text(key, v)?;
    parse_rate(&t).map_err(|_| RpcError::params(format!("{key}={t:?} is not a rate")))
}

/// Reads `addUri`'s URIs and options; `base` is the download folder.
pub fn read_add(uris: &Value, options: Option<&Value>, base: &Path) -> Result<Add, RpcError> {
    let uris: Vec<String> = match uris {
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|u| u.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| RpcError::params("the URIs must be strings"))?,
        _ => return Err(RpcError::params("the first parameter must be a list of URIs")),
    };
    // The URIs are mirrors of one file: the first that can be fetched at
    // all goes first; the rest are tried in turn if it fails.
    let mut uris = uris;
    if let Some(i) = uris
        .iter()
        .position(|u| crate::engine::http::parse_url(u).is_ok())
    {
        let first = uris.remove(i);
        uris.insert(0, first);
    }
    let url = uris.remove(0);
    let empty = Map::new();
    let o = match options {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => return Err(RpcError::params("the options must be an object")),
    };
    let mut add = Add {
        url,
        dir: base.to_path_buf(),
        options: Options {
            mirrors: uris,
            ..Options::default()
        },
        paused: false,
        ignored: Vec::new(),
    };
    let (mut split, mut per_server) = (None, None);
    for (key, v) in o {
        let bad_header = |e| RpcError::params(format!("{key}: {e}"));
        match key.as_str() {
            "dir" => add.dir = folder(&text(key, v)?, base),
            "out" => {
                let t = text(key, v)?;
                let name = naming::sanitize(&t)
                    .ok_or_else(|| RpcError::params(format!("out={t:?} is not a file name")))?;
                add.options.name = Some(name);
            }
            "header" => {
                let lines = match v {
                    Value::Array(a) => a.iter().map(|l| text(key, l)).collect::<Result<Vec<_>, _>>()?,
                    other => vec![text(key, other)?],
                };
                for line in lines {
                    add.options
                        .headers
                        .push(Header::parse(&line).map_err(bad_header)?);
                }
            }
            "referer" | "user-agent" => {
                let h = Header::new(key, &text(key, v)?).map_err(bad_header)?;
                add.options.headers.push(h);
            }
            "max-download-limit" => add.options.rate_limit = rate(key, v)?,
            "split" => split = Some(connections(key, v)?),
            "max-connection-per-server" => per_server = Some(connections(key, v)?),
            "checksum" => {
                let t = text(key, v)?;
                match t.split_once('=') {
                    Some(("sha-256", hex)) => {
                        add.options.sha256 = Some(parse_sha256(hex).map_err(RpcError::params)?);
                    }
                    // md5, sha-1…: fanout checks SHA-256 only; say so
                    // rather than pretend the file was checked.
                    _ => add
                        .ignored
                        .push(format!("checksum={t} (only sha-256 is checked)")),
                }
            }
            "pause" => add.paused = text(key, v)? == "true",
            _ => add.ignored.push(key.clone()),
        }
    }
    // aria2 opens min(split, connections per server) to one server.
    add.options.segments = match (split, per_server) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok(add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_extensions_send_reaches_the_download() {
        let o = json!({
            "dir": "sub", "out": "a.bin", "header": ["Cookie: sid=1", "X-A: b"],
            "referer": "https://r/", "user-agent": "UA 1", "max-download-limit": "2M",
            "split": "16", "max-connection-per-server": "4", "pause": "true",
            "checksum": format!("sha-256={}", "ab".repeat(32)), "seed-time": "0",
        });
        let a = read_add(&json!(["magnet:?x", "http://h/a"]), Some(&o), Path::new("/dl")).unwrap();
        assert_eq!(a.url, "http://h/a");
        assert_eq!(a.options.mirrors, vec!["magnet:?x".to_string()]);
        assert_eq!(a.dir, PathBuf::from("/dl/sub"));
        assert_eq!(a.options.name.as_deref(), Some("a.bin"));
        assert_eq!(a.options.headers.get("cookie").as_deref(), Some("sid=1"));
        assert_eq!(a.options.headers.get("user-agent").as_deref(), Some("UA 1"));
        assert_eq!(a.options.headers.get("referer").as_deref(), Some("https://r/"));
        assert_eq!(a.options.rate_limit, Some(2 << 20));
        assert_eq!(a.options.segments, Some(4));
        assert_eq!(a.options.sha256, Some([0xab; 32]));
        assert!(a.paused);
        assert_eq!(a.ignored, vec!["seed-time".to_string()]);
        let abs = read_add(
            &json!(["http://h/a"]),
            Some(&json!({"dir": "/x", "header": "A: 1"})),
            Path::new("/dl"),
        );
        assert_eq!(abs.unwrap().dir, PathBuf::from("/x"));
        for bad in [
            json!({"header": "Bad\r\nHeader: 1"}),
            json!({"out": ".."}),
            json!({"split": "x"}),
        ] {
            assert!(
                read_add(&json!(["http://h/a"]), Some(&bad), Path::new("/dl")).is_err(),
                "{bad}"
            );
        }
        assert!(read_add(&json!([]), None, Path::new("/dl")).is_err());
        assert!(read_add(&json!("http://h/a"), None, Path::new("/dl")).is_err());
    }
}

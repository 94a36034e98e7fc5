//! The options of `aria2.addUri` (and `addTorrent`) that browser
//! extensions and web front ends send, read into what a fanout download
//! takes; the rest are named back so the task's log can say they were not
//! used.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::status::Download;
use super::wire::ErrorObject;
use crate::engine::{
    EngineConfig, Header, TorrentOptions, naming, parse_minutes, parse_rate, parse_ratio, parse_select,
    parse_sha256,
};
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
    /// The gid the client chose (`gid`), as given: checked when added.
    pub gid: Option<String>,
}

/// An option's value as text: aria2 takes strings, clients also send
/// numbers and booleans.
fn text(key: &str, v: &Value) -> Result<String, ErrorObject> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(ErrorObject::params(format!("option {key} must be a string"))),
    }
}

/// `split=16` and the like: a count of connections, kept within fanout's.
pub fn connections(key: &str, v: &Value) -> Result<usize, ErrorObject> {
    let t = text(key, v)?;
    let n: usize = t
        .trim()
        .parse()
        .map_err(|_| ErrorObject::params(format!("{key}={t:?} is not a number")))?;
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
pub fn rate(key: &str, v: &Value) -> Result<Option<u64>, ErrorObject> {
    let t = text(key, v)?;
    parse_rate(&t).map_err(|_| ErrorObject::params(format!("{key}={t:?} is not a rate")))
}

/// aria2's seeding ratio when a client sets none (its `seed-ratio`
/// default, 1.0); fanout's settings have no default of their own.
pub const DEFAULT_SEED_RATIO_MILLI: u64 = 1000;

/// A torrent's option in aria2's words, into `t`; false for a key that is
/// not one.
pub fn torrent_option(key: &str, v: &Value, t: &mut TorrentOptions) -> Result<bool, ErrorObject> {
    let bad = |what: &str| ErrorObject::params(format!("{key}={v}: expected {what}"));
    match key {
        "select-file" => {
            t.select = Some(parse_select(&text(key, v)?).ok_or_else(|| bad("1-based files, as 1,3-4"))?);
        }
        "seed-ratio" => t.seed.ratio_milli = Some(parse_ratio(&text(key, v)?).ok_or_else(|| bad("a ratio"))?),
        "seed-time" => t.seed.time = Some(parse_minutes(&text(key, v)?).ok_or_else(|| bad("minutes"))?),
        "bt-tracker" => {
            t.trackers = text(key, v)?
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_string)
                .collect();
        }
        "pause-metadata" => t.pause_metadata = text(key, v)? == "true",
        "max-upload-limit" => t.upload_limit = rate(key, v)?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// The first parameter of `addTorrent` and `addMetalink`: a file's bytes
/// in base64 (`what` names the file in the errors).
pub fn base64_param(p: &[Value], what: &str) -> Result<Vec<u8>, ErrorObject> {
    use base64::Engine;
    let text = p
        .first()
        .and_then(Value::as_str)
        .ok_or_else(|| ErrorObject::params(format!("the first parameter must be the {what} in base64")))?;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| ErrorObject::failed(format!("the {what} is not base64: {e}")))
}

/// Reads `addUri`'s URIs and options; `base` is the download folder.
pub fn read_add(uris: &Value, options: Option<&Value>, base: &Path) -> Result<Add, ErrorObject> {
    let uris: Vec<String> = match uris {
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|u| u.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| ErrorObject::params("the URIs must be strings"))?,
        _ => return Err(ErrorObject::params("the first parameter must be a list of URIs")),
    };
    // The URIs are mirrors of one file: the first that can be fetched at
    // all goes first; the rest are tried in turn if it fails.
    let mut uris = uris;
    if let Some(i) = uris.iter().position(|u| crate::engine::parse_url(u).is_ok()) {
        let first = uris.remove(i);
        uris.insert(0, first);
    }
    let url = uris.remove(0);
    let empty = Map::new();
    let o = match options {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(o)) => o,
        Some(_) => return Err(ErrorObject::params("the options must be an object")),
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
        gid: None,
    };
    let (mut split, mut per_server) = (None, None);
    for (key, v) in o {
        let bad_header = |e| ErrorObject::params(format!("{key}: {e}"));
        match key.as_str() {
            "dir" => add.dir = folder(&text(key, v)?, base),
            "out" => {
                let t = text(key, v)?;
                let name = naming::sanitize(&t)
                    .ok_or_else(|| ErrorObject::params(format!("out={t:?} is not a file name")))?;
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
                        add.options.sha256 = Some(parse_sha256(hex).map_err(ErrorObject::params)?);
                    }
                    // md5, sha-1…: fanout checks SHA-256 only; say so
                    // rather than pretend the file was checked.
                    _ => add
                        .ignored
                        .push(format!("checksum={t} (only sha-256 is checked)")),
                }
            }
            "pause" => add.paused = text(key, v)? == "true",
            "gid" => add.gid = Some(text(key, v)?),
            _ => {
                if !torrent_option(key, v, &mut add.options.torrent)? {
                    add.ignored.push(key.clone());
                }
            }
        }
    }
    // A torrent seeds as aria2's would: to a ratio of 1.0 unless told.
    let seed = &mut add.options.torrent.seed;
    if seed.ratio_milli.is_none() && super::bt::is_torrent_source(&add.url) {
        seed.ratio_milli = Some(DEFAULT_SEED_RATIO_MILLI);
    }
    // aria2 opens min(split, connections per server) to one server.
    add.options.segments = match (split, per_server) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Ok(add)
}

/// A download's own options in aria2's words (what it was given).
pub fn task_options(d: &Download) -> Value {
    let o = &d.options;
    let mut v = json!({
        "dir": d.dir.display().to_string(),
        "max-download-limit": o.rate_limit.unwrap_or(0).to_string(),
    });
    if let Some(k) = o.segments {
        v["split"] = json!(k.to_string());
        v["max-connection-per-server"] = json!(k.to_string());
    }
    if let Some(name) = &o.name {
        v["out"] = json!(name);
    }
    if let Some(digest) = &o.sha256 {
        v["checksum"] = json!(format!("sha-256={}", crate::engine::hex(digest)));
    }
    let headers: Vec<String> = o.headers.iter().map(|h| h.line()).collect();
    if !headers.is_empty() {
        v["header"] = json!(headers);
    }
    let t = &o.torrent;
    if let Some(select) = &t.select {
        v["select-file"] = json!(crate::engine::select_text(select));
    }
    if let Some(r) = t.seed.ratio_milli {
        v["seed-ratio"] = json!(crate::engine::ratio_text(r));
    }
    if let Some(time) = t.seed.time {
        v["seed-time"] = json!(crate::engine::minutes_text(time));
    }
    if !t.trackers.is_empty() {
        v["bt-tracker"] = json!(t.trackers.join(","));
    }
    if let Some(r) = t.upload_limit {
        v["max-upload-limit"] = json!(r.to_string());
    }
    if t.pause_metadata {
        v["pause-metadata"] = json!("true");
    }
    v
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
        assert_eq!(a.options.torrent.seed.time, Some(std::time::Duration::ZERO));
        assert_eq!(a.options.torrent.seed.ratio_milli, None, "not a torrent");
        assert!(a.ignored.is_empty());
        let t = read_add(
            &json!(["magnet:?xt=urn:btih:ab"]),
            Some(
                &json!({"select-file": "1,3-4", "bt-tracker": "http://t/a, http://u/b",
                "pause-metadata": "true", "max-upload-limit": "100K", "seed-time": "1.5"}),
            ),
            Path::new("/dl"),
        )
        .unwrap()
        .options
        .torrent;
        assert_eq!(t.select, Some(vec![0, 2, 3]));
        assert_eq!(t.trackers, ["http://t/a", "http://u/b"]);
        assert!(t.pause_metadata);
        assert_eq!(t.upload_limit, Some(100 << 10));
        assert_eq!(t.seed.time, Some(std::time::Duration::from_secs(90)));
        assert_eq!(t.seed.ratio_milli, Some(1000), "aria2's default ratio");
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

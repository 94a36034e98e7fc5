//! `getGlobalOption` and `changeGlobalOption`: the options fanout applies
//! to every download, in aria2's words (and `getOption`: a download's own
//! over them). A change is all or nothing: an option fanout does not apply
//! is refused by name (unless it is given the value it already has, as
//! front ends send back what they read), so a client is never told `OK`
//! for something that did not happen.

use std::path::PathBuf;

use serde_json::{Map, Value, json};

use super::options::{DEFAULT_SEED_RATIO_MILLI, connections, folder, rate, task_options};
use super::status::Download;
use super::wire::ErrorObject;

/// The settings a web front end reads and changes with
/// `getGlobalOption`/`changeGlobalOption`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Global {
    pub dir: PathBuf,
    /// Downloads at once (`max-concurrent-downloads`).
    pub max_concurrent: usize,
    /// Over all downloads (`max-overall-download-limit`), bytes per second.
    pub overall_limit: Option<u64>,
    /// Each new download's own limit (`max-download-limit`), bytes per
    /// second, when it sets none.
    pub task_limit: Option<u64>,
    /// Connections per file (`split`).
    pub split: usize,
    /// Over all torrents (`max-overall-upload-limit`), bytes per second.
    pub upload_limit: Option<u64>,
    /// The port peers connect to (`listen-port`), when one is set.
    pub bt_port: Option<u16>,
    /// The DHT (`enable-dht`).
    pub dht: bool,
    /// Where `saveSession` writes (`save-session`), when set.
    pub session_file: Option<PathBuf>,
}

/// A change to [`Global`]: what was given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobalChange {
    pub dir: Option<PathBuf>,
    pub max_concurrent: Option<usize>,
    pub overall_limit: Option<Option<u64>>,
    pub task_limit: Option<Option<u64>>,
    pub split: Option<usize>,
    pub upload_limit: Option<Option<u64>>,
    pub session_file: Option<PathBuf>,
}

/// `getGlobalOption`: every option fanout applies, with its value.
pub fn global_options(g: &Global) -> Value {
    let mut o = json!({
        "dir": g.dir.display().to_string(),
        "max-concurrent-downloads": g.max_concurrent.to_string(),
        "max-overall-download-limit": g.overall_limit.unwrap_or(0).to_string(),
        "max-download-limit": g.task_limit.unwrap_or(0).to_string(),
        "split": g.split.to_string(),
        "max-connection-per-server": g.split.to_string(),
        "max-overall-upload-limit": g.upload_limit.unwrap_or(0).to_string(),
        "listen-port": g.bt_port.map_or_else(|| "0".to_string(), |p| p.to_string()),
        "enable-dht": g.dht.to_string(),
        "seed-ratio": crate::engine::ratio_text(DEFAULT_SEED_RATIO_MILLI),
    });
    if let Some(path) = &g.session_file {
        o["save-session"] = json!(path.display().to_string());
    }
    o
}

/// `getOption`: every option fanout applies to a download, in aria2's
/// words: its own, and the ones it runs by from the settings (`g`).
pub fn all_task_options(d: &Download, g: &Global) -> Value {
    let mut v = task_options(d);
    let split = d.options.segments.unwrap_or(g.split).to_string();
    let defaults = [
        ("split", split.clone()),
        ("max-connection-per-server", split),
        ("max-upload-limit", "0".to_string()),
        ("pause-metadata", "false".to_string()),
        ("seed-ratio", crate::engine::ratio_text(DEFAULT_SEED_RATIO_MILLI)),
    ];
    for (key, value) in defaults {
        if v.get(key).is_none() {
            v[key] = json!(value);
        }
    }
    v
}

/// An option's value as text (clients send strings, numbers, booleans).
fn text(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}

/// The refusal of an option fanout does not apply (or not to this).
pub fn not_applied(key: &str) -> ErrorObject {
    ErrorObject::failed(format!(
        "fanout does not apply the option '--{key}': nothing was changed"
    ))
}

/// `changeGlobalOption`'s options read into one change, or the first one
/// fanout cannot apply, by name.
pub fn global_change(o: &Map<String, Value>, now: &Global) -> Result<GlobalChange, ErrorObject> {
    let mut c = GlobalChange::default();
    let current = global_options(now);
    for (key, v) in o {
        let text = text(v);
        match key.as_str() {
            "dir" => c.dir = Some(folder(&text, &now.dir)),
            "max-overall-download-limit" => c.overall_limit = Some(rate(key, v)?),
            "max-download-limit" => c.task_limit = Some(rate(key, v)?),
            "max-overall-upload-limit" => c.upload_limit = Some(rate(key, v)?),
            "max-concurrent-downloads" => {
                let n: usize = text
                    .trim()
                    .parse()
                    .map_err(|_| ErrorObject::params(format!("{key}={text:?} is not a number")))?;
                c.max_concurrent = Some(n.max(1));
            }
            "split" | "max-connection-per-server" => c.split = Some(connections(key, v)?),
            "save-session" if !text.trim().is_empty() => c.session_file = Some(folder(&text, &now.dir)),
            // What fanout reports and does not change here (the torrent
            // port, the DHT, the seeding ratio), or does not apply at all:
            // accepted only as it is, as a front end sends back what it
            // read (see docs/browser.md).
            _ if current.get(key).is_some_and(|now| *now == json!(text)) => {}
            _ => return Err(not_applied(key)),
        }
    }
    Ok(c)
}

//! Reads a Metalink: the XML that lists files with their mirrors, size
//! and hashes. Both formats are read: RFC 5854's `.meta4`
//! (`urn:ietf:params:xml:ns:metalink`, `<file>` under the root, mirrors
//! ranked by `priority`, 1 first) and the older v3 `.metalink`
//! (`http://www.metalinker.org/`, `<files><file>`, mirrors ranked by
//! `preference`, 100 first).
//!
//! A file becomes one download: its http(s) URLs best first (the first
//! is the download's URL, the others its mirrors), its name and its
//! SHA-256, the only hash fanout checks. Other hashes (MD5, SHA-1,
//! SHA-512) are listed in [`MetalinkFile::unchecked`] so the caller can
//! say the file is not verified. Other URLs (FTP, a torrent's
//! `metaurl`, v3's `type="bittorrent"`) are left out.
//!
//! A file name that would leave the download folder (`..`, an absolute
//! path, a drive letter) refuses the whole metalink, as a torrent with such
//! a name is refused: a document that tries it is not trusted for the rest.

/// Bigger than any real metalink (a Linux ISO's, with hundreds of
/// mirrors and piece hashes, is under 200 kB): a bigger file is not one.
pub const MAX_BYTES: u64 = 4 << 20;

/// One file of a metalink, as fanout will download it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetalinkFile {
    /// The name as the metalink wrote it (checked: relative, no `..`);
    /// it may hold folders (`dir/a.iso`).
    pub name: String,
    /// Its size in bytes, when given.
    pub size: Option<u64>,
    /// Its http(s) URLs, best first.
    pub urls: Vec<String>,
    /// The SHA-256 the file must have, when given.
    pub sha256: Option<[u8; 32]>,
    /// The hashes given that fanout cannot check (`md5`, `sha-1`…), as the
    /// metalink names them; empty when a SHA-256 is given.
    pub unchecked: Vec<String>,
}

/// Why a metalink was not read. `Display` says it for a person.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetalinkError {
    #[error("not a metalink: the XML could not be read ({0})")]
    Xml(String),
    #[error("not a metalink: the document is <{0}>, not <metalink>")]
    NotMetalink(String),
    #[error("the metalink lists no file")]
    NoFile,
    #[error("the metalink has a file without a name")]
    NoName,
    #[error("refused: the metalink names a file outside its folder: {0:?}")]
    UnsafeName(String),
    #[error("the metalink's file {name:?} has no http(s) URL to download it from")]
    NoUrl { name: String },
    #[error("the metalink's file {name:?} has a SHA-256 that is not 64 hex digits: {hash:?}")]
    BadHash { name: String, hash: String },
    #[error("the metalink's file {name:?} has a size that is not a number: {size:?}")]
    BadSize { name: String, size: String },
    #[error("the metalink is too big ({0} bytes): a metalink is at most 4 MiB")]
    TooBig(u64),
}

/// Whether `text` (a path or a URL) names a metalink by its extension:
/// `.meta4` or `.metalink`, before any `?query` or `#fragment`.
pub fn is_metalink_name(text: &str) -> bool {
    let text = text.trim();
    let path = match url::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https" | "file") => u.path().to_string(),
        _ => text.to_string(),
    };
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".meta4") || lower.ends_with(".metalink")
}

/// Reads a metalink's bytes (v4 or v3) into its files, in document order.
pub fn parse(bytes: &[u8]) -> Result<Vec<MetalinkFile>, MetalinkError> {
    if bytes.len() as u64 > MAX_BYTES {
        return Err(MetalinkError::TooBig(bytes.len() as u64));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| MetalinkError::Xml("it is not UTF-8".into()))?;
    let root = root_name(text)?;
    if root != "metalink" {
        return Err(MetalinkError::NotMetalink(root));
    }
    let doc: xml::Metalink = quick_xml::de::from_str(text).map_err(|e| MetalinkError::Xml(e.to_string()))?;
    // v4 lists files under the root, v3 under <files>; the ranks differ.
    let v4 = doc.files.into_iter().map(|f| (f, Rank::Priority));
    let v3 = doc
        .v3_files
        .into_iter()
        .flat_map(|f| f.files)
        .map(|f| (f, Rank::Preference));
    let files = v4
        .chain(v3)
        .map(|(f, rank)| file(f, rank))
        .collect::<Result<Vec<_>, _>>()?;
    if files.is_empty() {
        return Err(MetalinkError::NoFile);
    }
    Ok(files)
}

/// The root element's name (without a namespace prefix), or the XML
/// reader's error for a document that is not well-formed up to there.
fn root_name(text: &str) -> Result<String, MetalinkError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                return Ok(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
            }
            Ok(Event::Eof) => return Err(MetalinkError::Xml("the document is empty".into())),
            Ok(_) => {}
            Err(e) => return Err(MetalinkError::Xml(e.to_string())),
        }
    }
}

/// How a format ranks its URLs.
#[derive(Clone, Copy)]
enum Rank {
    /// v4: `priority` 1 to 999999, 1 first; none is last.
    Priority,
    /// v3: `preference` 0 to 100, 100 first; none is 0.
    Preference,
}

fn file(f: xml::File, rank: Rank) -> Result<MetalinkFile, MetalinkError> {
    let name = f.name.map(|n| n.trim().to_string()).unwrap_or_default();
    if name.is_empty() {
        return Err(MetalinkError::NoName);
    }
    if !is_safe_name(&name) {
        return Err(MetalinkError::UnsafeName(name));
    }
    let size = match f.size.as_deref().map(str::trim) {
        None => None,
        Some(s) => Some(s.parse().map_err(|_| MetalinkError::BadSize {
            name: name.clone(),
            size: s.to_string(),
        })?),
    };
    let hashes = f
        .hashes
        .into_iter()
        .chain(f.verification.into_iter().flat_map(|v| v.hashes));
    let (mut sha256, mut unchecked) = (None, Vec::new());
    for h in hashes {
        let kind = h.kind.unwrap_or_default().trim().to_ascii_lowercase();
        let value = h.value.trim();
        if kind.replace('-', "") == "sha256" {
            let digest = super::job::parse_sha256(value).map_err(|_| MetalinkError::BadHash {
                name: name.clone(),
                hash: value.to_string(),
            })?;
            sha256 = Some(digest);
        } else if !kind.is_empty() && !unchecked.contains(&kind) {
            unchecked.push(kind);
        }
    }
    if sha256.is_some() {
        unchecked.clear();
    }
    let mut urls: Vec<(i64, String)> = f
        .urls
        .into_iter()
        .chain(f.resources.into_iter().flat_map(|r| r.urls))
        .filter(|u| {
            u.kind
                .as_deref()
                .is_none_or(|k| matches!(k.trim(), "http" | "https"))
        })
        .filter_map(|u| {
            let text = u.url.trim().to_string();
            let scheme = url::Url::parse(&text).ok()?.scheme().to_string();
            let key = match rank {
                Rank::Priority => number(&u.priority).unwrap_or(999_999),
                Rank::Preference => -number(&u.preference).unwrap_or(0),
            };
            matches!(scheme.as_str(), "http" | "https").then_some((key, text))
        })
        .collect();
    // Stable: equal ranks keep the document's order.
    urls.sort_by_key(|(key, _)| *key);
    if urls.is_empty() {
        return Err(MetalinkError::NoUrl { name });
    }
    Ok(MetalinkFile {
        name,
        size,
        urls: urls.into_iter().map(|(_, u)| u).collect(),
        sha256,
        unchecked,
    })
}

fn number(attribute: &Option<String>) -> Option<i64> {
    attribute.as_deref()?.trim().parse().ok()
}

/// Whether a metalink's file name stays inside the download folder, as
/// aria2 checks it (its `detectDirTraversal`): relative, no `.` or `..`
/// part, no empty part, no drive letter, no control character.
pub fn is_safe_name(name: &str) -> bool {
    let absolute = name.starts_with(['/', '\\'])
        || name
            .as_bytes()
            .get(1)
            .is_some_and(|&b| b == b':' && name.as_bytes()[0].is_ascii_alphabetic());
    !absolute
        && !name.chars().any(char::is_control)
        && name
            .split(['/', '\\'])
            .all(|part| !matches!(part, "" | "." | ".."))
}

mod xml;

#[cfg(test)]
mod tests;

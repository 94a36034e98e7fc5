//! A file that is already there, for `--if-exists skip|update`: what a
//! conditional request asks with (`If-Modified-Since` from its
//! modification time, `If-None-Match` from the ETag kept in an extended
//! attribute), and the stamp a fresh copy gets (its modification time set
//! from `Last-Modified`, as `wget -N` and `curl -R` do, and the ETag).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use reqwest::header::{ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};

/// Where the ETag of a file is kept (the `user.` namespace: no privilege
/// needed; a file system without extended attributes keeps none, and then
/// only the modification time is asked by).
#[cfg(target_os = "linux")]
const ETAG_XATTR: &str = "user.fanout.etag";

/// The file `name` in `dir`, when it is a file.
pub(crate) fn file(dir: &Path, name: &str) -> Option<PathBuf> {
    let path = dir.join(name);
    path.symlink_metadata().is_ok_and(|m| m.is_file()).then_some(path)
}

/// The headers of a request that wants the body only if it changed.
pub(crate) fn conditional_headers(path: &Path) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(t) = std::fs::metadata(path).ok().and_then(|m| m.modified().ok())
        && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(t))
    {
        h.insert(IF_MODIFIED_SINCE, v);
    }
    if let Some(v) = etag_of(path).and_then(|e| HeaderValue::from_str(&e).ok()) {
        h.insert(IF_NONE_MATCH, v);
    }
    h
}

#[cfg(target_os = "linux")]
fn etag_of(path: &Path) -> Option<String> {
    let mut buf = vec![0u8; 512];
    let n = rustix::fs::getxattr(path, ETAG_XATTR, &mut buf[..]).ok()?;
    String::from_utf8(buf[..n].to_vec()).ok()
}

#[cfg(not(target_os = "linux"))]
fn etag_of(_: &Path) -> Option<String> {
    None
}

/// What a fresh copy of a file is stamped with once it has its name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stamp {
    modified: Option<SystemTime>,
    etag: Option<String>,
}

impl Stamp {
    /// From the response's `Last-Modified` and `ETag`.
    pub(crate) fn of(headers: &HeaderMap) -> Stamp {
        let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
        Stamp {
            modified: text(LAST_MODIFIED).and_then(|t| httpdate::parse_http_date(t).ok()),
            etag: text(ETAG).map(str::to_string),
        }
    }

    /// Stamps `path`; a file system that cannot is left as it is (the file
    /// itself is complete either way).
    pub(crate) fn apply(&self, path: &Path) {
        if let Some(t) = self.modified {
            let set = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_modified(t));
            if let Err(e) = set {
                tracing::debug!(path = %path.display(), error = %e, "modification time not set");
            }
        }
        #[cfg(target_os = "linux")]
        {
            let set = match &self.etag {
                Some(e) => {
                    rustix::fs::setxattr(path, ETAG_XATTR, e.as_bytes(), rustix::fs::XattrFlags::empty())
                }
                None => match rustix::fs::removexattr(path, ETAG_XATTR) {
                    Err(rustix::io::Errno::NODATA) => Ok(()),
                    other => other,
                },
            };
            if let Err(e) = set {
                tracing::debug!(path = %path.display(), error = %e, "ETag not kept with the file");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamped_file_is_asked_for_by_its_date_and_etag() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        std::fs::write(&path, b"x").unwrap();
        let mut h = HeaderMap::new();
        h.insert(LAST_MODIFIED, "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap());
        h.insert(ETAG, "\"v1\"".parse().unwrap());
        Stamp::of(&h).apply(&path);
        let asked = conditional_headers(&path);
        assert_eq!(asked[IF_MODIFIED_SINCE], "Wed, 21 Oct 2015 07:28:00 GMT");
        // tmpfs and ext4 keep user attributes; some file systems do not.
        if etag_of(&path).is_some() {
            assert_eq!(asked[IF_NONE_MATCH], "\"v1\"");
        }
        assert_eq!(file(dir.path(), "f.bin"), Some(path));
        assert_eq!(file(dir.path(), "none.bin"), None);
    }
}

//! What a torrent will write, decided before a byte is: where it lands (a
//! single file in the task's folder, several in a folder named after the
//! torrent), which files (`--select`), and whether every path passes
//! fanout's name rules. Also how a torrent is known: a `magnet:` link, a
//! `.torrent` path, or a body that is a bencoded dictionary with `info`.

use std::path::{Path, PathBuf};

use url::Url;

use super::names;
use crate::error::TorrentError;
use crate::job::SavedFile;
use crate::naming;

/// Where a torrent's metadata comes from.
pub(crate) enum Source {
    Magnet(String),
    File(PathBuf),
    /// A `.torrent` fetched over http(s).
    Bytes(Vec<u8>),
}

impl Source {
    /// The torrent a task's URL names, if it names one.
    pub(crate) fn of(url: &Url) -> Option<Source> {
        match url.scheme() {
            "magnet" => Some(Source::Magnet(url.as_str().to_string())),
            "file" => url.to_file_path().ok().map(Source::File),
            _ => None,
        }
    }
}

/// Whether `text` is a `magnet:` link (the scheme in any case).
pub(crate) fn is_magnet(text: &str) -> bool {
    text.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("magnet:"))
}

/// A task URL for `text` when it is a torrent: a `magnet:` link, or the
/// path of an existing `.torrent` file (as a `file:` URL).
pub(crate) fn source_url(text: &str) -> Option<Url> {
    let text = text.trim();
    if is_magnet(text) {
        return Url::parse(text).ok();
    }
    let path = Path::new(text);
    let is_torrent = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("torrent"));
    if !is_torrent || !path.is_file() {
        return None;
    }
    let path = std::fs::canonicalize(path).ok()?;
    Url::from_file_path(path).ok()
}

/// Whether `head` (a body's first bytes) starts a torrent file: a
/// bencoded dictionary whose first key is a byte string (`d8:announce`,
/// `d4:info`…). [`is_torrent`] decides once the body is whole.
pub(crate) fn may_be_torrent(head: &[u8]) -> bool {
    head.first() == Some(&b'd') && head.get(1).is_some_and(u8::is_ascii_digit)
}

/// Whether a whole body is a torrent: a dictionary with an `info` key.
pub(crate) fn is_torrent(body: &[u8]) -> bool {
    may_be_torrent(body) && body.windows(6).any(|w| w == b"4:info") && body.last() == Some(&b'e')
}

/// The files a torrent will write, and where.
pub(crate) struct Plan {
    /// What the task is called: the torrent's name.
    pub name: String,
    /// The folder the torrent's own folders are made in: the task's, or
    /// a folder in it named after a multi-file torrent.
    pub root: PathBuf,
    /// The result's path: the one file, or the folder.
    pub saved: PathBuf,
    /// Where each of the torrent's files is written, in its order; `None`
    /// for one not selected.
    pub paths: Vec<Option<PathBuf>>,
    /// The files to write (selected), with their sizes.
    pub files: Vec<SavedFile>,
    /// Their bytes together.
    pub total: u64,
}

/// One file as the torrent lists it: its path's components and size.
pub(crate) struct Listed {
    pub components: Vec<String>,
    pub len: u64,
}

/// Plans `listed` (every file, in the torrent's order) into `dir`, under
/// the `k`-th name to try (see [`naming::candidate`]: `NAME (1)` when
/// `NAME` is taken): the folder's, or the one file's.
pub(crate) fn plan(
    dir: &Path,
    name: Option<&str>,
    listed: &[Listed],
    select: Option<&[usize]>,
    k: usize,
) -> Result<Plan, TorrentError> {
    if let Some(select) = select
        && let Some(&wanted) = select.iter().find(|&&i| i >= listed.len())
    {
        return Err(TorrentError::NoSuchFile {
            wanted: wanted + 1,
            count: listed.len(),
        });
    }
    let refused = |components: &[String]| {
        names::refusal(components).map_or(Ok(()), |why| {
            Err(TorrentError::Refused {
                path: components.join("/"),
                why,
            })
        })
    };
    for file in listed {
        refused(&file.components)?;
    }
    let (root, name, saved) = match listed {
        [one] => {
            let (last, parents) = one.components.split_last().expect("checked: not empty");
            let path = parents.iter().fold(dir.to_path_buf(), |p, c| p.join(c));
            (
                dir.to_path_buf(),
                last.clone(),
                path.join(naming::candidate(last, k)),
            )
        }
        _ => {
            let name = name.unwrap_or_default().to_string();
            refused(std::slice::from_ref(&name))?;
            let folder = dir.join(naming::candidate(&name, k));
            (folder.clone(), name, folder)
        }
    };
    let selected = |i: usize| select.is_none_or(|s| s.contains(&i));
    let paths: Vec<Option<PathBuf>> = listed
        .iter()
        .enumerate()
        .map(|(i, f)| {
            selected(i).then(|| match listed {
                [_] => saved.clone(),
                _ => f.components.iter().fold(root.clone(), |p, c| p.join(c)),
            })
        })
        .collect();
    let files: Vec<SavedFile> = paths
        .iter()
        .zip(listed)
        .filter_map(|(p, f)| {
            Some(SavedFile {
                path: p.clone()?,
                bytes: f.len,
            })
        })
        .collect();
    let total = files.iter().map(|f| f.bytes).sum();
    Ok(Plan {
        name,
        root,
        saved,
        paths,
        files,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(paths: &[&str]) -> Vec<Listed> {
        paths
            .iter()
            .map(|p| Listed {
                components: p.split('/').map(str::to_string).collect(),
                len: 3,
            })
            .collect()
    }

    #[test]
    fn a_multi_file_torrent_lands_in_its_folder() {
        let p = plan(
            Path::new("/d"),
            Some("set"),
            &listed(&["a.txt", "sub/b.txt"]),
            None,
            0,
        )
        .unwrap();
        assert_eq!(p.saved, Path::new("/d/set"));
        assert_eq!(p.files[1].path, Path::new("/d/set/sub/b.txt"));
        assert_eq!(p.total, 6);
    }

    #[test]
    fn a_single_file_torrent_is_its_file() {
        let p = plan(Path::new("/d"), Some("a.iso"), &listed(&["a.iso"]), None, 0).unwrap();
        assert_eq!(p.saved, Path::new("/d/a.iso"));
    }

    #[test]
    fn a_taken_name_gives_way_to_the_next() {
        let p = plan(Path::new("/d"), Some("set"), &listed(&["a", "b"]), None, 1).unwrap();
        assert_eq!(p.saved, Path::new("/d/set (1)"));
        assert_eq!(p.paths[1].as_deref(), Some(Path::new("/d/set (1)/b")));
        let p = plan(Path::new("/d"), Some("a.iso"), &listed(&["a.iso"]), None, 2).unwrap();
        assert_eq!(p.saved, Path::new("/d/a (2).iso"));
    }

    #[test]
    fn hostile_paths_are_refused() {
        for bad in ["../x", "sub/../../x", "con.txt", ".", "a\u{1}b"] {
            let r = plan(Path::new("/d"), Some("set"), &listed(&["ok", bad]), None, 0);
            assert!(
                matches!(r, Err(TorrentError::Refused { ref path, .. }) if path == bad),
                "{bad}"
            );
        }
        let r = plan(Path::new("/d"), Some(".."), &listed(&["a", "b"]), None, 0);
        assert!(matches!(r, Err(TorrentError::Refused { .. })));
    }

    #[test]
    fn selection_is_checked_against_the_files() {
        let p = plan(
            Path::new("/d"),
            Some("s"),
            &listed(&["a", "b", "c"]),
            Some(&[0, 2]),
            0,
        )
        .unwrap();
        assert_eq!(p.files.len(), 2);
        assert_eq!(p.paths[1], None);
        let r = plan(Path::new("/d"), Some("s"), &listed(&["a", "b"]), Some(&[2]), 0);
        assert_eq!(r.err(), Some(TorrentError::NoSuchFile { wanted: 3, count: 2 }));
    }

    #[test]
    fn a_torrent_body_is_known_by_its_content() {
        assert!(is_torrent(b"d8:announce3:abc4:infod4:name1:ae"));
        assert!(!is_torrent(b"<html>"));
        assert!(!is_torrent(b"d8:announce3:abce"));
    }
}

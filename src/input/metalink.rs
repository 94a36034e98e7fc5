//! A metalink as input: each of its files becomes a download line's worth
//! (its best URL, the others as `mirror=`, `out=` its name, `sha256=`),
//! whichever way it came: `fanout get x.meta4`, a path typed or
//! dropped in the add dialog, `aria2.addMetalink`.
//!
//! A name with folders (`dir/a.iso`) is saved as its last part
//! (`a.iso`) in the download's folder: a download has a name, not a
//! path, and a clash is renamed as any other (`a (1).iso`). The size is
//! not checked against the download: the SHA-256 is, when given.

use super::Options;
use crate::engine::metalink::{self, MetalinkError, MetalinkFile};
use crate::engine::naming;

/// The downloads a metalink's files make, each with `base`'s other
/// options (a line's `segments=`, the RPC's `dir` and headers).
pub fn downloads(files: &[MetalinkFile], base: &Options) -> Vec<(String, Options)> {
    files
        .iter()
        .map(|f| {
            let mut o = base.clone();
            o.mirrors = f.urls[1..].to_vec();
            o.sha256 = f.sha256;
            o.name = naming::sanitize(&f.name);
            (f.urls[0].clone(), o)
        })
        .collect()
}

/// What to say about a file whose only hashes fanout cannot check; `None`
/// when it has a SHA-256 or no hash at all.
pub fn unchecked_note(file: &MetalinkFile) -> Option<String> {
    (file.sha256.is_none() && !file.unchecked.is_empty()).then(|| {
        format!(
            "{}: the metalink gives only {}, which fanout does not check (it checks SHA-256): the file is downloaded unverified",
            file.name,
            file.unchecked.join(", ")
        )
    })
}

/// The metalink file on this machine that `text` names (a path or a
/// `file://` URL ending in `.meta4` or `.metalink`), if it names one.
pub fn local_path(text: &str) -> Option<std::path::PathBuf> {
    let text = text.trim();
    if !metalink::is_metalink_name(text) {
        return None;
    }
    let path = match url::Url::parse(text) {
        Ok(u) if u.scheme() == "file" => u.to_file_path().ok()?,
        Ok(u) if matches!(u.scheme(), "http" | "https") => return None,
        _ => std::path::PathBuf::from(text),
    };
    path.is_file().then_some(path)
}

/// Whether `text` is an http(s) URL of a metalink, fetched before it is
/// read.
pub fn is_remote(text: &str) -> bool {
    let text = text.trim();
    metalink::is_metalink_name(text) && (text.starts_with("http://") || text.starts_with("https://"))
}

/// Why a metalink could not be had: read, fetched or understood.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{place}: {error}")]
    Read { place: String, error: String },
    #[error("{place}: {error}")]
    Metalink { place: String, error: MetalinkError },
}

/// Reads the metalink file at `path`.
pub fn read(path: &std::path::Path) -> Result<Vec<MetalinkFile>, LoadError> {
    let place = path.display().to_string();
    let read = |error: String| LoadError::Read {
        place: place.clone(),
        error,
    };
    let len = std::fs::metadata(path).map_err(|e| read(e.to_string()))?.len();
    if len > metalink::MAX_BYTES {
        return Err(LoadError::Metalink {
            place,
            error: MetalinkError::TooBig(len),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| read(e.to_string()))?;
    metalink::parse(&bytes).map_err(|error| LoadError::Metalink { place, error })
}

/// Fetches an http(s) metalink and reads it (blocking: for `fanout get`,
/// before its downloads start).
pub fn fetch(url: &str, user_agent: &str) -> Result<Vec<MetalinkFile>, LoadError> {
    use std::io::Read;
    let place = url.to_string();
    let read = |error: String| LoadError::Read {
        place: place.clone(),
        error,
    };
    crate::engine::crypto_provider();
    let client = reqwest::blocking::Client::builder()
        .user_agent(user_agent)
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| read(e.to_string()))?;
    let answer = client
        .get(url)
        .send()
        .map_err(|e| read(e.to_string()))?
        .error_for_status()
        .map_err(|e| read(e.to_string()))?;
    let mut bytes = Vec::new();
    answer
        .take(metalink::MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read(e.to_string()))?;
    metalink::parse(&bytes).map_err(|error| LoadError::Metalink { place, error })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_is_a_download_with_its_mirrors_hash_and_name() {
        let files = [
            MetalinkFile {
                name: "dir/a.iso".into(),
                size: Some(3),
                urls: vec!["http://a/a.iso".into(), "http://b/a.iso".into()],
                sha256: Some([7; 32]),
                unchecked: vec![],
            },
            MetalinkFile {
                name: "b.bin".into(),
                size: None,
                urls: vec!["http://a/b.bin".into()],
                sha256: None,
                unchecked: vec!["md5".into()],
            },
        ];
        let base = Options {
            segments: Some(4),
            ..Options::default()
        };
        let got = downloads(&files, &base);
        assert_eq!(got[0].0, "http://a/a.iso");
        assert_eq!(got[0].1.mirrors, ["http://b/a.iso"]);
        assert_eq!(got[0].1.sha256, Some([7; 32]));
        assert_eq!(got[0].1.name.as_deref(), Some("a.iso"));
        assert_eq!(got[0].1.segments, Some(4));
        assert_eq!(got[1].1.mirrors, Vec::<String>::new());
        assert_eq!(unchecked_note(&files[0]), None);
        let note = unchecked_note(&files[1]).unwrap();
        assert!(note.contains("only md5") && note.contains("unverified"), "{note}");
        // As words of a line, they read back (the saved queue, a hand-over).
        let line = format!("{} {}", got[0].0, got[0].1.to_words());
        assert_eq!(super::super::split_line(&line).unwrap().1, got[0].1);
    }

    #[test]
    fn metalinks_are_found_on_this_machine_or_over_http() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("set.meta4");
        std::fs::write(&path, b"<metalink/>").unwrap();
        assert_eq!(local_path(&path.display().to_string()), Some(path.clone()));
        let url = url::Url::from_file_path(&path).unwrap().to_string();
        assert_eq!(local_path(&url), Some(path.clone()));
        assert_eq!(
            local_path(&dir.path().join("gone.meta4").display().to_string()),
            None
        );
        assert_eq!(local_path("http://h/set.meta4"), None);
        assert!(is_remote("http://h/set.meta4"));
        assert!(!is_remote(&path.display().to_string()));
        assert!(matches!(
            read(&path),
            Err(LoadError::Metalink {
                error: MetalinkError::NoFile,
                ..
            })
        ));
    }

    /// The add dialog (and a hand-over to the window) takes a metalink's
    /// path as its files; a bad one is a bad line saying why.
    #[test]
    fn the_add_dialog_reads_a_metalink_path_as_its_files() {
        use crate::input::{LineError, check, take_valid};
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("set.meta4");
        std::fs::write(
            &good,
            r#"<metalink xmlns="urn:ietf:params:xml:ns:metalink">
                <file name="a"><url priority="2">http://m/a</url><url priority="1">http://h/a</url></file>
                <file name="b"><url>http://h/b</url></file></metalink>"#,
        )
        .unwrap();
        let bad = dir.path().join("bad.metalink");
        std::fs::write(
            &bad,
            r#"<metalink><file name="/etc/x"><url>http://h/x</url></file></metalink>"#,
        )
        .unwrap();
        let line = format!("{} segments=2", good.display());
        assert_eq!(check(&line, 10).unwrap(), Some(2));
        assert!(check(&line, 1).is_err());
        let bad_line = bad.display().to_string();
        assert!(
            matches!(check(&bad_line, 10), Err(LineError::Metalink(e)) if e.to_string().contains("outside its folder: \"/etc/x\"")),
        );
        let (urls, kept) = take_valid(&format!("{line}\n{bad_line}"), 10);
        assert_eq!(kept, bad_line);
        let got: Vec<_> = urls
            .iter()
            .map(|(u, o)| (u.as_str(), o.mirrors.clone(), o.segments))
            .collect();
        assert_eq!(
            got,
            [
                ("http://h/a", vec!["http://m/a".to_string()], Some(2)),
                ("http://h/b", vec![], Some(2))
            ]
        );
    }

    /// The window's English for a metalink's errors is what `fanout get`
    /// prints.
    #[test]
    fn the_window_says_what_fanout_get_says() {
        crate::i18n::set(crate::i18n::Lang::En);
        let place = "/d/x.meta4".to_string();
        for error in [
            MetalinkError::Xml("bad".into()),
            MetalinkError::NotMetalink("html".into()),
            MetalinkError::NoFile,
            MetalinkError::NoName,
            MetalinkError::UnsafeName("../x".into()),
            MetalinkError::NoUrl { name: "a".into() },
            MetalinkError::BadHash {
                name: "a".into(),
                hash: "12".into(),
            },
            MetalinkError::BadSize {
                name: "a".into(),
                size: "big".into(),
            },
            MetalinkError::TooBig(5 << 20),
        ] {
            let e = LoadError::Metalink {
                place: place.clone(),
                error,
            };
            assert_eq!(crate::i18n::metalink_error(&e), e.to_string());
        }
        crate::i18n::set(crate::i18n::Lang::Zh);
        let e = LoadError::Metalink {
            place,
            error: MetalinkError::UnsafeName("../x".into()),
        };
        assert!(crate::i18n::metalink_error(&e).contains("已拒绝"));
        crate::i18n::set(crate::i18n::Lang::En);
    }
}

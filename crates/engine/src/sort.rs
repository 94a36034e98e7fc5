//! Sorting finished files into folders by type (off by default): each
//! category is a subfolder of the download folder and a list of
//! extensions; a file whose extension no category lists goes by its
//! `Content-Type`, and else to the last category (`Other`).

/// One category: the subfolder its files go to, and their extensions
/// (lower case, without the dot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    pub folder: String,
    pub extensions: Vec<String>,
}

/// The categories, in order: the first that lists an extension wins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Categories(pub Vec<Category>);

/// The built-in list: (folder, extensions, Content-Type prefixes).
const DEFAULTS: [(&str, &str, &[&str]); 7] = [
    (
        "Video",
        "mp4 mkv avi mov wmv flv webm m4v mpg mpeg 3gp ts",
        &["video/"],
    ),
    ("Music", "mp3 flac wav aac ogg oga opus m4a wma aiff", &["audio/"]),
    (
        "Images",
        "jpg jpeg png gif webp bmp svg tif tiff heic avif ico",
        &["image/"],
    ),
    (
        "Archives",
        "zip rar 7z tar gz tgz bz2 xz zst iso",
        &[
            "application/zip",
            "application/x-7z",
            "application/vnd.rar",
            "application/x-rar",
            "application/gzip",
            "application/x-tar",
            "application/x-xz",
            "application/x-bzip2",
            "application/zstd",
        ],
    ),
    (
        "Documents",
        "pdf doc docx xls xlsx ppt pptx odt ods odp txt rtf epub md csv",
        &[
            "application/pdf",
            "application/msword",
            "application/vnd.openxmlformats",
            "application/vnd.oasis.opendocument",
            "application/epub",
            "text/",
        ],
    ),
    (
        "Programs",
        "exe msi deb rpm appimage apk dmg pkg flatpak snap",
        &[
            "application/x-msdownload",
            "application/x-msi",
            "application/vnd.debian.binary-package",
            "application/x-rpm",
            "application/vnd.android.package-archive",
            "application/x-apple-diskimage",
        ],
    ),
    ("Other", "", &[]),
];

impl Default for Categories {
    fn default() -> Self {
        Categories(
            DEFAULTS
                .iter()
                .map(|(folder, exts, _)| Category {
                    folder: folder.to_string(),
                    extensions: exts.split_whitespace().map(str::to_string).collect(),
                })
                .collect(),
        )
    }
}

/// The built-in category a `Content-Type` belongs to.
fn by_type(content_type: &str) -> Option<&'static str> {
    let t = content_type.trim().to_ascii_lowercase();
    DEFAULTS
        .iter()
        .find(|(_, _, types)| types.iter().any(|p| t.starts_with(p)))
        .map(|(folder, _, _)| *folder)
}

impl Categories {
    /// The subfolder for a file named `name`, by its extension alone.
    pub fn by_extension(&self, name: &str) -> Option<&str> {
        let (_, ext) = name.rsplit_once('.')?;
        let ext = ext.to_ascii_lowercase();
        self.0
            .iter()
            .find(|c| c.extensions.contains(&ext))
            .map(|c| c.folder.as_str())
    }

    /// The subfolder for a file named `name` that came as `content_type`:
    /// its extension's category, else its type's (when the list still has
    /// that built-in folder), else the last one.
    pub fn folder_for(&self, name: &str, content_type: Option<&str>) -> Option<&str> {
        if let Some(f) = self.by_extension(name) {
            return Some(f);
        }
        let typed = content_type
            .and_then(by_type)
            .and_then(|b| self.0.iter().find(|c| c.folder == b));
        typed.or_else(|| self.0.last()).map(|c| c.folder.as_str())
    }

    /// `folder: ext ext…` lines, as the window edits the list.
    pub fn to_lines(&self) -> String {
        self.0
            .iter()
            .map(|c| format!("{}: {}", c.folder, c.extensions.join(" ")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Reads `folder: ext ext…` lines back; a folder name must be a safe
    /// file name.
    pub fn from_lines(text: &str) -> Result<Categories, String> {
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let (folder, exts) = line.split_once(':').unwrap_or((line, ""));
            let folder = folder.trim();
            if super::naming::sanitize(folder).as_deref() != Some(folder) {
                return Err(format!("{folder:?} is not a folder name"));
            }
            out.push(Category {
                folder: folder.to_string(),
                extensions: exts
                    .split([' ', ',', ';'])
                    .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
                    .filter(|e| !e.is_empty())
                    .collect(),
            });
        }
        Ok(Categories(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_go_by_extension_then_type_then_to_other() {
        let c = Categories::default();
        assert_eq!(c.folder_for("clip.MKV", None), Some("Video"));
        assert_eq!(c.folder_for("a.tar.gz", Some("text/html")), Some("Archives"));
        assert_eq!(c.folder_for("download", Some("image/png")), Some("Images"));
        assert_eq!(
            c.folder_for("download", Some("application/pdf; q=1")),
            Some("Documents")
        );
        assert_eq!(c.folder_for("x.unknown", None), Some("Other"));
        assert_eq!(
            c.folder_for("noext", Some("application/octet-stream")),
            Some("Other")
        );
    }

    #[test]
    fn the_list_reads_back_as_written_and_refuses_bad_folders() {
        let c = Categories::default();
        assert_eq!(Categories::from_lines(&c.to_lines()).unwrap(), c);
        let mine = Categories::from_lines("Films: .mp4, MKV\nRest:").unwrap();
        assert_eq!(mine.folder_for("a.mkv", None), Some("Films"));
        assert_eq!(mine.folder_for("a.zip", None), Some("Rest"));
        assert!(Categories::from_lines("../up: zip").is_err());
    }
}

//! The elements of both metalink formats a download needs, as serde reads
//! them with quick-xml (attributes are `@name`, text is `$text`); the rest
//! of the document (publisher, pieces, signatures) is skipped.

use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Metalink {
    /// v4's files.
    #[serde(rename = "file")]
    pub(super) files: Vec<File>,
    /// v3's `<files>`.
    #[serde(rename = "files")]
    pub(super) v3_files: Vec<Files>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Files {
    #[serde(rename = "file")]
    pub(super) files: Vec<File>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct File {
    #[serde(rename = "@name")]
    pub(super) name: Option<String>,
    pub(super) size: Option<String>,
    /// v4's hashes.
    #[serde(rename = "hash")]
    pub(super) hashes: Vec<Hash>,
    /// v3's hashes.
    pub(super) verification: Option<Verification>,
    /// v4's URLs.
    #[serde(rename = "url")]
    pub(super) urls: Vec<Url>,
    /// v3's URLs.
    pub(super) resources: Option<Resources>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Verification {
    #[serde(rename = "hash")]
    pub(super) hashes: Vec<Hash>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Resources {
    #[serde(rename = "url")]
    pub(super) urls: Vec<Url>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Hash {
    #[serde(rename = "@type")]
    pub(super) kind: Option<String>,
    #[serde(rename = "$text")]
    pub(super) value: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Url {
    /// v4's rank.
    #[serde(rename = "@priority")]
    pub(super) priority: Option<String>,
    /// v3's rank.
    #[serde(rename = "@preference")]
    pub(super) preference: Option<String>,
    /// v3's protocol (`http`, `ftp`, `bittorrent`).
    #[serde(rename = "@type")]
    pub(super) kind: Option<String>,
    #[serde(rename = "$text")]
    pub(super) url: String,
}

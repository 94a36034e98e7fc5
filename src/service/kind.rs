//! What kind of download a row is, for the sidebar's categories and the
//! list's icons: by the same built-in table as `--sort` (its extensions),
//! with torrents and streams as kinds of their own. A row's kind is
//! [`Kind::of`], beside the row (`row.rs`).

use crate::engine::sort::Categories;
use crate::i18n::tr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Documents,
    Images,
    Video,
    Music,
    Archives,
    Programs,
    Torrents,
    Streams,
    Other,
}

impl Kind {
    /// In the sidebar's order.
    pub const ALL: [Kind; 9] = [
        Kind::Documents,
        Kind::Images,
        Kind::Video,
        Kind::Music,
        Kind::Archives,
        Kind::Programs,
        Kind::Torrents,
        Kind::Streams,
        Kind::Other,
    ];

    /// In the window's language.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Documents => tr!(KindDocuments),
            Kind::Images => tr!(KindImages),
            Kind::Video => tr!(KindVideo),
            Kind::Music => tr!(KindMusic),
            Kind::Archives => tr!(KindArchives),
            Kind::Programs => tr!(KindPrograms),
            Kind::Torrents => tr!(KindTorrents),
            Kind::Streams => tr!(KindStreams),
            Kind::Other => tr!(KindOther),
        }
    }

    /// The kind of a file named `name`, by its extension (the built-in
    /// folders of `--sort`; a `.torrent` file is a torrent's).
    pub fn of_name(name: &str) -> Kind {
        thread_local! {
            static TABLE: Categories = Categories::default();
        }
        if name
            .rsplit_once('.')
            .is_some_and(|(_, e)| e.eq_ignore_ascii_case("torrent"))
        {
            return Kind::Torrents;
        }
        TABLE.with(|t| match t.by_extension(name) {
            Some("Documents") => Kind::Documents,
            Some("Images") => Kind::Images,
            Some("Video") => Kind::Video,
            Some("Music") => Kind::Music,
            Some("Archives") => Kind::Archives,
            Some("Programs") => Kind::Programs,
            _ => Kind::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_sort_table_with_torrents_and_streams_apart() {
        assert_eq!(Kind::of_name("Report.PDF"), Kind::Documents);
        assert_eq!(Kind::of_name("a.jpg"), Kind::Images);
        assert_eq!(Kind::of_name("film.mkv"), Kind::Video);
        assert_eq!(Kind::of_name("song.flac"), Kind::Music);
        assert_eq!(Kind::of_name("x.tar.gz"), Kind::Archives);
        assert_eq!(Kind::of_name("setup.deb"), Kind::Programs);
        assert_eq!(Kind::of_name("noext"), Kind::Other);
    }
}

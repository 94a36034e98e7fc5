//! Telling a playlist by its content: HLS starts with `#EXTM3U`, DASH is
//! an XML document whose root is `MPD`. Names and Content-Types lie (a
//! master often comes as `text/plain` without an extension).

use super::plan::Format;

/// The playlist format of a body that starts with `first`, if it is one.
pub fn sniff(first: &[u8]) -> Option<Format> {
    let text = first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(first);
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &text[start..];
    if text.starts_with(b"#EXTM3U") {
        return Some(Format::Hls);
    }
    if !text.starts_with(b"<") {
        return None;
    }
    // The root element: after the XML declaration, comments and
    // processing instructions.
    let head = &text[..text.len().min(1024)];
    let mut rest = head;
    loop {
        let at = rest.iter().position(|&b| b == b'<')?;
        rest = &rest[at..];
        if rest.starts_with(b"<?") {
            rest = &rest[rest.windows(2).position(|w| w == b"?>")? + 2..];
        } else if rest.starts_with(b"<!--") {
            rest = &rest[rest.windows(3).position(|w| w == b"-->")? + 3..];
        } else if rest.starts_with(b"<!") {
            rest = &rest[rest.iter().position(|&b| b == b'>')? + 1..];
        } else {
            let name = &rest[1..];
            let end = name
                .iter()
                .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
                .unwrap_or(name.len());
            let name = &name[..end];
            // With or without a namespace prefix (`<mpd:MPD`).
            let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
            return (local == b"MPD").then_some(Format::Dash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playlists_are_known_by_their_content() {
        assert_eq!(sniff(b"#EXTM3U\n#EXT-X-VERSION:3\n"), Some(Format::Hls));
        assert_eq!(sniff(b"\xEF\xBB\xBF\r\n#EXTM3U\n"), Some(Format::Hls));
        let mpd = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- made by ffmpeg -->\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\">";
        assert_eq!(sniff(mpd), Some(Format::Dash));
        assert_eq!(sniff(b"<html><body>MPD</body></html>"), None);
        assert_eq!(sniff(b"\x89PNG\r\n"), None);
        assert_eq!(sniff(b"#!/bin/sh\n"), None);
        assert_eq!(sniff(b""), None);
    }
}

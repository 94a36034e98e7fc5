//! Where a download's bytes end up: the file name, made safe.
//!
//! The order follows what users expect from browsers and `xh`: the server's
//! `Content-Disposition` (`filename*` first, RFC 5987/6266, then a
//! percent-decoded `filename`), else the URL's last path segment
//! (percent-decoded, so `%E4%B8%AD` comes out as `中`), else `download`.
//! Whatever the source, the result is a single path component that cannot
//! escape the target folder and is valid on Windows as well as Unix.

use percent_encoding::percent_decode_str;
use url::Url;

/// The name used when neither the server nor the URL offers one.
pub const FALLBACK_NAME: &str = "download";

/// Longest name we produce, in bytes. File systems allow 255; the rest is
/// headroom for the ` (NNNN)` collision suffix and the `.part` extension.
pub const MAX_NAME_BYTES: usize = 200;

/// Picks the file name for a response to `url` carrying the optional
/// `Content-Disposition` header value.
pub fn file_name(url: &Url, content_disposition: Option<&str>) -> String {
    content_disposition
        .and_then(filename_from_content_disposition)
        .and_then(|n| sanitize(&n))
        .or_else(|| name_from_url(url))
        .unwrap_or_else(|| FALLBACK_NAME.to_string())
}

/// The URL's last non-empty path segment, percent-decoded and sanitized.
pub fn name_from_url(url: &Url) -> Option<String> {
    let last = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    let decoded = percent_decode_str(last).decode_utf8_lossy();
    sanitize(&decoded)
}

/// Extracts the file name a `Content-Disposition` value asks for.
///
/// `filename*` wins over `filename` when both are present (RFC 6266 §4.3):
/// servers put an ASCII fallback in `filename` and the real, often non-ASCII,
/// name in `filename*`. A plain `filename` is percent-decoded because many
/// servers percent-encode it instead of using `filename*`.
pub fn filename_from_content_disposition(value: &str) -> Option<String> {
    let params = parse_params(value);
    let extended = params
        .iter()
        .filter(|(k, _)| k == "filename*")
        .find_map(|(_, v)| decode_ext_value(v))
        .filter(|n| !n.is_empty());
    extended.or_else(|| {
        params
            .iter()
            .find(|(k, _)| k == "filename")
            .map(|(_, v)| match percent_decode_str(v).decode_utf8() {
                Ok(decoded) => decoded.into_owned(),
                Err(_) => v.clone(),
            })
            .filter(|n| !n.is_empty())
    })
}

/// Splits `type; a=b; c="d;e"` into lower-cased names and unquoted values.
fn parse_params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ';') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ';' {
                break;
            }
            name.push(c);
            chars.next();
        }
        let name = name.trim().to_ascii_lowercase();
        if chars.next() != Some('=') {
            continue; // a parameter without a value
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => {
                        if let Some(escaped) = chars.next() {
                            val.push(escaped);
                        }
                    }
                    _ => val.push(c),
                }
            }
            // Ignore anything between the closing quote and the next ';'.
            while chars.peek().is_some_and(|c| *c != ';') {
                chars.next();
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ';' {
                    break;
                }
                val.push(c);
                chars.next();
            }
            val = val.trim().to_string();
        }
        out.push((name, val));
    }
    out
}

/// Decodes an RFC 5987 `charset'language'percent-encoded` value.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?.trim().to_ascii_lowercase();
    let _language = parts.next()?;
    let encoded = parts.next()?;
    let bytes: Vec<u8> = percent_decode_str(encoded).collect();
    match charset.as_str() {
        "utf-8" => String::from_utf8(bytes).ok(),
        // Every byte is the code point of the same number in Latin-1.
        "iso-8859-1" => Some(bytes.into_iter().map(char::from).collect()),
        _ => None,
    }
}

/// Makes `raw` a safe single file name, or `None` when nothing usable is left.
///
/// Only the last path component survives (so `../../x` becomes `x` and
/// `C:\evil\a.txt` becomes `a.txt`); control characters go; characters that
/// Windows forbids become `_`; trailing dots and spaces go; reserved device
/// names (`CON`, `nul.txt`, `COM1`) get a `_` prefix; the length is capped at
/// [`MAX_NAME_BYTES`], keeping a short extension.
pub fn sanitize(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned
        .trim()
        .trim_end_matches(['.', ' '])
        .trim_start_matches(' ');
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '.') {
        return None;
    }
    let mut name = trimmed.to_string();
    if is_windows_reserved(&name) {
        name.insert(0, '_');
    }
    Some(truncate(&name, MAX_NAME_BYTES))
}

/// Whether `name` is one Windows keeps for a device (`CON`, `nul.txt`,
/// `COM1`), in any case, with any extension.
pub(crate) fn is_windows_reserved(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0')
}

/// Cuts `name` to at most `max` bytes on a character boundary, keeping an
/// extension of up to 16 bytes so the file still opens with the right program.
fn truncate(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= 16 => name.split_at(dot),
        _ => (name, ""),
    };
    let mut cut = max - ext.len();
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{}", &stem[..cut], ext)
}

/// The `k`-th name to try when `name` is taken: `name`, `name (1)`, … with the
/// counter placed before the extension (`photo (1).jpg`), as browsers do.
pub fn candidate(name: &str, k: usize) -> String {
    if k == 0 {
        return name.to_string();
    }
    match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{} ({k}){}", &name[..dot], &name[dot..]),
        _ => format!("{name} ({k})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cd(v: &str) -> Option<String> {
        filename_from_content_disposition(v)
    }

    #[test]
    fn extended_filename_wins_over_ascii_fallback() {
        assert_eq!(
            cd("attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E4%B8%AD%E6%96%87.txt").as_deref(),
            Some("中文.txt")
        );
        // Order in the header does not matter.
        assert_eq!(
            cd("attachment; filename*=utf-8''caf%C3%A9.pdf; filename=cafe.pdf").as_deref(),
            Some("café.pdf")
        );
    }

    #[test]
    fn plain_filename_is_unquoted_and_percent_decoded() {
        assert_eq!(
            cd("attachment; filename=report.pdf").as_deref(),
            Some("report.pdf")
        );
        assert_eq!(
            cd(r#"attachment; filename="a \"quoted\"; name.txt""#).as_deref(),
            Some("a \"quoted\"; name.txt")
        );
        assert_eq!(
            cd("attachment; filename=\"%E5%9B%BE%E7%89%87 1.jpg\"").as_deref(),
            Some("图片 1.jpg")
        );
        assert_eq!(cd("inline; FILENAME=Upper.TXT").as_deref(), Some("Upper.TXT"));
    }

    #[test]
    fn latin1_extended_value() {
        assert_eq!(
            cd("attachment; filename*=iso-8859-1'en'%A3%20rates.txt").as_deref(),
            Some("£ rates.txt")
        );
    }

    #[test]
    fn missing_or_broken_disposition_gives_none() {
        assert_eq!(cd("attachment"), None);
        assert_eq!(cd("attachment; filename="), None);
        assert_eq!(cd("attachment; filename*=bogus"), None);
    }

    #[test]
    fn hostile_names_cannot_escape_the_folder() {
        assert_eq!(sanitize("../../x").as_deref(), Some("x"));
        assert_eq!(sanitize("/etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(sanitize("..\\..\\win.ini").as_deref(), Some("win.ini"));
        assert_eq!(sanitize(".."), None);
        assert_eq!(sanitize("."), None);
        assert_eq!(sanitize("dir/"), None);
        assert_eq!(sanitize("a\u{0}b\nc\u{1b}.txt").as_deref(), Some("abc.txt"));
        assert_eq!(
            sanitize("what?<is>this*.txt").as_deref(),
            Some("what__is_this_.txt")
        );
        assert_eq!(sanitize("trailing. . ").as_deref(), Some("trailing"));
    }

    #[test]
    fn windows_reserved_names_are_defused() {
        assert_eq!(sanitize("CON").as_deref(), Some("_CON"));
        assert_eq!(sanitize("nul.txt").as_deref(), Some("_nul.txt"));
        assert_eq!(sanitize("com1.jpg").as_deref(), Some("_com1.jpg"));
        assert_eq!(sanitize("LPT9").as_deref(), Some("_LPT9"));
        assert_eq!(sanitize("console.log").as_deref(), Some("console.log"));
        assert_eq!(sanitize("COM0").as_deref(), Some("COM0"));
    }

    #[test]
    fn long_names_are_cut_on_char_boundaries_keeping_the_extension() {
        let long = format!("{}.jpg", "图".repeat(100)); // 300 bytes + 4
        let cut = sanitize(&long).unwrap();
        assert!(cut.len() <= MAX_NAME_BYTES, "{} bytes", cut.len());
        assert!(cut.ends_with("图.jpg"));
    }

    #[test]
    fn url_names_are_percent_decoded() {
        let u = Url::parse("http://h/album/%E4%B8%AD%E6%96%87.jpg?x=1").unwrap();
        assert_eq!(name_from_url(&u).as_deref(), Some("中文.jpg"));
        let u = Url::parse("http://h/a/b/").unwrap();
        assert_eq!(name_from_url(&u).as_deref(), Some("b"));
        let u = Url::parse("http://h/").unwrap();
        assert_eq!(file_name(&u, None), FALLBACK_NAME);
        let u = Url::parse("http://h/%2e%2e").unwrap();
        assert_eq!(file_name(&u, None), FALLBACK_NAME);
        let u = Url::parse("http://h/x/..%2f..%2fetc%2fpasswd").unwrap();
        assert_eq!(file_name(&u, None), "passwd");
    }

    #[test]
    fn unusable_disposition_falls_back_to_the_url() {
        let u = Url::parse("http://h/pic.png").unwrap();
        assert_eq!(file_name(&u, Some("attachment; filename=\"../\"")), "pic.png");
        assert_eq!(file_name(&u, Some("attachment; filename=\"x.png\"")), "x.png");
    }

    #[test]
    fn collision_candidates_keep_the_extension() {
        assert_eq!(candidate("photo.jpg", 0), "photo.jpg");
        assert_eq!(candidate("photo.jpg", 1), "photo (1).jpg");
        assert_eq!(candidate("README", 2), "README (2)");
        assert_eq!(candidate(".bashrc", 1), ".bashrc (1)");
    }
}

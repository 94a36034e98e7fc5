//! A look at a playlist before it is added: the add dialog asks which
//! variants an HLS master offers, to let the user pick one. One request,
//! on the caller's thread (the dialog runs it on a helper thread).

use std::io::Read;
use std::time::Duration;

use super::plan::{Format, Parsed, Variant};
use super::{MAX_PLAYLIST, hls, sniff};
use crate::headers::Headers;
use crate::http;

/// The variants of the HLS master at `url` (fetched with `headers`), or
/// `None` when it is not one (a media playlist, DASH, a file).
pub fn variants(url: &str, headers: &Headers) -> Result<Option<Vec<Variant>>, String> {
    http::crypto_provider();
    let base = http::parse_url(url).map_err(|e| e.to_string())?;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .map_err(|e| e.to_string())?;
    let resp = client
        .get(base)
        .headers(headers.to_map())
        .send()
        .map_err(|e| http::chain(&e))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!(
            "HTTP {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ));
    }
    let at = resp.url().clone();
    let mut body = Vec::new();
    resp.take(MAX_PLAYLIST)
        .read_to_end(&mut body)
        .map_err(|e| e.to_string())?;
    if sniff(&body) != Some(Format::Hls) {
        return Ok(None);
    }
    match hls::parse(&body, &at).map_err(|e| e.to_string())? {
        Parsed::Master(variants) => Ok(Some(variants)),
        Parsed::Tracks(_) => Ok(None),
    }
}

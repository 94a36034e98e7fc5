//! What a playlist says to fetch, whatever its format: the tracks of one
//! stream, each a list of pieces joined in order into one file. The HLS and
//! DASH readers produce it; the stream transfer consumes it.

use url::Url;

pub use crate::error::StreamError;

/// Which kind of playlist a body is, by its content (never by its name or
/// its Content-Type: a master often comes as `text/plain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Hls,
    Dash,
}

/// The key a piece is decrypted with: AES-128 in CBC mode with PKCS#7
/// padding, as HLS's `METHOD=AES-128`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// Where the 16-byte key is fetched from (fetched once per URL).
    pub uri: Url,
    /// The IV: the playlist's `IV=`, else the piece's media sequence
    /// number as a 16-byte big-endian integer.
    pub iv: [u8; 16],
}

/// One request's worth of a track: a segment or an init section.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    pub url: Url,
    /// `(offset, length)` of a byte range (`EXT-X-BYTERANGE`, DASH
    /// `mediaRange`), resolved to an absolute offset.
    pub range: Option<(u64, u64)>,
    pub key: Option<Key>,
    /// Its media sequence number (HLS), or its number (DASH): what a live
    /// playlist's reload compares to find the new pieces.
    pub sequence: u64,
    /// Its duration in seconds, as the playlist says.
    pub seconds: f64,
}

/// What the joined pieces of a track are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// MPEG-TS segments: `.ts`.
    Ts,
    /// Fragmented MP4 (CMAF) with an init section first: `.mp4`
    /// (`.m4a` for an audio-only track).
    Mp4,
}

/// What a track carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackKind {
    /// Video, or video and audio together.
    Main,
    /// Audio only (an HLS audio rendition, a DASH audio set).
    Audio,
}

/// One file's worth of pieces, in the order they are joined.
#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    pub kind: TrackKind,
    pub container: Container,
    /// The init section (`EXT-X-MAP`, DASH initialization), written first.
    pub init: Option<Piece>,
    pub pieces: Vec<Piece>,
    /// `EXT-X-TARGETDURATION` in seconds: how often a live playlist is
    /// reloaded.
    pub target_duration: f64,
    /// No `EXT-X-ENDLIST`: a live playlist, recorded until stopped.
    pub live: bool,
    /// The URL of the playlist this track came from (reloaded when live).
    pub playlist: Url,
}

/// One choice of a master playlist (HLS `EXT-X-STREAM-INF`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    pub uri: Url,
    pub bandwidth: u64,
    /// Width and height.
    pub resolution: Option<(u64, u64)>,
    pub codecs: Option<String>,
    /// The media playlist of the audio rendition its `AUDIO` group plays
    /// (the group's `DEFAULT=YES` one, else its first), when that is a
    /// playlist of its own rather than muxed into the variant.
    pub audio: Option<Url>,
}

/// What one playlist document is.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    /// An HLS master: pick a variant, then fetch its media playlist (and
    /// its audio rendition's).
    Master(Vec<Variant>),
    /// A media playlist (HLS), or the chosen representations (DASH: video
    /// and audio as two tracks).
    Tracks(Vec<Track>),
}

//! The window's words in English and Simplified Chinese.
//!
//! Every string the window shows is a [`T`] key with both texts side by side
//! in one table, so a missing translation is a compile error, and a test
//! walks the table. Values go in by name (`{n}`), never by gluing pieces
//! together, so each language keeps its own word order.
//!
//! The language is per thread: the UI thread sets it from the settings at
//! the start of every frame. (Tests run windows on several threads at once,
//! in different languages.) The engine and `fanout get` stay in English.

use std::cell::Cell;
use std::fmt::Display;

use serde::{Deserialize, Serialize};

use crate::engine::HeaderError;
use crate::engine::{
    EngineConfig, FetchError, Note, RangeError, RedirectError, Refusal, StreamError, TorrentError,
};
use crate::input::OptionError;
use crate::input::pattern::PatternError;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The language's name in itself, as a language menu shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }

    /// The system's language, if it is one of ours; English otherwise.
    /// Read once: the window asks every frame, and a process's locale does
    /// not change while it runs.
    pub fn from_system() -> Lang {
        static SYSTEM: std::sync::OnceLock<Lang> = std::sync::OnceLock::new();
        *SYSTEM.get_or_init(|| Lang::from_locale(&sys_locale::get_locale().unwrap_or_default()))
    }

    /// `zh-CN`, `zh_CN.UTF-8`, `zh-Hans-SG` are Chinese; so is a bare `zh`.
    /// Traditional-script locales (`zh-TW`, `zh-HK`, `zh-Hant`) would rather
    /// read English than the wrong script.
    pub fn from_locale(locale: &str) -> Lang {
        let l = locale.to_ascii_lowercase().replace('_', "-");
        let traditional = ["zh-tw", "zh-hk", "zh-mo", "zh-hant"]
            .iter()
            .any(|t| l.starts_with(t));
        if (l == "zh" || l.starts_with("zh-") || l.starts_with("zh.")) && !traditional {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

thread_local! {
    static LANG: Cell<Lang> = const { Cell::new(Lang::En) };
}

/// Sets this thread's language.
pub fn set(lang: Lang) {
    LANG.with(|l| l.set(lang));
}

pub fn lang() -> Lang {
    LANG.with(Cell::get)
}

macro_rules! catalogue {
    ($($key:ident: $en:literal, $zh:literal;)*) => {
        /// A text of the window; [`T::text`] gives it in a language.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum T { $($key,)* }

        impl T {
            pub const ALL: &'static [T] = &[$(T::$key,)*];

            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $(
                        (T::$key, Lang::En) => $en,
                        (T::$key, Lang::Zh) => $zh,
                    )*
                }
            }
        }
    };
}
pub mod lines;
mod texts;
pub mod units;

pub use texts::T;

/// The text of `key` in this thread's language.
pub fn t(key: T) -> &'static str {
    key.text(lang())
}

/// The text of `key` with each `{name}` replaced by its value.
pub fn fill(key: T, args: &[(&str, &dyn Display)]) -> String {
    let mut out = t(key).to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

/// `tr!(Key)` is the text; `tr!(Key, n = 5, path = p.display())` fills it.
macro_rules! tr {
    ($key:ident) => {
        $crate::i18n::t($crate::i18n::T::$key)
    };
    ($key:ident, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::fill(
            $crate::i18n::T::$key,
            &[$((stringify!($name), &$value as &dyn std::fmt::Display)),+],
        )
    };
}
pub(crate) use tr;

/// English's one/many, by count; Chinese has one form for both.
pub fn plural(n: impl Into<u128>, one: T, many: T) -> String {
    let n = n.into();
    fill(if n == 1 { one } else { many }, &[("n", &n)])
}

/// Why a download failed, in this thread's language.
pub fn error(e: &FetchError) -> String {
    match e {
        FetchError::InvalidUrl(detail) => tr!(ErrInvalidUrl, detail = detail),
        FetchError::UnsupportedScheme(scheme) => tr!(ErrScheme, scheme = format!("{scheme:?}")),
        FetchError::Http { status, reason } => format!("HTTP {status} {reason}"),
        FetchError::Connect(detail) => tr!(ErrConnect, detail = detail),
        FetchError::Timeout(detail) => tr!(ErrTimeout, detail = detail),
        FetchError::Tls(detail) => tr!(ErrTls, detail = detail),
        FetchError::Redirect(r) => tr!(ErrRedirect, detail = redirect(r)),
        FetchError::Interrupted {
            received,
            expected,
            cause,
        } => {
            let detail = cause
                .clone()
                .unwrap_or_else(|| tr!(CauseServerClosed).to_string());
            match expected {
                Some(expected) => tr!(
                    ErrInterrupted,
                    received = received,
                    expected = expected,
                    detail = detail
                ),
                None => tr!(ErrInterruptedUnknown, received = received, detail = detail),
            }
        }
        FetchError::ShortBody { received, expected } => {
            tr!(ErrShortBody, received = received, expected = expected)
        }
        FetchError::LongBody { expected } => tr!(ErrLongBody, expected = expected),
        FetchError::Transport(detail) | FetchError::Remote(detail) => detail.clone(),
        FetchError::CookieFile(detail) => tr!(ErrCookieFile, detail = detail),
        FetchError::Proxy { proxy, reason } => tr!(ErrProxy, proxy = proxy, detail = reason),
        FetchError::PlainAuth { host } => tr!(ErrPlainAuth, host = host),
        FetchError::Io { path, detail, .. } => tr!(ErrIo, path = path.display(), detail = detail),
        FetchError::BadRange(r) => tr!(ErrBadRange, detail = range(r)),
        FetchError::Checksum { expected, got, kept } => {
            tr!(ErrChecksum, expected = expected, got = got, kept = kept.display())
        }
        FetchError::Cancelled => tr!(StCancelled).to_string(),
        FetchError::Stream(e) => stream(e),
        FetchError::Torrent(e) => torrent(e),
        FetchError::Segment { number, url, cause } => {
            tr!(ErrSegment, number = number, url = url, detail = error(cause))
        }
    }
}

fn torrent(e: &TorrentError) -> String {
    match e {
        TorrentError::Invalid(detail) => tr!(TorrentInvalid, detail = detail),
        TorrentError::Refused { path, why } => refused(&format!("{path:?}"), *why),
        TorrentError::NoMetadata(detail) => tr!(TorrentNoMetadata, detail = detail),
        TorrentError::NoSuchFile { wanted, count } => tr!(TorrentNoSuchFile, wanted = wanted, count = count),
        TorrentError::Session(detail) => tr!(TorrentSession, detail = detail),
        TorrentError::Failed(detail) => tr!(TorrentFailed, detail = detail),
    }
}

/// A torrent's path refused, `path` quoted as the torrent wrote it.
fn refused(path: &str, why: Refusal) -> String {
    match why {
        Refusal::Outside => tr!(TorrentOutside, path = path),
        Refusal::Absolute => tr!(TorrentAbsolute, path = path),
        Refusal::Separator => tr!(TorrentSeparator, path = path),
        Refusal::Empty => tr!(TorrentEmptyName, path = path),
        Refusal::Reserved => tr!(TorrentReserved, path = path),
        Refusal::Character => tr!(TorrentCharacter, path = path),
        Refusal::TooLong => tr!(
            TorrentTooLong,
            max = crate::engine::naming::MAX_NAME_BYTES,
            path = path
        ),
    }
}

fn stream(e: &StreamError) -> String {
    match e {
        StreamError::Unsupported(what) => tr!(StreamUnsupported, what = what),
        StreamError::Invalid(detail) => tr!(StreamInvalid, detail = detail),
        StreamError::Empty => tr!(StreamEmpty).to_string(),
        StreamError::NoVariant(v) => tr!(StreamNoVariant, variant = v),
        StreamError::BadKey(url) => tr!(StreamBadKey, url = url),
    }
}

/// A line of a task's log, in this thread's language.
pub fn note(n: &Note) -> String {
    match n {
        Note::Retry {
            attempt,
            error: e,
            delay,
        } => tr!(
            NoteRetry,
            attempt = attempt,
            error = error(e),
            delay = format!("{:.1}", delay.as_secs_f64())
        ),
        Note::FileChanged { before, after } => tr!(NoteFileChanged, before = before, after = after),
        Note::RangeIgnored { offset } => tr!(NoteRangeIgnored, offset = offset),
        Note::RangeLied(what) => tr!(NoteRangeLied, what = range(what)),
        Note::Verified { sha256 } => tr!(NoteVerified, sha = sha256),
        Note::Downgraded { to } => tr!(NoteDowngraded, to = to),
        Note::Mirror { to } => tr!(NoteMirror, to = to),
        Note::Ignored { options } => tr!(NoteIgnored, options = options.join(", ")),
        Note::Stream {
            format,
            pieces,
            tracks,
            variant,
            live,
        } => {
            let mut text = tr!(NoteStream, format = format, pieces = pieces, tracks = tracks);
            if let Some(v) = variant {
                text += &tr!(NoteStreamVariant, variant = v);
            }
            if *live {
                text += tr!(NoteStreamLive);
            }
            text
        }
        Note::PiecesKept { pieces } => tr!(NotePiecesKept, pieces = pieces),
        Note::Muxed => tr!(NoteMuxed).to_string(),
        Note::KeptApart { audio, reason } => tr!(NoteKeptApart, audio = audio, reason = reason),
    }
}

fn redirect(r: &RedirectError) -> String {
    match r {
        RedirectError::TooMany { max } => tr!(RedirTooMany, max = max),
        RedirectError::Scheme(scheme) => tr!(RedirScheme, scheme = format!("{scheme:?}")),
        RedirectError::NoLocation { status } => tr!(RedirNoLocation, status = status),
    }
}

fn range(r: &RangeError) -> String {
    let got = |g: &Option<String>| g.clone().unwrap_or_else(|| tr!(WordNone).to_string());
    match r {
        RangeError::Refused { offset } => tr!(RangeRefused, offset = offset),
        RangeError::Resume { from, got: g } => tr!(RangeResume, from = from, got = got(g)),
        RangeError::Unasked => tr!(RangeUnasked).to_string(),
        RangeError::Segment {
            from,
            last,
            total,
            got: g,
        } => tr!(
            RangeSegment,
            from = from,
            last = last,
            total = total,
            got = got(g)
        ),
        RangeError::WholeBody { from, last, status } => {
            tr!(RangeWholeBody, from = from, last = last, status = status)
        }
        RangeError::Changed { before, after } => tr!(
            RangeChanged,
            before = before,
            after = after.clone().unwrap_or_else(|| tr!(NoValidator).to_string())
        ),
    }
}

pub fn option_error(e: &OptionError) -> String {
    match e {
        OptionError::NotAnOption(word) => tr!(OptNotAnOption, word = format!("{word:?}")),
        OptionError::Unknown(key) => tr!(OptUnknown, key = format!("{key:?}")),
        OptionError::Segments(value) => tr!(OptSegments, value = value, max = EngineConfig::MAX_SEGMENTS),
        OptionError::Sha256(value) => tr!(OptSha256, value = format!("{value:?}")),
        OptionError::Rate(value) => tr!(OptRate, value = format!("{value:?}")),
        OptionError::Name(name) => tr!(OptName, name = format!("{name:?}")),
        OptionError::Quote(line) => tr!(OptQuote, line = line),
        OptionError::Duration(value) => tr!(OptDuration, value = format!("{value:?}")),
        OptionError::Select(value) => tr!(OptSelect, value = format!("{value:?}")),
        OptionError::SeedRatio(value) => tr!(OptSeedRatio, value = format!("{value:?}")),
        OptionError::SeedTime(value) => tr!(OptSeedTime, value = format!("{value:?}")),
        OptionError::Peer(value) => tr!(OptPeer, value = format!("{value:?}")),
        OptionError::PauseMetadata(value) => tr!(OptPauseMetadata, value = format!("{value:?}")),
        OptionError::Header(HeaderError::NoColon(line)) => tr!(HdrNoColon, line = format!("{line:?}")),
        OptionError::Header(HeaderError::Name(name)) => tr!(HdrName, name = format!("{name:?}")),
        OptionError::Header(HeaderError::Value(name)) => tr!(HdrValue, name = name),
        OptionError::Header(HeaderError::Own(name)) => tr!(HdrOwn, name = name),
    }
}

/// Why a metalink could not be read, fetched or understood.
pub fn metalink_error(e: &crate::input::metalink::LoadError) -> String {
    use crate::engine::metalink::MetalinkError as M;
    use crate::input::metalink::LoadError;
    let (place, why) = match e {
        LoadError::Read { place, error } => (place, error.clone()),
        LoadError::Metalink { place, error } => (
            place,
            match error {
                M::Xml(e) => tr!(MetalinkXml, e = e),
                M::NotMetalink(root) => tr!(MetalinkNotMetalink, root = root),
                M::NoFile => tr!(MetalinkNoFile).to_string(),
                M::NoName => tr!(MetalinkNoName).to_string(),
                M::UnsafeName(name) => tr!(MetalinkUnsafeName, name = format!("{name:?}")),
                M::NoUrl { name } => tr!(MetalinkNoUrl, name = format!("{name:?}")),
                M::BadHash { name, hash } => {
                    tr!(
                        MetalinkBadHash,
                        name = format!("{name:?}"),
                        hash = format!("{hash:?}")
                    )
                }
                M::BadSize { name, size } => {
                    tr!(
                        MetalinkBadSize,
                        name = format!("{name:?}"),
                        size = format!("{size:?}")
                    )
                }
                M::TooBig(bytes) => tr!(MetalinkTooBig, bytes = bytes),
            },
        ),
    };
    tr!(MetalinkPlace, place = place, error = why)
}

pub fn pattern_error(e: &PatternError) -> String {
    match e {
        PatternError::Backwards { group, from, to } => {
            tr!(RangeBackwards, group = group, from = from, to = to)
        }
        PatternError::ZeroStep { group } => tr!(RangeZeroStep, group = group),
        PatternError::TooLarge { group, value } => tr!(RangeTooLarge, group = group, value = value),
        PatternError::TooMany { count, cap } => tr!(TooMany, count = count, cap = cap),
    }
}

#[cfg(test)]
mod tests;

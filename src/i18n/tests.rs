//! The catalogue's checks: both languages everywhere, the bundled font,
//! and no words outside the catalogue.

use super::*;
use std::collections::BTreeSet;

/// The `{name}`s of a text.
fn placeholders(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.insert(rest[open + 1..open + close].to_string());
        rest = &rest[open + close + 1..];
    }
    out
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

#[test]
fn every_text_has_both_languages_with_the_same_placeholders() {
    for &key in T::ALL {
        let (en, zh) = (key.text(Lang::En), key.text(Lang::Zh));
        assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{key:?} is empty");
        assert_eq!(
            placeholders(en),
            placeholders(zh),
            "{key:?}: the placeholders differ"
        );
        // Words to translate: the English, without its placeholders and
        // the names of programs, must have become Chinese.
        assert!(zh.chars().any(is_cjk), "{key:?} is not translated: {zh:?}");
        assert_ne!(en, zh, "{key:?}");
    }
}

#[test]
fn every_chinese_character_is_in_the_bundled_font() {
    let font = include_bytes!("../../assets/fonts/NotoSansSC-subset.otf");
    let face = ttf_parser::Face::parse(font, 0).expect("the bundled font parses");
    let mut missing = BTreeSet::new();
    for &key in T::ALL {
        for c in key.text(Lang::Zh).chars().filter(|c| !c.is_ascii()) {
            if face.glyph_index(c).is_none() {
                missing.insert(c);
            }
        }
    }
    for c in Lang::Zh.name().chars() {
        assert!(face.glyph_index(c).is_some(), "{c}");
    }
    assert!(missing.is_empty(), "no glyph for {missing:?}");
}

#[test]
fn values_are_filled_by_name_in_each_language_s_word_order() {
    set(Lang::En);
    assert_eq!(tr!(LineReason, line = 3, why = "x"), "line 3: x");
    assert_eq!(plural(1u32, T::UrlToAdd, T::UrlsToAdd), "1 URL to add");
    assert_eq!(plural(2u32, T::UrlToAdd, T::UrlsToAdd), "2 URLs to add");
    set(Lang::Zh);
    assert_eq!(tr!(LineReason, line = 3, why = "x"), "第 3 行：x");
    assert_eq!(error(&FetchError::Timeout("read".into())), "超时：read");
    set(Lang::En);
    // The English of the engine's errors is what the CLI prints.
    let e = FetchError::ShortBody {
        received: 1,
        expected: 2,
    };
    assert_eq!(error(&e), e.to_string());
}

/// The window's English for the engine's errors and notes, the list
/// options and the patterns is the English `fanout get` prints.
#[test]
fn the_english_texts_of_typed_errors_are_the_cli_s() {
    set(Lang::En);
    let errors = [
        FetchError::InvalidUrl("x".into()),
        FetchError::UnsupportedScheme("ftp".into()),
        FetchError::Http {
            status: 404,
            reason: "Not Found".into(),
        },
        FetchError::Connect("refused".into()),
        FetchError::Timeout("read".into()),
        FetchError::Tls("UnknownIssuer".into()),
        FetchError::Redirect(RedirectError::TooMany { max: 10 }),
        FetchError::Redirect(RedirectError::Scheme("file".into())),
        FetchError::Redirect(RedirectError::NoLocation { status: 302 }),
        FetchError::Interrupted {
            received: 1,
            expected: Some(2),
            cause: Some("reset".into()),
        },
        FetchError::Interrupted {
            received: 1,
            expected: None,
            cause: None,
        },
        FetchError::ShortBody {
            received: 1,
            expected: 2,
        },
        FetchError::LongBody { expected: 2 },
        FetchError::Transport("t".into()),
        FetchError::Io {
            path: "/p".into(),
            kind: std::io::ErrorKind::StorageFull,
            detail: "full".into(),
        },
        RangeError::Refused { offset: 5 }.into(),
        RangeError::Resume { from: 5, got: None }.into(),
        RangeError::Unasked.into(),
        RangeError::Segment {
            from: 0,
            last: 9,
            total: 20,
            got: Some("bytes 0-19/20".into()),
        }
        .into(),
        RangeError::WholeBody {
            from: 0,
            last: 9,
            status: 200,
        }
        .into(),
        RangeError::Changed {
            before: "a".into(),
            after: None,
        }
        .into(),
        FetchError::Checksum {
            expected: "a".into(),
            got: "b".into(),
            kept: "k".into(),
        },
        FetchError::Remote("aria2 error 1".into()),
        FetchError::Cancelled,
    ];
    for e in &errors {
        assert_eq!(error(e), e.to_string());
    }
    for why in REFUSALS {
        let e = refused_torrent(why);
        assert_eq!(error(&e), e.to_string());
    }
    let notes = [
        Note::Retry {
            attempt: 2,
            error: FetchError::Timeout("read".into()),
            delay: std::time::Duration::from_millis(1500),
        },
        Note::FileChanged {
            before: "a".into(),
            after: "b".into(),
        },
        Note::RangeIgnored { offset: 5 },
        Note::RangeLied(RangeError::Unasked),
        Note::Verified { sha256: "ab".into() },
        Note::Downgraded {
            to: "http://h/".into(),
        },
        Note::Mirror {
            to: "http://m/".into(),
        },
        Note::Ignored {
            options: vec!["seed-time".into(), "bt-tracker".into()],
        },
    ];
    for n in &notes {
        assert_eq!(note(n), n.to_string());
    }
    for e in [
        OptionError::NotAnOption("x".into()),
        OptionError::Unknown("k".into()),
        OptionError::Segments("99".into()),
        OptionError::Sha256("zz".into()),
        OptionError::Rate("fast".into()),
        OptionError::Name("..".into()),
        OptionError::Quote("u a=\"b".into()),
        OptionError::Header(HeaderError::NoColon("x".into())),
        OptionError::Header(HeaderError::Name("a b".into())),
        OptionError::Header(HeaderError::Value("x-a".into())),
        OptionError::Header(HeaderError::Own("range".into())),
    ] {
        assert_eq!(option_error(&e), e.to_string());
    }
    for e in [
        PatternError::Backwards {
            group: "5-1".into(),
            from: 5,
            to: 1,
        },
        PatternError::ZeroStep {
            group: "1-5:0".into(),
        },
        PatternError::TooLarge {
            group: "1-99999999999999999999".into(),
            value: "99999999999999999999".into(),
        },
        PatternError::TooMany {
            count: 20000,
            cap: 10000,
        },
    ] {
        assert_eq!(pattern_error(&e), e.to_string());
    }
}

const REFUSALS: [Refusal; 7] = [
    Refusal::Outside,
    Refusal::Absolute,
    Refusal::Separator,
    Refusal::Empty,
    Refusal::Reserved,
    Refusal::Character,
    Refusal::TooLong,
];

fn refused_torrent(why: Refusal) -> FetchError {
    FetchError::Torrent(TorrentError::Refused {
        path: "a/../../x".into(),
        why,
    })
}

/// A refused torrent's row says, in Chinese too, that it was refused,
/// why (each reason its own words), and the path as the torrent wrote it.
#[test]
fn a_refused_torrent_is_told_in_chinese_with_its_path() {
    set(Lang::Zh);
    let said: Vec<String> = REFUSALS.iter().map(|&why| error(&refused_torrent(why))).collect();
    set(Lang::En);
    for text in &said {
        assert!(text.starts_with("已拒绝："), "{text}");
        assert!(text.ends_with(r#""a/../../x""#), "{text}");
    }
    let distinct: BTreeSet<&String> = said.iter().collect();
    assert_eq!(distinct.len(), REFUSALS.len(), "{said:?}");
}

/// No English sentence is written into the window's code past the
/// catalogue: every string literal of `src/gui` with two words in a row
/// must be an id, a log line or a test's.
#[test]
fn the_window_code_has_no_words_outside_the_catalogue() {
    let files = [
        ("mod.rs", include_str!("../gui/mod.rs")),
        ("add.rs", include_str!("../gui/add.rs")),
        ("add_variants.rs", include_str!("../gui/add_variants.rs")),
        ("compare.rs", include_str!("../gui/compare.rs")),
        ("service/model.rs", include_str!("../service/model.rs")),
        ("service/row.rs", include_str!("../service/row.rs")),
        ("service/host.rs", include_str!("../service/host.rs")),
        ("settings/mod.rs", include_str!("../settings/mod.rs")),
        ("settings/programs.rs", include_str!("../settings/programs.rs")),
        ("settings/torrents.rs", include_str!("../settings/torrents.rs")),
        ("torrent_files.rs", include_str!("../gui/torrent_files.rs")),
        ("server.rs", include_str!("../gui/server.rs")),
        ("table.rs", include_str!("../gui/table.rs")),
        ("row_menu.rs", include_str!("../gui/row_menu.rs")),
        ("service/remove.rs", include_str!("../service/remove.rs")),
        ("timeline.rs", include_str!("../gui/timeline.rs")),
        ("unattended.rs", include_str!("../gui/unattended.rs")),
        ("clipboard_watch.rs", include_str!("../gui/clipboard_watch.rs")),
        ("tray/mod.rs", include_str!("../gui/tray/mod.rs")),
        ("tray/linux.rs", include_str!("../gui/tray/linux.rs")),
        ("tray/other.rs", include_str!("../gui/tray/other.rs")),
        ("sidebar.rs", include_str!("../gui/sidebar.rs")),
        ("filter.rs", include_str!("../gui/filter.rs")),
        ("first_run.rs", include_str!("../gui/first_run.rs")),
        ("service/kind.rs", include_str!("../service/kind.rs")),
        ("preferences/mod.rs", include_str!("../gui/preferences/mod.rs")),
        (
            "preferences/quick.rs",
            include_str!("../gui/preferences/quick.rs"),
        ),
        (
            "preferences/general.rs",
            include_str!("../gui/preferences/general.rs"),
        ),
        (
            "preferences/engine.rs",
            include_str!("../gui/preferences/engine.rs"),
        ),
        (
            "preferences/network.rs",
            include_str!("../gui/preferences/network.rs"),
        ),
        (
            "preferences/programs.rs",
            include_str!("../gui/preferences/programs.rs"),
        ),
        (
            "preferences/torrents.rs",
            include_str!("../gui/preferences/torrents.rs"),
        ),
        (
            "preferences/schedule.rs",
            include_str!("../gui/preferences/schedule.rs"),
        ),
        (
            "preferences/appearance.rs",
            include_str!("../gui/preferences/appearance.rs"),
        ),
        (
            "preferences/advanced.rs",
            include_str!("../gui/preferences/advanced.rs"),
        ),
        ("details/mod.rs", include_str!("../gui/details/mod.rs")),
        ("details/general.rs", include_str!("../gui/details/general.rs")),
        ("details/segments.rs", include_str!("../gui/details/segments.rs")),
        ("details/torrent.rs", include_str!("../gui/details/torrent.rs")),
        ("details/headers.rs", include_str!("../gui/details/headers.rs")),
        ("details/log.rs", include_str!("../gui/details/log.rs")),
        ("details/lane.rs", include_str!("../gui/details/lane.rs")),
        ("service/history.rs", include_str!("../service/history.rs")),
    ];
    // What may precede a literal that is not shown to the user.
    let allowed = [
        "id_salt(",
        "Grid::new(",
        "expect(",
        "tracing::",
        "ScrollArea",
        ".name(",
    ];
    let mut found = Vec::new();
    for (file, source) in files {
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        for (at, literal) in literals(code) {
            // Values in a format string are not words to translate.
            let mut text = literal.clone();
            for name in placeholders(&literal) {
                text = text.replace(&format!("{{{name}}}"), "");
            }
            let words = text
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() >= 2)
                .count();
            let has_space = text.trim().contains(' ');
            // 60 bytes back, moved to a character's start (an icon or a
            // Chinese text may come just before).
            let mut from = at.saturating_sub(60);
            while !code.is_char_boundary(from) {
                from += 1;
            }
            let before = &code[from..at];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let context = &before[line_start..];
            if words >= 2 && has_space && !allowed.iter().any(|a| context.contains(a)) {
                found.push(format!("{file}: {literal:?}"));
            }
        }
    }
    assert!(found.is_empty(), "put these in the catalogue: {found:#?}");
}

/// The string literals of Rust code (plain and raw), with where each
/// starts, skipping comments and char literals.
fn literals(code: &str) -> Vec<(usize, String)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' => {
                // A char literal ('x', '\n', '"') or a lifetime ('a).
                if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else if b.get(i + 1) == Some(&b'\\') {
                    i += 4;
                } else {
                    i += 1;
                }
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut s = Vec::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    s.push(b[i]);
                    i += 1;
                }
                out.push((start, String::from_utf8_lossy(&s).into_owned()));
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

#[test]
fn chinese_locales_in_simplified_script_choose_chinese() {
    for l in ["zh_CN.UTF-8", "zh-CN", "zh", "zh-Hans-SG", "zh_SG"] {
        assert_eq!(Lang::from_locale(l), Lang::Zh, "{l}");
    }
    for l in ["en_US.UTF-8", "C", "", "zh_TW.UTF-8", "zh-Hant-HK", "de-DE"] {
        assert_eq!(Lang::from_locale(l), Lang::En, "{l}");
    }
}

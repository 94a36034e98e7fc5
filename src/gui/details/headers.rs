//! The Headers tab: the request headers a download sends of its own (its
//! `header`, `referer` and `user-agent` options, or fanout's user agent),
//! the login of its URL and its cookies file, each with where it comes
//! from. Secrets (`Cookie`, `Authorization`, `Proxy-Authorization`,
//! passwords) are shown as `***`, by the engine's one rule
//! ([`crate::engine::Header::shown_value`]).

use crate::engine::auth::HIDDEN;
use crate::i18n::tr;
use crate::service::model::Row;

/// Where a header comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The download's own options.
    Own,
    /// fanout's, since the download gives none.
    Default,
    /// The user and password in its URL.
    Login,
    /// Cookies read from a file (Netscape format).
    CookiesFile(std::path::PathBuf),
}

/// One header as the tab shows it: the value already safe to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub name: String,
    pub value: String,
    pub source: Source,
}

/// The headers `row` sends, secrets hidden.
pub fn request_headers(row: &Row) -> Vec<Shown> {
    let mut out: Vec<Shown> = row
        .options
        .headers
        .iter()
        .map(|h| Shown {
            name: h.name().to_string(),
            value: h.shown_value(),
            source: Source::Own,
        })
        .collect();
    if row.options.headers.get("user-agent").is_none() {
        out.push(Shown {
            name: "user-agent".into(),
            value: crate::engine::EngineConfig::new(crate::engine::BackendKind::Sequential).user_agent,
            source: Source::Default,
        });
    }
    if let Ok(url) = url::Url::parse(&row.url)
        && crate::engine::auth::has_credentials(&url)
        && row.options.headers.get("authorization").is_none()
    {
        out.push(Shown {
            name: "authorization".into(),
            value: format!("Basic {HIDDEN}"),
            source: Source::Login,
        });
    }
    if let Some(path) = &row.options.cookies {
        out.push(Shown {
            name: "cookie".into(),
            value: HIDDEN.into(),
            source: Source::CookiesFile(path.clone()),
        });
    }
    out
}

fn source_text(source: &Source) -> String {
    match source {
        Source::Own => tr!(HeadOwn).into(),
        Source::Default => tr!(HeadDefault).into(),
        Source::Login => tr!(HeadLogin).into(),
        Source::CookiesFile(path) => tr!(HeadCookies, path = path.display()),
    }
}

pub fn show(ui: &mut egui::Ui, row: &Row) {
    egui::Grid::new("details-headers")
        .num_columns(3)
        .spacing([16.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            ui.strong(tr!(HeadName));
            ui.strong(tr!(HeadValue));
            ui.strong(tr!(HeadFrom));
            ui.end_row();
            for h in request_headers(row) {
                ui.label(&h.name);
                ui.label(&h.value);
                ui.label(source_text(&h.source));
                ui.end_row();
            }
        });
    if let Some(rule) = &row.rule {
        ui.weak(tr!(HeadRule, rule = rule));
    }
    ui.weak(tr!(HeadSecrets));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::model::Model;

    #[test]
    fn secrets_are_hidden_and_the_rest_shown_with_where_they_come_from() {
        let mut m = Model::new(crate::engine::Order::Completion);
        let words = [
            "header=Cookie: session=SECRET1",
            "header=X-Trace: 42",
            "referer=https://example.com/",
            "cookies=/tmp/c.txt",
        ];
        let options = crate::input::Options::parse(words).unwrap();
        m.add(0, "https://alice:SECRET2@h/a.bin".into(), "/d".into(), options);
        let shown = request_headers(&m.rows[0]);
        let all = format!("{shown:?}");
        assert!(!all.contains("SECRET"), "{all}");
        let find = |name: &str| shown.iter().find(|h| h.name == name).cloned();
        assert_eq!(find("x-trace").map(|h| h.value), Some("42".into()));
        assert_eq!(find("referer").map(|h| h.source), Some(Source::Own));
        assert!(
            shown
                .iter()
                .any(|h| h.name == "cookie" && h.value == "***" && h.source == Source::Own)
        );
        assert!(
            shown
                .iter()
                .any(|h| h.name == "cookie" && matches!(h.source, Source::CookiesFile(_)))
        );
        assert_eq!(find("authorization").map(|h| h.value), Some("Basic ***".into()));
        assert_eq!(find("user-agent").map(|h| h.source), Some(Source::Default));
    }
}

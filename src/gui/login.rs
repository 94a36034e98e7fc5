//! A server's 401 asks the user: a small window names the site and how
//! many downloads wait for it, takes a user name and password (with
//! `Remember for this site`, which keeps them in the keyring), and retries
//! those downloads with them. One site at a time; the others wait their
//! turn. Downloads whose URL names its own login are not asked about: that
//! login was the one refused.

use std::collections::BTreeMap;

use super::{Action, FanoutApp};
use crate::engine::auth::Login;
use crate::engine::{FetchError, TaskResult};
use crate::i18n::tr;
use crate::settings::{EngineChoice, Settings};

/// A site that asked: the downloads waiting for it, and the per-site
/// rule that applies to it (its host pattern and user), if one does.
#[derive(Default)]
struct Asking {
    indices: Vec<usize>,
    rule: Option<(String, Option<String>)>,
}

/// The sites that asked, and the downloads waiting for each.
#[derive(Default)]
pub(super) struct LoginPrompt {
    waiting: BTreeMap<String, Asking>,
    user: String,
    password: String,
    remember: bool,
}

impl LoginPrompt {
    /// The site asked about now.
    fn current(&self) -> Option<(&String, &Asking)> {
        self.waiting.iter().next()
    }
}

/// The host a 401 came from, when a login of the user's could help.
fn asks_for_login(r: &TaskResult) -> Option<String> {
    if !matches!(r.outcome, Err(FetchError::Http { status: 401, .. })) {
        return None;
    }
    let url = url::Url::parse(&r.url).ok()?;
    if crate::engine::auth::has_credentials(&url) {
        return None;
    }
    url.host_str().map(str::to_ascii_lowercase)
}

impl LoginPrompt {
    /// The prompt, while a site waits for a login.
    pub(super) fn window(&mut self, ctx: &egui::Context, settings: &mut Settings, actions: &mut Vec<Action>) {
        let Some((host, asking)) = self.current() else {
            return;
        };
        let (host, n) = (host.clone(), asking.indices.len());
        // A site rule's user is filled in; its login is kept for the
        // rule's hosts.
        let rule = asking.rule.clone();
        if self.user.is_empty()
            && let Some((_, Some(user))) = &rule
        {
            self.user = user.clone();
        }
        let mut answer = None;
        egui::Window::new(tr!(LoginTitle))
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
            .show(ctx, |ui| {
                ui.label(tr!(LoginFor, host = host, n = n));
                egui::Grid::new("login").num_columns(2).show(ui, |ui| {
                    let l = ui.label(tr!(ProxyUser));
                    ui.text_edit_singleline(&mut self.user).labelled_by(l.id);
                    ui.end_row();
                    let l = ui.label(tr!(ProxyPassword));
                    ui.add(egui::TextEdit::singleline(&mut self.password).password(true))
                        .labelled_by(l.id);
                    ui.end_row();
                });
                ui.checkbox(&mut self.remember, tr!(LoginRemember));
                ui.horizontal(|ui| {
                    let ready = !self.user.trim().is_empty();
                    if ui
                        .add_enabled(ready, egui::Button::new(tr!(LoginRetry)))
                        .clicked()
                    {
                        answer = Some(true);
                    }
                    if ui.button(tr!(Cancel)).clicked() {
                        answer = Some(false);
                    }
                });
            });
        let Some(log_in) = answer else { return };
        let indices = self.waiting.remove(&host).unwrap_or_default().indices;
        let login = Login::new(self.user.trim(), std::mem::take(&mut self.password));
        self.user.clear();
        if !log_in {
            return;
        }
        let list = if std::mem::take(&mut self.remember) {
            &mut settings.site_logins
        } else {
            &mut settings.session_logins
        };
        let key = rule.map_or(host, |(pattern, _)| pattern);
        list.retain(|(h, _)| *h != key);
        list.push((key, login));
        // After the layout the engine takes the login, then the downloads
        // go again (the settings' save, with the keyring, follows in this
        // frame).
        actions.push(Action::RetryWithLogin(indices));
    }
}

impl FanoutApp {
    /// Notes a result that asks for a login (the local engines use saved
    /// logins; aria2 does not).
    pub(super) fn note_login_wanted(&mut self, r: &TaskResult) {
        if self.settings.engine == EngineChoice::Aria2 {
            return;
        }
        if let Some(host) = asks_for_login(r) {
            let rule = self
                .local()
                .engine
                .as_ref()
                .and_then(|e| e.rule_for(&r.url))
                .map(|rule| (rule.hosts.clone(), rule.user.clone()));
            let asking = self.panels.login.waiting.entry(host).or_default();
            if asking.rule.is_none() {
                asking.rule = rule;
            }
            if !asking.indices.contains(&r.index) {
                asking.indices.push(r.index);
            }
        }
    }

    /// The engine takes the logins the prompt added, then the downloads
    /// that asked for one go again.
    pub(super) fn retry_with_login(&mut self, indices: Vec<usize>) {
        self.apply_engine_config();
        if let Some(engine) = &self.local().engine {
            for i in indices {
                engine.retry(i);
            }
        }
    }
}

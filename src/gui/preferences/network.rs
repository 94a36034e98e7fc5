//! Preferences › Network: the proxy (system, none, HTTP or SOCKS5 with a
//! user and password), the hosts that go direct, logins from `~/.netrc`,
//! passwords over plain HTTP, the logins saved for sites (with `Forget`),
//! where passwords are kept; and the site rules.

use egui::RichText;

use super::Form;
use crate::engine::rules::SiteRules;
use crate::i18n::tr;
use crate::platform::secrets::Kept;
use crate::settings::ProxyMode;

impl Form<'_> {
    /// True while a field is edited (applied when it is left).
    pub(super) fn network_section(&mut self, ui: &mut egui::Ui) -> bool {
        let mut editing = self.proxy_fields(ui);
        ui.add_space(8.0);
        editing |= self.rules_fields(ui);
        editing
    }

    fn proxy_fields(&mut self, ui: &mut egui::Ui) -> bool {
        let mut editing = false;
        let net = &mut self.settings.network;
        let label = ui.label(tr!(Proxy));
        ui.horizontal_wrapped(|ui| {
            for mode in ProxyMode::ALL {
                let r = ui.selectable_value(&mut net.proxy, mode, mode.label());
                if mode == ProxyMode::System {
                    r.on_hover_text(tr!(ProxySystemHint)).labelled_by(label.id);
                }
            }
        });
        if matches!(net.proxy, ProxyMode::Http | ProxyMode::Socks5) {
            egui::Grid::new("proxy").num_columns(2).show(ui, |ui| {
                let mut field = |ui: &mut egui::Ui, label: &str, text: &mut String, hint: &str, secret| {
                    let l = ui.label(label);
                    let r = ui.add(
                        egui::TextEdit::singleline(text)
                            .password(secret)
                            .hint_text(hint)
                            .desired_width(200.0),
                    );
                    editing |= r.labelled_by(l.id).has_focus();
                    ui.end_row();
                };
                field(ui, tr!(ProxyAddress), &mut net.proxy_address, "host:port", false);
                field(ui, tr!(ProxyUser), &mut net.proxy_user, "", false);
                field(
                    ui,
                    tr!(ProxyPassword),
                    &mut self.settings.proxy_password.0,
                    "",
                    true,
                );
            });
            if let Err(e) = net.proxy(&self.settings.proxy_password.0) {
                ui.label(RichText::new(e).color(ui.visuals().warn_fg_color));
            }
        }
        if net.proxy != ProxyMode::None {
            let l = ui.label(tr!(NoProxyFor));
            let r = ui.add(
                egui::TextEdit::singleline(&mut net.no_proxy)
                    .hint_text(tr!(NoProxyHint))
                    .desired_width(f32::INFINITY),
            );
            editing |= r.labelled_by(l.id).has_focus();
        }
        ui.checkbox(&mut net.netrc, tr!(UseNetrc))
            .on_hover_text(tr!(UseNetrcHint));
        ui.checkbox(&mut net.allow_plain_auth, tr!(AllowPlainAuth))
            .on_hover_text(tr!(AllowPlainAuthHint));
        self.saved_logins(ui);
        match &self.vault.kept {
            Some(Kept::Keyring) => {
                ui.weak(tr!(SecretsInKeyring));
            }
            Some(Kept::File { path, why }) => {
                ui.label(RichText::new(tr!(SecretsInFile)).color(ui.visuals().warn_fg_color))
                    .on_hover_text(tr!(RpcSecretInFileWhy, path = path.display(), why = why));
            }
            None => {}
        }
        if let Some(e) = &self.vault.error {
            ui.label(RichText::new(e).color(ui.visuals().warn_fg_color));
        }
        editing
    }

    /// The site rules: the rules file, edited in place. While it does not
    /// read, no rule applies and the section says why. True while it is
    /// edited.
    fn rules_fields(&mut self, ui: &mut egui::Ui) -> bool {
        let l = ui.label(RichText::new(tr!(SiteRules)).strong());
        ui.weak(tr!(SiteRulesHint));
        let r = ui
            .add(
                egui::TextEdit::multiline(&mut self.settings.rules)
                    .code_editor()
                    .desired_rows(6)
                    .desired_width(f32::INFINITY)
                    .hint_text(tr!(SiteRulesExample)),
            )
            .labelled_by(l.id);
        if let Err(e) = SiteRules::parse(&self.settings.rules) {
            ui.label(RichText::new(e).color(ui.visuals().warn_fg_color));
        }
        r.has_focus()
    }

    /// The hosts with a saved login, each with `Forget`.
    fn saved_logins(&mut self, ui: &mut egui::Ui) {
        if self.settings.site_logins.is_empty() {
            return;
        }
        ui.label(tr!(SavedLogins));
        let mut forget = None;
        for (i, (host, login)) in self.settings.site_logins.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.monospace(format!("{}@{host}", login.user()));
                if ui.small_button(tr!(Forget)).clicked() {
                    forget = Some(i);
                }
            });
        }
        if let Some(i) = forget {
            self.settings.site_logins.remove(i);
        }
    }
}

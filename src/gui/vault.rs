//! The window's secrets: the aria2 daemon's token, the shown server's
//! token, the proxy's password and
//! the logins saved for sites, read from and written to the keyring (else
//! the user-only file, see [`crate::platform::secrets`]) on a thread of their own,
//! since a keyring may ask to be unlocked and wait for the user. The UI
//! thread sends requests and takes the answers in `logic()`.

use crossbeam_channel::{Receiver, Sender};
use serde::{Deserialize, Serialize};

use super::FanoutApp;
use crate::engine::auth::Login;
use crate::platform::secrets::{ARIA2_SECRET, Kept, PROXY_PASSWORD, SERVER_SECRET, SITE_LOGINS, Secrets};
use crate::settings::{Secret, Settings};

enum Request {
    Load,
    Put(&'static str, Option<String>),
}

/// What the keyring holds for the window.
pub(super) struct Loaded {
    aria2_secret: Option<String>,
    server_secret: Option<String>,
    proxy_password: Option<String>,
    site_logins: Vec<(String, Login)>,
}

enum Answer {
    Loaded(Result<Loaded, String>, Kept),
    Stored(Result<Kept, String>),
}

/// A saved login, as the keyring entry holds the list.
#[derive(Serialize, Deserialize)]
struct SavedLogin {
    host: String,
    user: String,
    password: String,
}

/// The thread that talks to the keyring, and what it said last.
pub(super) struct Vault {
    tx: Option<Sender<Request>>,
    rx: Receiver<Answer>,
    /// Where secrets are kept (the window says so when it is a file).
    pub kept: Option<Kept>,
    /// Why a secret could not be read or kept.
    pub error: Option<String>,
    /// An older `settings.json` held the aria2 secret: once it is in the
    /// keyring, the settings are written again without it.
    legacy: bool,
}

impl Default for Vault {
    fn default() -> Self {
        Vault {
            tx: None,
            rx: crossbeam_channel::never(),
            kept: None,
            error: None,
            legacy: false,
        }
    }
}

fn load(secrets: &Secrets) -> (Result<Loaded, String>, Kept) {
    let read = |key| secrets.get(key).map_err(|e| e.to_string());
    let (aria2, kept) = match read(ARIA2_SECRET) {
        Ok(got) => got,
        Err(e) => {
            let kept = Kept::File {
                path: secrets.path().to_path_buf(),
                why: e.clone(),
            };
            return (Err(e), kept);
        }
    };
    let rest = (|| {
        let proxy = read(PROXY_PASSWORD)?.0;
        let server = read(SERVER_SECRET)?.0;
        let sites = read(SITE_LOGINS)?.0.unwrap_or_default();
        let sites: Vec<SavedLogin> = if sites.is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(&sites).map_err(|e| format!("saved logins unreadable: {e}"))?
        };
        Ok(Loaded {
            aria2_secret: aria2,
            server_secret: server,
            proxy_password: proxy,
            site_logins: sites
                .into_iter()
                .map(|s| (s.host, Login::new(s.user, s.password)))
                .collect(),
        })
    })();
    (rest, kept)
}

impl Vault {
    /// Starts the thread; `legacy` is an aria2 secret an older
    /// `settings.json` held, moved to the keyring first.
    pub(super) fn start(secrets: Secrets, legacy: Option<String>, ctx: egui::Context) -> Vault {
        let (tx, requests) = crossbeam_channel::unbounded::<Request>();
        let (answers, rx) = crossbeam_channel::unbounded();
        let spawned = std::thread::Builder::new()
            .name("fanout-vault".into())
            .spawn(move || {
                for request in requests {
                    let answer = match request {
                        Request::Load => {
                            let (loaded, kept) = load(&secrets);
                            Answer::Loaded(loaded, kept)
                        }
                        Request::Put(key, value) => {
                            Answer::Stored(secrets.set(key, value.as_deref()).map_err(|e| e.to_string()))
                        }
                    };
                    let _ = answers.send(answer);
                    ctx.request_repaint();
                }
            });
        let mut vault = Vault {
            rx,
            ..Vault::default()
        };
        match spawned {
            Ok(_) => {
                if let Some(secret) = legacy.filter(|s| !s.is_empty()) {
                    let _ = tx.send(Request::Put(ARIA2_SECRET, Some(secret)));
                    vault.legacy = true;
                }
                let _ = tx.send(Request::Load);
                vault.tx = Some(tx);
            }
            Err(e) => vault.error = Some(e.to_string()),
        }
        vault
    }

    fn put(&self, key: &'static str, value: Option<String>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Request::Put(key, value));
        }
    }

    /// Sends the secrets that differ between `before` and `now`.
    pub(super) fn save_changes(&self, before: &Settings, now: &Settings) {
        let text = |s: &Secret| Some(s.0.clone()).filter(|v| !v.is_empty());
        if before.aria2_secret != now.aria2_secret {
            self.put(ARIA2_SECRET, text(&now.aria2_secret));
        }
        if before.server_secret != now.server_secret {
            self.put(SERVER_SECRET, text(&now.server_secret));
        }
        if before.proxy_password != now.proxy_password {
            self.put(PROXY_PASSWORD, text(&now.proxy_password));
        }
        if before.site_logins != now.site_logins {
            let list: Vec<SavedLogin> = now
                .site_logins
                .iter()
                .map(|(host, l)| SavedLogin {
                    host: host.clone(),
                    user: l.user().to_string(),
                    password: l.password().to_string(),
                })
                .collect();
            let json = serde_json::to_string(&list).unwrap_or_default();
            self.put(SITE_LOGINS, (!list.is_empty()).then_some(json));
        }
    }
}

impl FanoutApp {
    /// Takes the vault's answers: the secrets once loaded go into the
    /// settings (as they were saved, so this is no change to save back)
    /// and the engine.
    pub(super) fn poll_vault(&mut self) {
        while let Ok(answer) = self.vault.rx.try_recv() {
            match answer {
                Answer::Loaded(loaded, kept) => {
                    self.vault.kept = Some(kept);
                    match loaded {
                        Ok(l) => {
                            for s in [&mut self.settings, &mut self.saved_settings] {
                                if let Some(v) = &l.aria2_secret {
                                    s.aria2_secret = Secret(v.clone());
                                }
                                s.proxy_password = Secret(l.proxy_password.clone().unwrap_or_default());
                                s.server_secret = Secret(l.server_secret.clone().unwrap_or_default());
                                s.site_logins = l.site_logins.clone();
                            }
                            // The service's copy (calls reconfigure the
                            // engine from it) has them too.
                            self.link.hub.lock().settings = self.settings.clone();
                            if std::mem::take(&mut self.vault.legacy)
                                && let Err(e) = self.saved_settings.save(&self.options.settings_path())
                            {
                                tracing::warn!(error = %e, "settings not written again without the aria2 secret");
                            }
                            self.apply_engine_config();
                        }
                        Err(e) => self.vault.error = Some(e),
                    }
                }
                Answer::Stored(Ok(kept)) => self.vault.kept = Some(kept),
                Answer::Stored(Err(e)) => self.vault.error = Some(e),
            }
        }
    }
}

//! Where fanout keeps its secrets (the RPC server's token first): one
//! place for all of them, so the policy (docs/network.md, "Secrets") is
//! written once:
//!
//! - the system keyring where there is one: on Linux the Secret Service
//!   (GNOME Keyring, KWallet) over D-Bus, as the item `fanout` / KEY;
//! - else one file readable by the user only (mode 0600, `secrets.json` in
//!   the config folder), written atomically;
//! - never `settings.json`, a log or a `Debug` string.
//!
//! [`Kept`] says which, so the window can tell the user. A secret that was
//! in the file moves to the keyring once there is one, so a secret given to
//! other programs stays the same. A keyring may ask to be unlocked and
//! wait for the user: callers ask off the UI thread.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The RPC server's token.
pub const RPC_SECRET: &str = "rpc-secret";
/// The aria2 daemon's token (the aria2 engine's).
pub const ARIA2_SECRET: &str = "aria2-secret";
/// The token of the download server the window shows ("Connect to a
/// server").
pub const SERVER_SECRET: &str = "server-secret";
/// The proxy's password.
pub const PROXY_PASSWORD: &str = "proxy-password";
/// Logins saved for sites (`Remember for this site`): JSON, host to user
/// and password.
pub const SITE_LOGINS: &str = "site-logins";
/// What the saved queue's tasks hold that is secret (a URL's password,
/// `Cookie` and `Authorization` headers): JSON, task id to its secrets.
pub const QUEUE_SECRETS: &str = "queue-secrets";

/// Whether this process has logged that there is no keyring.
static NO_KEYRING_SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Where a secret is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kept {
    /// The system keyring (the Secret Service on Linux).
    Keyring,
    /// The file readable by the user only; `why` there is no keyring.
    File { path: PathBuf, why: String },
}

/// The secrets of one config folder.
#[derive(Clone, Debug)]
pub struct Secrets {
    path: PathBuf,
    /// Try the system keyring first (off in tests, which must not touch
    /// the user's keyring unless they start one of their own).
    keyring: bool,
}

impl Secrets {
    pub fn in_dir(dir: &Path, keyring: bool) -> Secrets {
        Secrets {
            path: dir.join("secrets.json"),
            keyring,
        }
    }

    /// The file used where there is no keyring.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> BTreeMap<String, String> {
        std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn write(&self, all: &BTreeMap<String, String>) -> io::Result<()> {
        let body = serde_json::to_vec_pretty(all).map_err(io::Error::other)?;
        crate::platform::private::write_atomically(&self.path, &body)
    }

    fn in_file(&self, key: &str) -> Option<String> {
        self.read().remove(key).filter(|v| !v.is_empty())
    }

    /// The secret under `key`, made (random) and kept on first use, and
    /// where it is kept.
    pub fn get_or_make(&self, key: &str) -> io::Result<(String, Kept)> {
        if let (Some(v), kept) = self.get(key)? {
            return Ok((v, kept));
        }
        let token = random_token()?;
        let kept = self.set(key, Some(&token))?;
        Ok((token, kept))
    }

    /// Runs `f` on the keyring; `Err` says why the keyring is not used.
    fn in_keyring<T>(&self, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        if !self.keyring {
            return Err("the keyring is not used here".to_string());
        }
        f().inspect_err(|why| {
            // Every secret looked up asks the keyring again (one may start
            // later), but the log says it is missing once a process: three
            // lookups at a service's start said it three times.
            if !NO_KEYRING_SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
                tracing::info!(%why, "no system keyring; secrets go to a file only the user can read");
            }
        })
    }

    fn file_kept(&self, why: String) -> Kept {
        Kept::File {
            path: self.path.clone(),
            why,
        }
    }

    /// The secret under `key`, if there is one, and where secrets are kept.
    pub fn get(&self, key: &str) -> io::Result<(Option<String>, Kept)> {
        match self.in_keyring(|| keyring::get(key)) {
            Ok(Some(v)) => Ok((Some(v), Kept::Keyring)),
            // None in the keyring: one left in the file moves there.
            Ok(None) => match self.in_file(key) {
                Some(v) => Ok((Some(v.clone()), self.set(key, Some(&v))?)),
                None => Ok((None, Kept::Keyring)),
            },
            Err(why) => Ok((self.in_file(key), self.file_kept(why))),
        }
    }

    /// Keeps `value` under `key` (`None` or empty removes it), in the
    /// keyring where there is one, else in the file; says where.
    pub fn set(&self, key: &str, value: Option<&str>) -> io::Result<Kept> {
        let value = value.filter(|v| !v.is_empty());
        let kept = self.in_keyring(|| keyring::set(key, value));
        // The file is read, changed and written whole: one thread at a
        // time (the window's, the store's and the RPC secret's all write).
        let _one = crate::sync::lock(&FILE);
        let mut all = self.read();
        let kept = match kept {
            Ok(()) => {
                // Not in both places: the file loses it.
                if all.remove(key).is_none() {
                    return Ok(Kept::Keyring);
                }
                Kept::Keyring
            }
            Err(why) => {
                match value {
                    Some(v) => all.insert(key.to_string(), v.to_string()),
                    None => all.remove(key),
                };
                self.file_kept(why)
            }
        };
        self.write(&all)?;
        Ok(kept)
    }
}

/// Held while `secrets.json` is read, changed and written.
static FILE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// 128 random bits as 32 hex digits: safe in a URL, a header and a shell.
pub fn random_token() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(crate::engine::hex(&bytes))
}

/// The system's credential store: the Secret Service on Linux (GNOME
/// Keyring, KWallet, over D-Bus), the Credential Manager on Windows (a
/// generic credential `rpc-secret.fanout`, which Wine keeps under
/// `HKCU\Software\Wine\Credential Manager`).
#[cfg(any(target_os = "linux", windows))]
mod keyring {
    use keyring_core::{CredentialStore, Entry, Error};

    /// The item's service (Secret Service attribute; Windows target suffix).
    const SERVICE: &str = "fanout";

    fn store() -> Result<std::sync::Arc<CredentialStore>, String> {
        #[cfg(target_os = "linux")]
        let store = zbus_secret_service_keyring_store::Store::new().map_err(|e| e.to_string())?;
        #[cfg(windows)]
        let store = windows_native_keyring_store::Store::new().map_err(|e| e.to_string())?;
        Ok(store)
    }

    fn entry(key: &str) -> Result<Entry, String> {
        Entry::new_in_store(&store()?, SERVICE, key).map_err(|e| e.to_string())
    }

    pub(super) fn get(key: &str) -> Result<Option<String>, String> {
        match entry(key)?.get_password() {
            Ok(secret) => Ok(Some(secret).filter(|s| !s.is_empty())),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    pub(super) fn set(key: &str, value: Option<&str>) -> Result<(), String> {
        let entry = entry(key)?;
        match value {
            Some(v) => entry.set_password(v).map_err(|e| e.to_string()),
            None => match entry.delete_credential() {
                Ok(()) | Err(Error::NoEntry) => Ok(()),
                Err(e) => Err(e.to_string()),
            },
        }
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
mod keyring {
    pub(super) fn get(_: &str) -> Result<Option<String>, String> {
        Err("fanout uses the system keyring on Linux and Windows only so far".into())
    }

    pub(super) fn set(_: &str, _: Option<&str>) -> Result<(), String> {
        Err("fanout uses the system keyring on Linux and Windows only so far".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_kept_at_once_from_several_threads_are_all_kept() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let s = Secrets::in_dir(dir.path(), false);
                std::thread::spawn(move || {
                    for round in 0..20 {
                        s.set(&format!("key-{i}"), Some(&format!("value-{round}")))
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let s = Secrets::in_dir(dir.path(), false);
        for i in 0..8 {
            assert_eq!(s.get(&format!("key-{i}")).unwrap().0.as_deref(), Some("value-19"));
        }
    }

    #[test]
    fn without_a_keyring_a_secret_is_made_once_kept_and_the_user_s_alone() {
        let dir = tempfile::tempdir().unwrap();
        let s = Secrets::in_dir(dir.path(), false);
        let (a, kept) = s.get_or_make(RPC_SECRET).unwrap();
        assert!(matches!(kept, Kept::File { .. }));
        assert_eq!(a.len(), 32);
        assert_eq!(
            Secrets::in_dir(dir.path(), false)
                .get_or_make(RPC_SECRET)
                .unwrap()
                .0,
            a
        );
        assert_ne!(random_token().unwrap(), a);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(s.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    /// On Windows (tested under Wine) a secret goes to the Credential
    /// Manager and never into `secrets.json`; removing it removes it there.
    #[cfg(windows)]
    #[test]
    fn on_windows_a_secret_is_kept_in_the_credential_manager() {
        let dir = tempfile::tempdir().unwrap();
        let s = Secrets::in_dir(dir.path(), true);
        // A key of this run's own: the store is the user's, shared by runs.
        let key = format!("test-{}", random_token().unwrap());
        assert_eq!(s.set(&key, Some("s3cret")).unwrap(), Kept::Keyring);
        assert_eq!(s.get(&key).unwrap(), (Some("s3cret".to_string()), Kept::Keyring));
        let file = std::fs::read_to_string(s.path()).unwrap_or_default();
        assert!(
            !file.contains("s3cret"),
            "the secret is in {}: {file}",
            s.path().display()
        );
        s.set(&key, None).unwrap();
        assert_eq!(s.get(&key).unwrap().0, None);
    }
}

//! Where fanout keeps its secrets (the RPC server's token first): one
//! place for all of them, so the policy is written once.
//!
//! Today that is one file readable by the user only (mode 0600,
//! `secrets.json` in the config folder), written atomically, and never
//! `settings.json`, a log or a `Debug` string. DESIGN.md's policy puts
//! secrets in the system keyring where there is one; that store is not
//! built yet (it comes with proxy passwords and site credentials), and
//! the window says where the secret is kept.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The RPC server's token.
pub const RPC_SECRET: &str = "rpc-secret";

/// The secrets file of one config folder.
#[derive(Clone, Debug)]
pub struct Secrets {
    path: PathBuf,
}

impl Secrets {
    pub fn in_dir(dir: &Path) -> Secrets {
        Secrets {
            path: dir.join("secrets.json"),
        }
    }

    /// Where they are kept (for the window to say).
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> BTreeMap<String, String> {
        std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.read().remove(key).filter(|v| !v.is_empty())
    }

    pub fn set(&self, key: &str, value: &str) -> io::Result<()> {
        let mut all = self.read();
        all.insert(key.to_string(), value.to_string());
        let body = serde_json::to_vec_pretty(&all).map_err(io::Error::other)?;
        crate::private::write_atomically(&self.path, &body)
    }

    /// The secret under `key`, made (random) and kept on first use.
    pub fn get_or_make(&self, key: &str) -> io::Result<String> {
        if let Some(v) = self.get(key) {
            return Ok(v);
        }
        let token = random_token()?;
        self.set(key, &token)?;
        Ok(token)
    }
}

/// 128 random bits as 32 hex digits: safe in a URL, a header and a shell.
pub fn random_token() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(crate::engine::hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_made_once_kept_and_the_user_s_alone() {
        let dir = tempfile::tempdir().unwrap();
        let s = Secrets::in_dir(dir.path());
        let a = s.get_or_make(RPC_SECRET).unwrap();
        assert_eq!(a.len(), 32);
        assert_eq!(Secrets::in_dir(dir.path()).get_or_make(RPC_SECRET).unwrap(), a);
        assert_ne!(random_token().unwrap(), a);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(s.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}

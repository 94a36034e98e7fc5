//! `fanout get`'s network flags: the proxy, and where logins come from.
//! Named as curl names them, so a script moves over with its flags.

use std::path::PathBuf;

use clap::Args;

use super::UsageError;
use crate::engine::auth::Logins;
use crate::engine::netrc::{self, Netrc};
use crate::engine::rules::SiteRules;
use crate::engine::{EngineConfig, ProxyChoice, ProxyServer};

#[derive(Debug, Args)]
pub struct NetArgs {
    /// The proxy for every URL: http://HOST:PORT, https://, socks5:// or
    /// socks5h:// (names resolved by the proxy); USER:PASS@ may come
    /// first. An empty value uses none, whatever the environment says.
    /// Without it: http_proxy, https_proxy, all_proxy, else the desktop's
    /// proxy settings.
    #[arg(short = 'x', long = "proxy", value_name = "URL")]
    pub proxy: Option<String>,
    /// Hosts that go direct, comma-separated (example.com also matches its
    /// subdomains; 10.0.0.0/8; * for all), instead of $no_proxy.
    #[arg(long = "noproxy", value_name = "LIST")]
    pub noproxy: Option<String>,
    /// The proxy's user and password, as USER:PASSWORD.
    #[arg(short = 'U', long = "proxy-user", value_name = "USER:PASSWORD")]
    pub proxy_user: Option<String>,
    /// Send a URL's user and password over plain HTTP to a public address
    /// too (loopback and private networks are always allowed).
    #[arg(long)]
    pub allow_plain_auth: bool,
    /// Logins from ~/.netrc for URLs that name none.
    #[arg(long)]
    pub netrc: bool,
    /// Logins from FILE (netrc format) for URLs that name none.
    #[arg(long, value_name = "FILE")]
    pub netrc_file: Option<PathBuf>,
    /// Per-site rules from FILE (TOML, as the window's rules.toml): for
    /// hosts like *.example.com, connections, a speed limit, at most N files
    /// at once, a folder, a proxy, headers, a user agent.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
}

impl NetArgs {
    /// Puts the flags into the engine's settings.
    pub fn apply(&self, config: &mut EngineConfig) -> Result<(), UsageError> {
        config.proxy.choice = match self.proxy.as_deref().map(str::trim) {
            None if self.proxy_user.is_some() => {
                return Err(UsageError("--proxy-user needs --proxy".into()));
            }
            None => ProxyChoice::System,
            Some("") => ProxyChoice::Direct,
            Some(text) => ProxyChoice::Manual(
                ProxyServer::parse(text, self.proxy_user.as_deref())
                    .map_err(|e| UsageError(format!("--proxy: {e}")))?,
            ),
        };
        config.proxy.no_proxy = self.noproxy.clone();
        config.allow_plain_auth = self.allow_plain_auth;
        let file = match (&self.netrc_file, self.netrc) {
            (Some(f), _) => Some(f.clone()),
            (None, true) => netrc::default_path(),
            (None, false) => None,
        };
        if let Some(path) = &self.rules {
            let text = std::fs::read_to_string(path)
                .map_err(|e| UsageError(format!("--rules {}: {e}", path.display())))?;
            config.rules = SiteRules::parse(&text)
                .map_err(|e| UsageError(format!("--rules {}: {e}", path.display())))?;
        }
        if let Some(file) = file {
            let read = Netrc::load(&file).map_err(|e| UsageError(format!("--netrc: {e}")))?;
            config.logins = Logins {
                sites: Vec::new(),
                netrc: Some(read),
            };
        }
        Ok(())
    }
}

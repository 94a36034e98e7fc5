//! fanout beside other programs: the aria2-compatible RPC server it
//! offers (`Accept downloads from other programs`) and the server whose
//! downloads the window shows (`Downloads shown: A server`). Their secrets
//! are kept apart (see [`crate::platform::secrets`]).

use serde::{Deserialize, Serialize};

/// `Accept downloads from other programs`: the RPC server's settings. Its
/// secret is not here (see [`crate::platform::secrets`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RpcSettings {
    pub enabled: bool,
    pub port: u16,
    /// Addresses besides loopback to serve (a LAN address), separated by
    /// commas or spaces; empty serves this machine only.
    pub listen: String,
    /// Downloads from other programs arrive paused, to be started (or
    /// removed) in the window first.
    pub ask: bool,
}

/// "Connect to a server": the window shows and controls the downloads of
/// a `fanout serve` or an aria2c (its JSON-RPC address) instead of this
/// computer's, which go on meanwhile. Its secret is
/// [`super::Settings::server_secret`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    /// Shows the server's downloads (else "This computer").
    pub connect: bool,
    pub url: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            connect: false,
            url: format!("http://127.0.0.1:{}/jsonrpc", crate::rpc::DEFAULT_PORT),
        }
    }
}

impl Default for RpcSettings {
    fn default() -> Self {
        RpcSettings {
            enabled: true,
            port: crate::rpc::DEFAULT_PORT,
            listen: String::new(),
            ask: false,
        }
    }
}

impl RpcSettings {
    /// Where to listen; an address that is not one is the error.
    pub fn listen(&self) -> Result<crate::rpc::Listen, String> {
        let extra = self
            .listen
            .split([',', ' '])
            .filter(|a| !a.trim().is_empty())
            .map(|a| a.trim().parse().map_err(|_| a.trim().to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::rpc::Listen {
            port: self.port,
            addresses: crate::rpc::Addresses::Loopback { also: extra },
        })
    }
}

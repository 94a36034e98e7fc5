//! The methods fanout's RPC answers, by aria2's names, and the token that
//! every `aria2.*` call carries as its first parameter.

use serde_json::Value;

use super::refusals::RefusalReason;
use super::wire::ErrorObject;

macro_rules! methods {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// A method of aria2's RPC that fanout knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Method { $($variant),* }

        impl Method {
            pub const ALL: &[Method] = &[$(Method::$variant),*];

            pub fn name(self) -> &'static str {
                match self { $(Method::$variant => $name),* }
            }
        }
    };
}

methods! {
    AddUri = "aria2.addUri",
    AddTorrent = "aria2.addTorrent",
    AddMetalink = "aria2.addMetalink",
    Remove = "aria2.remove",
    ForceRemove = "aria2.forceRemove",
    Pause = "aria2.pause",
    PauseAll = "aria2.pauseAll",
    ForcePause = "aria2.forcePause",
    ForcePauseAll = "aria2.forcePauseAll",
    Unpause = "aria2.unpause",
    UnpauseAll = "aria2.unpauseAll",
    TellStatus = "aria2.tellStatus",
    GetUris = "aria2.getUris",
    GetFiles = "aria2.getFiles",
    GetPeers = "aria2.getPeers",
    GetServers = "aria2.getServers",
    TellActive = "aria2.tellActive",
    TellWaiting = "aria2.tellWaiting",
    TellStopped = "aria2.tellStopped",
    ChangePosition = "aria2.changePosition",
    GetOption = "aria2.getOption",
    ChangeOption = "aria2.changeOption",
    GetGlobalOption = "aria2.getGlobalOption",
    ChangeGlobalOption = "aria2.changeGlobalOption",
    GetGlobalStat = "aria2.getGlobalStat",
    PurgeDownloadResult = "aria2.purgeDownloadResult",
    RemoveDownloadResult = "aria2.removeDownloadResult",
    GetVersion = "aria2.getVersion",
    GetSessionInfo = "aria2.getSessionInfo",
    Shutdown = "aria2.shutdown",
    ForceShutdown = "aria2.forceShutdown",
    SaveSession = "aria2.saveSession",
    Multicall = "system.multicall",
    ListMethods = "system.listMethods",
    ListNotifications = "system.listNotifications",
}

/// The notifications a WebSocket client may get.
pub const NOTIFICATIONS: [&str; 6] = [
    "aria2.onDownloadStart",
    "aria2.onDownloadPause",
    "aria2.onDownloadStop",
    "aria2.onDownloadComplete",
    "aria2.onDownloadError",
    "aria2.onBtDownloadComplete",
];

impl std::str::FromStr for Method {
    type Err = ErrorObject;

    fn from_str(name: &str) -> Result<Method, ErrorObject> {
        Method::ALL
            .iter()
            .copied()
            .find(|m| m.name() == name)
            .ok_or_else(|| ErrorObject::new(ErrorObject::NO_METHOD, format!("No such method: {name}")))
    }
}

impl Method {
    /// `system.*` calls need no token (a nested call of a multicall
    /// carries its own).
    pub fn needs_token(self) -> bool {
        self.name().starts_with("aria2.")
    }
}

/// Why a call was refused before its method ran (see [`super::refusals`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Not a method fanout knows: answered with its error, not a refusal.
    Unknown(ErrorObject),
    /// No secret or the wrong one: `Unauthorized`, and counted.
    Refused(RefusalReason),
}

impl From<Denied> for ErrorObject {
    fn from(d: Denied) -> ErrorObject {
        match d {
            Denied::Unknown(e) => e,
            // One answer for both, as aria2's: a caller learns nothing
            // about the secret from it.
            Denied::Refused(_) => ErrorObject::unauthorized(),
        }
    }
}

/// A call that was let in: a known method, its token checked and
/// taken off the params.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub method: Method,
    pub params: Vec<Value>,
}

impl Call {
    /// Checks the method and, where it needs one, the `token:SECRET` first
    /// param against `secret` (in time that does not depend on where they
    /// differ).
    pub fn authorize(name: &str, mut params: Vec<Value>, secret: &str) -> Result<Call, Denied> {
        let method: Method = name.parse().map_err(Denied::Unknown)?;
        if method.needs_token() {
            let given = match params.first() {
                Some(Value::String(s)) => s.strip_prefix("token:"),
                _ => None,
            };
            match given {
                None => return Err(Denied::Refused(RefusalReason::NoSecret)),
                Some(g) if secret.is_empty() || !same(g.as_bytes(), secret.as_bytes()) => {
                    return Err(Denied::Refused(RefusalReason::WrongSecret));
                }
                Some(_) => {}
            }
            params.remove(0);
        } else if let Some(Value::String(s)) = params.first()
            && s.starts_with("token:")
            && method != Method::Multicall
        {
            params.remove(0);
        }
        Ok(Call { method, params })
    }
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_token_opens_aria2_calls_and_system_lists_need_none() {
        let ok = Call::authorize("aria2.tellActive", vec![json!("token:s3"), json!(["gid"])], "s3").unwrap();
        assert_eq!((ok.method, ok.params), (Method::TellActive, vec![json!(["gid"])]));
        for (params, why) in [
            (vec![], RefusalReason::NoSecret),
            (vec![json!("token:nope")], RefusalReason::WrongSecret),
            (vec![json!("token:S3")], RefusalReason::WrongSecret),
            (vec![json!(["gid"])], RefusalReason::NoSecret),
            (vec![json!("s3")], RefusalReason::NoSecret),
        ] {
            let e = Call::authorize("aria2.tellActive", params, "s3").unwrap_err();
            assert_eq!(e, Denied::Refused(why));
            assert_eq!(ErrorObject::from(e), ErrorObject::unauthorized());
        }
        // An empty secret opens nothing.
        assert!(Call::authorize("aria2.getVersion", vec![json!("token:")], "").is_err());
        assert!(Call::authorize("system.listMethods", vec![], "s3").is_ok());
        let unknown = ErrorObject::from(Call::authorize("aria2.fly", vec![], "s3").unwrap_err());
        assert_eq!(unknown.code, ErrorObject::NO_METHOD);
    }
}

//! Credentials in URLs: shown without their password wherever a URL is
//! printed, saved or logged (`user:***@host`), and refused over plain HTTP
//! to the public internet, where anyone on the path could read them.

use std::net::IpAddr;

use url::{Host, Url};

/// What a password is shown as.
pub const HIDDEN: &str = "***";

/// A user name and password for a site. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    user: String,
    password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login({}:{HIDDEN})", self.user)
    }
}

impl Login {
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Login {
        Login {
            user: user.into(),
            password: password.into(),
        }
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn password(&self) -> &str {
        &self.password
    }
}

/// Whether `host` matches `pattern`: the name itself, `*.NAME` for the
/// name and every subdomain of it, `*` for every host.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim().trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern.strip_prefix("*.") {
        _ if pattern == "*" => true,
        Some(name) => host == name || host.ends_with(&format!(".{name}")),
        None => pattern == host,
    }
}

/// Where logins for sites come from, first match first: those saved in
/// the window (per host), then a netrc file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Logins {
    /// Host, or host pattern (see [`host_matches`]), and its login.
    pub sites: Vec<(String, Login)>,
    pub netrc: Option<super::netrc::Netrc>,
}

impl Logins {
    pub fn for_host(&self, host: &str) -> Option<Login> {
        let host = host.to_ascii_lowercase();
        let saved = self
            .sites
            .iter()
            .find(|(pattern, _)| host_matches(pattern, &host))
            .map(|(_, l)| l.clone());
        saved.or_else(|| {
            let (user, password) = self.netrc.as_ref()?.login(&host)?;
            Some(Login::new(user, password))
        })
    }

    /// `url` with the login for its host, when it names none of its own.
    pub fn apply(&self, url: &Url) -> Option<Url> {
        if has_credentials(url) {
            return None;
        }
        let login = self.for_host(url.host_str()?)?;
        with_login(url, login.user(), login.password())
    }
}

/// `url` with `user` and `password` in it, percent-encoded (an empty
/// password is none); `None` for a URL that cannot carry them.
pub fn with_login(url: &Url, user: &str, password: &str) -> Option<Url> {
    let encode =
        |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    let mut with = url.clone();
    with.set_username(&encode(user)).ok()?;
    with.set_password(Some(&encode(password))).ok()?;
    Some(with)
}

/// The URL as it may be shown: a password becomes `***`; the user name
/// stays, so the user can tell which account is used.
pub fn redact_url(url: &Url) -> String {
    if url.password().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    // Only URLs that can have a password get here.
    let _ = shown.set_password(Some(HIDDEN));
    shown.to_string()
}

/// `text` with the password of a URL in it hidden; text that is not a URL
/// (a bad line of a list) is shown with anything between `://` and the
/// last `@` of its authority hidden, as it may hold one all the same.
pub fn redact(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(url) => redact_url(&url),
        Err(_) => redact_unparsed(text),
    }
}

fn redact_unparsed(text: &str) -> String {
    let Some(start) = text.find("://").map(|i| i + 3) else {
        return text.to_string();
    };
    let rest = &text[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return text.to_string();
    };
    let userinfo = &rest[..at];
    let Some(colon) = userinfo.find(':') else {
        return text.to_string();
    };
    format!("{}{}:{HIDDEN}{}", &text[..start], &userinfo[..colon], &rest[at..])
}

/// Whether `url` carries a user name or password of its own.
pub fn has_credentials(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// Whether `host` is this machine or a private network (a NAS, a router):
/// loopback, RFC 1918, link-local, unique local IPv6, `localhost` and the
/// `.local`, `.lan`, `.home.arpa` and `.internal` names of home networks.
pub fn is_private(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => private_ip(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => private_ip(IpAddr::V6(*ip)),
        Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost"
                || !d.contains('.')
                || [".localhost", ".local", ".lan", ".home.arpa", ".internal"]
                    .iter()
                    .any(|s| d.ends_with(s))
        }
    }
}

fn private_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                // fc00::/7, unique local
                || (first & 0xfe00) == 0xfc00
                // fe80::/10, link-local
                || (first & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| private_ip(IpAddr::V4(v4)))
        }
    }
}

/// The public host credentials may not go to over plain HTTP (unless
/// `allow_plain` says the user accepts that). `None` when they may go.
pub fn plain_auth_refused(url: &Url, allow_plain: bool) -> Option<String> {
    if allow_plain || url.scheme() != "http" || !has_credentials(url) {
        return None;
    }
    let host = url.host()?;
    if is_private(&host) {
        return None;
    }
    Some(host.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_names_and_their_subdomains() {
        assert!(host_matches("*.example.com", "dl.example.com"));
        assert!(host_matches("*.example.com", "example.com"));
        assert!(host_matches("*.Example.com", "A.B.EXAMPLE.COM."));
        assert!(!host_matches("*.example.com", "badexample.com"));
        assert!(host_matches("example.com", "example.com"));
        assert!(!host_matches("example.com", "dl.example.com"));
        assert!(host_matches("*", "anything"));
        assert!(host_matches("127.0.0.1", "127.0.0.1"));
    }

    #[test]
    fn passwords_are_hidden_and_user_names_kept() {
        assert_eq!(
            redact("https://alice:s3cret@example.com/a.iso"),
            "https://alice:***@example.com/a.iso"
        );
        assert_eq!(
            redact("https://alice@example.com/a"),
            "https://alice@example.com/a"
        );
        assert_eq!(redact("https://example.com/a"), "https://example.com/a");
        // Text that is not a URL still loses its password.
        assert_eq!(redact("ht tp://bob:pw@host/x y"), "ht tp://bob:***@host/x y");
        assert_eq!(redact("no url here"), "no url here");
        // An @ in the path is not a password.
        assert_eq!(redact("x://host/a:b@c"), "x://host/a:b@c");
    }

    #[test]
    fn credentials_over_plain_http_go_only_to_private_addresses() {
        let refused = |u: &str, allow| plain_auth_refused(&Url::parse(u).unwrap(), allow).is_some();
        assert!(refused("http://a:b@example.com/f", false));
        assert!(!refused("http://a:b@example.com/f", true));
        assert!(!refused("https://a:b@example.com/f", false));
        assert!(!refused("http://example.com/f", false));
        for private in [
            "http://a:b@127.0.0.1/f",
            "http://a:b@192.168.1.2/f",
            "http://a:b@10.0.0.1/f",
            "http://a:b@[::1]/f",
            "http://a:b@[fd00::1]/f",
            "http://a:b@nas.local/f",
            "http://a:b@router/f",
            "http://a:b@localhost:8080/f",
        ] {
            assert!(!refused(private, false), "{private}");
        }
        assert!(refused("http://a:b@8.8.8.8/f", false));
        assert!(refused("http://a:b@[2001:db8::1]/f", false));
    }
}

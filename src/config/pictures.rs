//! `[notice] picture` and `providers.ID.picture_hosts`: how apps receive the
//! profile picture, and where claimgate may fetch a provider's pictures.

use super::is_loopback;
use serde::Deserialize;
use url::Url;

/// `[notice] picture`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PictureMode {
    /// claimgate fetches the image, re-encodes and stores it; each app gets
    /// its own `{public_url}/picture/{handle}` (docs/PRIVACY.md).
    #[default]
    Proxy,
    /// Apps get the provider's URL as it is.
    Link,
}

impl PictureMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PictureMode::Proxy => "proxy",
            PictureMode::Link => "link",
        }
    }
}

/// Google's avatar host (ID token `picture`).
pub const GOOGLE_PICTURE_HOSTS: &[&str] = &["lh3.googleusercontent.com"];
/// GitHub's avatar host (`avatar_url`) for github.com.
pub const GITHUB_PICTURE_HOSTS: &[&str] = &["avatars.githubusercontent.com"];

/// The hosts one provider's pictures may be fetched from: a picture URL,
/// and every redirect on the way, must name one of them. Only constructed
/// through validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PictureHosts(Vec<PictureHost>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct PictureHost {
    /// Lowercase, as `Url` normalises it (IPv6 in brackets).
    host: String,
    /// `None`: the scheme's default port.
    port: Option<u16>,
    /// Plain http is allowed only to a loopback host listed explicitly.
    loopback: bool,
}

impl PictureHosts {
    /// Parses `host` or `host:port` entries; the error names the entry's index.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, (usize, NotAHost)> {
        let mut hosts = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            hosts.push(PictureHost::parse(entry.as_ref()).map_err(|reason| (i, reason))?);
        }
        Ok(PictureHosts(hosts))
    }

    /// Built-in defaults (constants above, or a loopback host): valid by construction.
    pub(super) fn known<S: AsRef<str>>(entries: &[S]) -> Self {
        PictureHosts(entries.iter().filter_map(|e| PictureHost::parse(e.as_ref()).ok()).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether claimgate may fetch `url`: https to a listed host and port,
    /// or http to a listed loopback host; never with credentials in the URL.
    pub fn allow(&self, url: &Url) -> bool {
        if !url.username().is_empty() || url.password().is_some() {
            return false;
        }
        let Some(host) = url.host_str() else { return false };
        let scheme = url.scheme();
        self.0.iter().any(|h| {
            let default_port = match scheme {
                "https" => 443,
                "http" if h.loopback => 80,
                _ => return false,
            };
            h.host == host && url.port_or_known_default() == Some(h.port.unwrap_or(default_port))
        })
    }

    /// As configured, for `policy explain`.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|h| h.port.map_or_else(|| h.host.clone(), |p| format!("{}:{p}", h.host))).collect()
    }
}

/// A `picture_hosts` entry that names no host.
#[derive(Debug, thiserror::Error)]
#[error("\"{0}\" is not a host name or host:port")]
pub struct NotAHost(String);

impl PictureHost {
    fn parse(entry: &str) -> Result<Self, NotAHost> {
        let bad = || NotAHost(entry.to_owned());
        if entry.is_empty() || entry.contains(['/', '@', '?', '#', '*']) || entry.contains("://") {
            return Err(bad());
        }
        let url = Url::parse(&format!("https://{entry}/")).map_err(|_| bad())?;
        let host = url.host_str().ok_or_else(bad)?.to_owned();
        Ok(PictureHost { host, port: url.port(), loopback: is_loopback(&url) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_listed_hosts_over_https() {
        let hosts = PictureHosts::parse(&["lh3.googleusercontent.com"]).unwrap();
        assert!(hosts.allow(&url("https://lh3.googleusercontent.com/a/x=s96-c")));
        assert!(hosts.allow(&url("https://LH3.googleusercontent.com:443/a/x")));
        assert!(!hosts.allow(&url("http://lh3.googleusercontent.com/a/x")), "no plain http");
        assert!(!hosts.allow(&url("https://lh3.googleusercontent.com:8443/a/x")), "another port");
        assert!(!hosts.allow(&url("https://evil.lh3.googleusercontent.com/a/x")));
        assert!(!hosts.allow(&url("https://lh3.googleusercontent.com.evil.example/a/x")));
        assert!(!hosts.allow(&url("https://user:pw@lh3.googleusercontent.com/a/x")), "no credentials");
        assert!(!hosts.allow(&url("ftp://lh3.googleusercontent.com/a/x")));
    }

    #[test]
    fn plain_http_only_to_a_listed_loopback_host() {
        let hosts = PictureHosts::parse(&["127.0.0.1:8080", "example.com:8080"]).unwrap();
        assert!(hosts.allow(&url("http://127.0.0.1:8080/sam.png")));
        assert!(!hosts.allow(&url("http://127.0.0.1:8081/sam.png")), "another port");
        assert!(!hosts.allow(&url("http://localhost:8080/sam.png")), "not listed");
        assert!(!hosts.allow(&url("http://example.com:8080/sam.png")), "not loopback");
        assert!(hosts.allow(&url("https://example.com:8080/sam.png")));
    }

    #[test]
    fn entries_are_hosts_only() {
        for bad in ["", "https://lh3.googleusercontent.com", "lh3.googleusercontent.com/a", "*.example.com", "u@h"] {
            assert!(PictureHosts::parse(&[bad]).is_err(), "{bad}");
        }
        assert_eq!(PictureHosts::parse(&["a.example", "b example"]).unwrap_err().0, 1);
        assert_eq!(PictureHosts::parse(&["[::1]:9000"]).unwrap().names(), ["[::1]:9000"]);
    }
}

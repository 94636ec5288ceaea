//! Registered URIs: parsed once at start-up, matched exactly at request time.

use super::is_loopback;
use url::Url;

/// A URI a client registered (`redirect_uris`, `post_logout_redirect_uris`).
/// Only constructed through validation, so a value of this type is always
/// an absolute URI without a fragment and with an allowed scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredUri {
    /// Exactly as configured: requests are compared with this text.
    text: String,
    url: Url,
}

/// Why a configured URI is refused.
#[derive(Debug, thiserror::Error)]
pub enum UriRefusal {
    #[error("\"{0}\" is not an absolute URI: {1}")]
    NotAbsolute(String, url::ParseError),
    #[error("must not contain a fragment")]
    Fragment,
    #[error("plain http is allowed only for loopback addresses")]
    PlainHttp,
    #[error("the {0} scheme is not allowed")]
    Scheme(String),
    #[error("must be an http(s) URI without a fragment")]
    NotHttp,
}

/// A `redirect_uri` (RFC 6749 §3.1.2).
pub type RedirectUri = RegisteredUri;

/// A `post_logout_redirect_uri` (OpenID Connect RP-Initiated Logout 1.0 §3).
pub type PostLogoutUri = RegisteredUri;

impl RegisteredUri {
    /// A redirect URI: absolute, no fragment (RFC 6749 §3.1.2), no
    /// `javascript:`/`data:`/`file:`, plain http only on loopback (RFC 9700
    /// §2.1) unless claimgate itself runs on loopback.
    pub(super) fn redirect(text: &str, public_url_is_loopback: bool) -> Result<Self, UriRefusal> {
        let uri = Self::absolute(text)?;
        let scheme = uri.url.scheme();
        if scheme == "http" && !is_loopback(&uri.url) && !public_url_is_loopback {
            return Err(UriRefusal::PlainHttp);
        }
        if matches!(scheme, "javascript" | "data" | "file") {
            return Err(UriRefusal::Scheme(scheme.to_owned()));
        }
        Ok(uri)
    }

    /// A post-logout redirect URI: http(s), no fragment.
    pub(super) fn post_logout(text: &str) -> Result<Self, UriRefusal> {
        let uri = Self::absolute(text)?;
        if !matches!(uri.url.scheme(), "http" | "https") {
            return Err(UriRefusal::NotHttp);
        }
        Ok(uri)
    }

    /// A back-channel logout URI (Back-Channel Logout 1.0 §2.2): absolute,
    /// no fragment, http(s), plain http only on loopback.
    pub fn backchannel(text: &str) -> Result<Self, UriRefusal> {
        let uri = Self::redirect(text, false)?;
        if !matches!(uri.url.scheme(), "http" | "https") {
            return Err(UriRefusal::NotHttp);
        }
        Ok(uri)
    }

    fn absolute(text: &str) -> Result<Self, UriRefusal> {
        let url = Url::parse(text).map_err(|e| UriRefusal::NotAbsolute(text.to_owned(), e))?;
        if url.fragment().is_some() {
            return Err(UriRefusal::Fragment);
        }
        Ok(Self { text: text.to_owned(), url })
    }

    /// Whether a request names this URI: simple string comparison, no
    /// normalisation or prefix (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3).
    pub fn matches(&self, requested: &str) -> bool {
        self.text == requested
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn url(&self) -> &Url {
        &self.url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_rules() {
        assert!(RegisteredUri::redirect("https://app.example/cb", false).is_ok());
        assert!(RegisteredUri::redirect("http://127.0.0.1:9/cb", false).is_ok());
        assert!(RegisteredUri::redirect("http://app.example/cb", false).is_err());
        assert!(RegisteredUri::redirect("https://app.example/cb#x", false).is_err());
        assert!(RegisteredUri::redirect("javascript:alert(1)", true).is_err());
        assert!(RegisteredUri::redirect("/cb", false).is_err());
        assert!(RegisteredUri::post_logout("com.example.app:/out").is_err());
    }

    #[test]
    fn matching_is_exact() {
        let uri = RegisteredUri::redirect("https://app.example/cb", false).unwrap();
        assert!(uri.matches("https://app.example/cb"));
        for near in
            ["https://app.example/cb/", "https://APP.example/cb", "https://app.example/cb?x=1", "https://app.example/c"]
        {
            assert!(!uri.matches(near), "{near}");
        }
    }
}

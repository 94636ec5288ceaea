//! Keyed hashes that replace the upstream identity: the user key (the only
//! stored form of the upstream `iss`+`sub`) and the per-app pairwise subject.

use crate::ids::ClientId;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// `HMAC(secret, issuer ‖ subject)`: identifies a user across logins without
/// keeping the upstream subject.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserKey(String);

impl UserKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A user key read back from an index (it was derived before storing).
    pub fn from_stored(key: String) -> Self {
        UserKey(key)
    }
}

impl std::fmt::Debug for UserKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserKey(..)")
    }
}

/// Derives user keys and pairwise subjects from one secret.
#[derive(Clone)]
pub struct Pseudonymizer {
    /// HMAC-SHA256 keyed with the secret once; each use starts from a clone.
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymizer([redacted])")
    }
}

impl Pseudonymizer {
    #[allow(clippy::expect_used, reason = "HMAC takes a key of any length (RFC 2104 §2): this cannot fail")]
    pub fn new(secret: &[u8]) -> Self {
        Self { keyed: Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length") }
    }

    /// Every input is length-prefixed, so that ("ab","c") and ("a","bc") differ.
    fn mac(&self, label: &str, parts: &[&str]) -> String {
        let mut mac = self.keyed.clone();
        mac.update(label.as_bytes());
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn user_key(&self, upstream_issuer: &str, upstream_subject: &str) -> UserKey {
        UserKey(self.mac("claimgate/user-key/v1", &[upstream_issuer, upstream_subject]))
    }

    /// A client address as a shared rate limit's key: the store never holds
    /// the address itself, and no one without the secret can tell which
    /// address a key counts.
    pub fn address_key(&self, address: &str) -> String {
        self.mac("claimgate/rate-address/v1", &[address])
    }

    /// The key of the index from an email address to its users (erasure by
    /// email): a keyed hash, so the store never holds the address as a key.
    pub fn email_key(&self, email: &str) -> String {
        self.mac("claimgate/email-index/v1", &[&email.trim().to_lowercase()])
    }

    /// The anti-CSRF token of a session's forms (sign-out, erasure): bound
    /// to the session, so a form from one session is useless in another.
    pub fn csrf_token(&self, session_id: &str) -> String {
        self.mac("claimgate/csrf/v1", &[session_id])
    }

    /// Whether a form's CSRF token is this session's (constant time).
    pub fn csrf_matches(&self, session_id: &str, given: &str) -> bool {
        use subtle::ConstantTimeEq;
        bool::from(given.as_bytes().ct_eq(self.csrf_token(session_id).as_bytes()))
    }

    /// The subject an app sees: different per app, so apps cannot correlate users.
    pub fn pairwise_subject(&self, client_id: &ClientId, user: &UserKey) -> String {
        self.mac("claimgate/pairwise-sub/v1", &[client_id, user.as_str()])
    }

    /// The handle of one client's URL for one user's proxied picture
    /// (`/picture/{handle}`): per client like `sub`, so that two apps
    /// comparing picture URLs learn nothing; nothing in it comes from the
    /// provider's URL.
    pub fn picture_handle(&self, client_id: &ClientId, user: &UserKey) -> String {
        self.mac("claimgate/picture/v1", &[client_id, user.as_str()])
    }

    /// The `sid` one client sees for one SSO session (OpenID Connect
    /// Back-Channel Logout 1.0 §2.1), per client like `sub`: a shared `sid`
    /// would let two apps link their users.
    pub fn pairwise_sid(&self, client_id: &ClientId, session_id: &str) -> String {
        self.mac("claimgate/pairwise-sid/v1", &[client_id, session_id])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_subjects_differ_per_client_and_are_stable() {
        let p = Pseudonymizer::new(b"secret");
        let user = p.user_key("https://accounts.google.com", "1234");
        let a = p.pairwise_subject(&"app-a".into(), &user);
        let b = p.pairwise_subject(&"app-b".into(), &user);
        assert_ne!(a, b);
        assert_eq!(a, p.pairwise_subject(&"app-a".into(), &user));
        assert!(!a.contains("1234"));
    }

    #[test]
    fn inputs_are_not_ambiguous_and_secret_matters() {
        let p = Pseudonymizer::new(b"secret");
        assert_ne!(p.user_key("ab", "c"), p.user_key("a", "bc"));
        assert_ne!(p.user_key("i", "s"), Pseudonymizer::new(b"other").user_key("i", "s"));
    }
}

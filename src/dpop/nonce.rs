//! Server-provided DPoP nonces (RFC 9449 §8 for the authorization server,
//! §9 for resource servers): stateless, so that every instance sharing
//! `keys.pairwise_secret` accepts every other's, and a nonce costs no
//! storage. A nonce names a time window and carries a MAC of it; it is
//! accepted during its window and the next, so that a client holding the
//! latest `DPoP-Nonce` is never refused for a window just turned.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The length of a nonce window: a nonce lives one to two of these.
pub const WINDOW_SECS: i64 = 300;

#[derive(Clone)]
pub struct Nonces {
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Nonces([redacted])")
    }
}

impl Nonces {
    /// Keyed from a secret all instances share.
    #[allow(clippy::expect_used, reason = "HMAC takes a key of any length (RFC 2104 §2): this cannot fail")]
    pub fn new(secret: &[u8]) -> Self {
        let mut keyed = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
        keyed.update(b"claimgate/dpop-nonce/v1");
        Self { keyed }
    }

    fn mac(&self, window: i64) -> [u8; 16] {
        let mut mac = self.keyed.clone();
        mac.update(&window.to_be_bytes());
        let full = mac.finalize().into_bytes();
        // HMAC-SHA-256 gives 32 bytes; the first 16 are the nonce's tag.
        full.first_chunk::<16>().copied().unwrap_or_default()
    }

    /// The nonce to hand out now (`DPoP-Nonce`).
    pub fn current(&self, now: i64) -> String {
        let window = now.div_euclid(WINDOW_SECS);
        let mut bytes = window.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.mac(window));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Whether `nonce` is one of ours for this window or the one before.
    pub fn accepts(&self, nonce: &str, now: i64) -> bool {
        use subtle::ConstantTimeEq;
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else { return false };
        let Some((window, mac)) = bytes.split_first_chunk::<8>() else { return false };
        let window = i64::from_be_bytes(*window);
        let current = now.div_euclid(WINDOW_SECS);
        (window == current || window == current - 1) && bool::from(mac.ct_eq(&self.mac(window)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_lives_its_window_and_the_next() {
        let n = Nonces::new(b"secret");
        let t = 1_800_000_000;
        let nonce = n.current(t);
        assert!(n.accepts(&nonce, t));
        assert!(n.accepts(&nonce, t + WINDOW_SECS));
        assert!(!n.accepts(&nonce, t + 2 * WINDOW_SECS), "too old");
        assert!(!n.accepts(&n.current(t + WINDOW_SECS), t), "not from the future");
        assert!(!Nonces::new(b"other").accepts(&nonce, t), "another secret's");
        let mut forged = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        forged[20] ^= 1;
        assert!(!n.accepts(&URL_SAFE_NO_PAD.encode(forged), t));
        assert!(!n.accepts("", t) && !n.accepts("not base64 !", t));
    }
}

//! The typed records claimgate stores, their keys and their lifetimes.
//!
//! Keys are `kind:` + SHA-256 of a random handle (the value the browser or
//! app holds), so a store dump gives no usable code, token or cookie, and no
//! key is ever derived from an email.

use super::{Store, StoreError};
use crate::policy::{Profile, UserKey};
use crate::upstream::UpstreamPending;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// A fresh random handle: 256 bits, base64url.
pub fn random_handle() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn key(kind: &str, handle: &str) -> String {
    format!("{kind}:{}", URL_SAFE_NO_PAD.encode(Sha256::digest(handle.as_bytes())))
}

/// A downstream authorization request waiting for the upstream login.
/// Stored under the upstream `state`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PendingLogin {
    pub provider: String,
    pub upstream: UpstreamPending,
    pub request: AuthorizationRequest,
}

/// What an app asked for at `/authorize`, validated.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
}

/// A one-time authorization code, bound to the request that produced it.
#[derive(Debug, Serialize, Deserialize)]
pub struct AuthCode {
    pub request: AuthorizationRequest,
    pub session: String,
    pub auth_time: i64,
}

/// The SSO session: the only record that holds the profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub user_key: UserKey,
    pub profile: Profile,
    pub provider: String,
    pub auth_time: i64,
    /// Absolute end of the session (unix seconds), whatever its activity.
    pub expires_at: i64,
}

/// An opaque access token's grant. It points at the session, so ending the
/// session ends the token.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessGrant {
    pub client_id: String,
    pub session: String,
    pub scope: String,
}

#[derive(Clone)]
pub struct Records {
    store: Arc<dyn Store>,
}

impl Records {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    async fn put<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.store.put(key, &bytes, ttl).await
    }

    fn decode<T: DeserializeOwned>(bytes: Option<Vec<u8>>) -> Result<Option<T>, StoreError> {
        bytes.map(|b| serde_json::from_slice(&b).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
    }

    pub async fn put_pending(&self, state: &str, p: &PendingLogin, ttl: Duration) -> Result<(), StoreError> {
        self.put(&key("pending", state), p, ttl).await
    }

    /// Single use: a replayed callback finds nothing.
    pub async fn take_pending(&self, state: &str) -> Result<Option<PendingLogin>, StoreError> {
        Self::decode(self.store.take(&key("pending", state)).await?)
    }

    pub async fn put_code(&self, code: &str, c: &AuthCode, ttl: Duration) -> Result<(), StoreError> {
        self.put(&key("code", code), c, ttl).await
    }

    /// Single use, atomically: of two racing redemptions one wins.
    pub async fn take_code(&self, code: &str) -> Result<Option<AuthCode>, StoreError> {
        Self::decode(self.store.take(&key("code", code)).await?)
    }

    pub async fn put_session(&self, id: &str, s: &Session, ttl: Duration) -> Result<(), StoreError> {
        self.put(&key("session", id), s, ttl).await
    }

    pub async fn get_session(&self, id: &str) -> Result<Option<Session>, StoreError> {
        Self::decode(self.store.get(&key("session", id)).await?)
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        self.store.delete(&key("session", id)).await
    }

    pub async fn put_access(&self, token: &str, g: &AccessGrant, ttl: Duration) -> Result<(), StoreError> {
        self.put(&key("access", token), g, ttl).await
    }

    pub async fn get_access(&self, token: &str) -> Result<Option<AccessGrant>, StoreError> {
        Self::decode(self.store.get(&key("access", token)).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hide_the_handle() {
        let h = random_handle();
        assert_eq!(h.len(), 43);
        let k = key("code", &h);
        assert!(k.starts_with("code:") && !k.contains(&h));
        assert_ne!(random_handle(), h);
    }
}

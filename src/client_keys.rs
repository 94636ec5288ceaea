//! The public keys of `private_key_jwt` clients (RFC 7523 §2.2): a `jwks`
//! from the config as it is, a `jwks_uri` fetched through the bounded
//! upstream client and trusted within its `Cache-Control` (as a provider's
//! keys are, `upstream::oidc::jwks`), refetched on an unknown `kid` (the
//! client rotated its keys) at most once per 10 s. A client that cannot
//! be reached authenticates with the keys last fetched while they are
//! fresh, and not at all after.

use crate::client_assertion::{find_key, parse_key_set, KeySetError};
use crate::clock::Clock;
use crate::config::{ClientKeySource, OidcApp};
use crate::ids::ClientId;
use crate::upstream::http::UpstreamHttp;
use crate::upstream::oidc::jwks::{max_age, REFETCH_MIN_INTERVAL};
use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Why no key was found for an assertion.
#[derive(Debug, thiserror::Error)]
pub enum KeyLookupError {
    #[error("the client has no key with this kid and algorithm")]
    NoSuchKey,
    #[error("the client's jwks_uri could not be fetched: {0}")]
    Unreachable(String),
    #[error("the client's jwks_uri serves no usable key set: {0}")]
    BadSet(#[from] KeySetError),
    #[error("the client does not authenticate with private_key_jwt")]
    NotKeyClient,
}

/// One client's keys from its `jwks_uri`.
struct Fetched {
    set: Arc<JwkSet>,
    fresh_until: DateTime<Utc>,
}

/// Every `jwks_uri` client's keys, and when each was last fetched.
pub struct ClientKeys {
    http: UpstreamHttp,
    clock: Arc<dyn Clock>,
    fetched: RwLock<HashMap<ClientId, Fetched>>,
    last_fetch: RwLock<HashMap<ClientId, DateTime<Utc>>>,
}

impl ClientKeys {
    pub fn new(http: UpstreamHttp, clock: Arc<dyn Clock>) -> Self {
        Self { http, clock, fetched: RwLock::default(), last_fetch: RwLock::default() }
    }

    /// The client's key an assertion names (`kid`, `alg`).
    pub async fn key_for(&self, client: &OidcApp<'_>, kid: Option<&str>, alg: &str) -> Result<Jwk, KeyLookupError> {
        let source = match &client.oidc.auth {
            crate::config::ClientAuth::PrivateKeyJwt(source) => source,
            _ => return Err(KeyLookupError::NotKeyClient),
        };
        let uri = match source {
            ClientKeySource::Inline(set) => return find_key(set, kid, alg).cloned().ok_or(KeyLookupError::NoSuchKey),
            ClientKeySource::Uri(uri) => uri,
        };
        let cached = self.cached(&client.id);
        if let Some((set, fresh)) = &cached {
            if let Some(key) = find_key(set, kid, alg).filter(|_| *fresh) {
                return Ok(key.clone());
            }
        }
        // Unknown kid, stale or never fetched: one fetch per interval.
        if !self.claim_fetch(&client.id) {
            return match cached {
                Some((set, true)) => find_key(&set, kid, alg).cloned().ok_or(KeyLookupError::NoSuchKey),
                _ => Err(KeyLookupError::NoSuchKey),
            };
        }
        let set = self.fetch(&client.id, uri.url()).await?;
        find_key(&set, kid, alg).cloned().ok_or(KeyLookupError::NoSuchKey)
    }

    fn cached(&self, client: &ClientId) -> Option<(Arc<JwkSet>, bool)> {
        let fetched = self.fetched.read().unwrap_or_else(|e| e.into_inner());
        fetched.get(client).map(|f| (f.set.clone(), self.clock.now() < f.fresh_until))
    }

    fn claim_fetch(&self, client: &ClientId) -> bool {
        let now = self.clock.now();
        let mut last = self.last_fetch.write().unwrap_or_else(|e| e.into_inner());
        let interval = chrono::Duration::from_std(REFETCH_MIN_INTERVAL).unwrap_or(chrono::Duration::MAX);
        if last.get(client).is_some_and(|at| now < *at + interval) {
            return false;
        }
        last.insert(client.clone(), now);
        true
    }

    async fn fetch(&self, client: &ClientId, url: &url::Url) -> Result<Arc<JwkSet>, KeyLookupError> {
        let fetched = self.http.get(url.clone(), None, &[("accept", "application/json")]).await.map_err(|e| {
            tracing::warn!(client = %client, error = %e, "client jwks_uri unreachable");
            KeyLookupError::Unreachable(e.to_string())
        })?;
        if !fetched.status.is_success() {
            tracing::warn!(client = %client, status = fetched.status.as_u16(), "client jwks_uri refused");
            return Err(KeyLookupError::Unreachable(format!("HTTP {}", fetched.status)));
        }
        let set = Arc::new(parse_key_set(&fetched.body).inspect_err(|e| {
            tracing::warn!(client = %client, error = %e, "client jwks_uri serves no usable key set");
        })?);
        let age = chrono::Duration::from_std(max_age(&fetched.headers)).unwrap_or(chrono::Duration::zero());
        let entry = Fetched { set: set.clone(), fresh_until: self.clock.now() + age };
        self.fetched.write().unwrap_or_else(|e| e.into_inner()).insert(client.clone(), entry);
        tracing::info!(client = %client, keys = set.keys.len(), "client keys fetched");
        Ok(set)
    }
}

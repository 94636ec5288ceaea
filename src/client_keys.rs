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
use crate::upstream::oidc::jwks::{max_age, KeyCache};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

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

/// One `jwks_uri` client's keys, and when they were fetched (the same
/// bookkeeping as a provider's keys: [`KeyCache`]).
struct Fetched {
    set: RwLock<Option<Arc<JwkSet>>>,
    cache: KeyCache,
}

/// Every `jwks_uri` client's keys. One entry per configured client at most:
/// a client is looked up in the config before its keys are.
pub struct ClientKeys {
    http: UpstreamHttp,
    clock: Arc<dyn Clock>,
    fetched: RwLock<HashMap<ClientId, Arc<Fetched>>>,
}

impl ClientKeys {
    pub fn new(http: UpstreamHttp, clock: Arc<dyn Clock>) -> Self {
        Self { http, clock, fetched: RwLock::default() }
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
        let entry = self.entry(&client.id);
        // Keys past their freshness count for nothing: a removed key stops authenticating.
        let fresh = entry.set.read().unwrap_or_else(|e| e.into_inner()).clone().filter(|_| !entry.cache.is_stale());
        if let Some(key) = fresh.as_deref().and_then(|set| find_key(set, kid, alg)) {
            return Ok(key.clone());
        }
        // Unknown kid, stale or never fetched: one fetch per interval.
        if !entry.cache.claim_fetch() {
            return fresh.as_deref().and_then(|set| find_key(set, kid, alg)).cloned().ok_or(KeyLookupError::NoSuchKey);
        }
        let set = self.fetch(&client.id, uri.url(), &entry).await?;
        find_key(&set, kid, alg).cloned().ok_or(KeyLookupError::NoSuchKey)
    }

    fn entry(&self, client: &ClientId) -> Arc<Fetched> {
        if let Some(entry) = self.fetched.read().unwrap_or_else(|e| e.into_inner()).get(client) {
            return entry.clone();
        }
        let mut fetched = self.fetched.write().unwrap_or_else(|e| e.into_inner());
        let entry = fetched.entry(client.clone()).or_insert_with(|| {
            // Stale from the start: the first use fetches.
            Arc::new(Fetched { set: RwLock::new(None), cache: KeyCache::new(self.clock.clone(), Duration::ZERO) })
        });
        entry.clone()
    }

    async fn fetch(&self, client: &ClientId, url: &url::Url, entry: &Fetched) -> Result<Arc<JwkSet>, KeyLookupError> {
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
        *entry.set.write().unwrap_or_else(|e| e.into_inner()) = Some(set.clone());
        entry.cache.renewed(max_age(&fetched.headers));
        tracing::info!(client = %client, keys = set.keys.len(), "client keys fetched");
        Ok(set)
    }
}

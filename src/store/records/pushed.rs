//! Records of sender-constrained and pushed requests: the `jti`s of DPoP
//! proofs (RFC 9449 §11.1) and client assertions (RFC 7523 §3) already
//! used, and pushed authorization requests
//! waiting for the browser (RFC 9126).

use super::handles::PushedHandle;
use super::kinds::{AuthorizationRequest, Prompt};
use super::{key, Records};
use crate::ids::{ClientId, ProviderId};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A pushed authorization request as validated at `/par`: the
/// authorization request (`client_id` the authenticated client's,
/// `dpop_jkt` its DPoP key's, if any) and the two other parameters
/// `/authorize` acts on. Every field is bounded, whatever was pushed.
#[derive(Debug, Serialize, Deserialize)]
pub struct PushedRequest {
    pub request: AuthorizationRequest,
    pub prompt: Prompt,
    /// One of the client's providers, preselected by the app.
    pub provider: Option<ProviderId>,
    /// The language `ui_locales` chose (OIDC Core §3.1.2.1), as a tag
    /// claimgate speaks: never the app's text.
    #[serde(default)]
    pub ui_locale: Option<String>,
}

impl Records {
    /// Marks a DPoP proof used; false when it already was (a replay). The
    /// marker lives as long as the proof could be accepted. Per key
    /// thumbprint, so that two clients' `jti`s never collide.
    pub async fn spend_dpop_proof(&self, jkt: &str, jti: &str, ttl: Duration) -> Result<bool, StoreError> {
        let k = key("dpop-jti", &format!("{jkt}.{jti}"));
        self.store.put_new(&k, &self.seal(&k, &())?, ttl).await
    }

    /// Marks a client assertion's `jti` used (RFC 7523 §3 point 7); false
    /// when it already was (a replay). Kept until the assertion expires.
    /// Per client, so that two clients' `jti`s never collide.
    pub async fn spend_client_assertion(
        &self,
        client: &ClientId,
        jti: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let k = key("assertion-jti", &format!("{client}.{jti}"));
        self.store.put_new(&k, &self.seal(&k, &())?, ttl).await
    }

    /// Stores a pushed authorization request under its `request_uri`
    /// handle, within `limits.max_pending` (anyone with a public client's
    /// id can push one).
    pub async fn put_pushed(&self, handle: &PushedHandle, r: &PushedRequest, ttl: Duration) -> Result<(), StoreError> {
        self.put_pre_login(&key("par", handle.as_str()), r, ttl).await
    }

    /// Single use (RFC 9126 §4): a second `/authorize` with the same
    /// `request_uri` finds nothing.
    pub async fn take_pushed(&self, handle: &PushedHandle) -> Result<Option<PushedRequest>, StoreError> {
        self.take_pre_login(&key("par", handle.as_str())).await
    }
}

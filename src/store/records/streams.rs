//! Shared Signals records: each client's stream (at most one, SSF 1.0 lets
//! a transmitter hold one per receiver), the SETs held for it (a poll
//! stream's until acknowledged, RFC 8936 §2; a paused push stream's until
//! it is enabled), the `client_credentials` tokens that manage streams, and
//! the verification rate marker. A held SET carries the app's pairwise
//! `sub`, never a profile value.

use super::handles::AccessToken;
use super::{key, Records};
use crate::ids::ClientId;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How long a stream lives without being written to (created, updated,
/// its status set): a year, so that an abandoned stream ends.
pub const STREAM_TTL: Duration = Duration::from_secs(366 * 24 * 3600);

/// How long a held SET waits for its receiver: three days, then it is
/// dropped (the receiver has been told nothing; the metric counts it).
pub const HELD_WINDOW: Duration = Duration::from_secs(3 * 24 * 3600);

/// How many SETs one stream may hold: beyond, new ones are dropped and
/// counted, so that a receiver that never polls costs bounded storage.
pub const HELD_CAP: usize = 10_000;

/// How a stream delivers (SSF 1.0 `delivery.method`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamDelivery {
    /// RFC 8935: claimgate POSTs each SET to the receiver.
    Push { endpoint_url: String, authorization_header: Option<String> },
    /// RFC 8936: the receiver polls claimgate's poll endpoint.
    Poll,
}

/// SSF 1.0 stream status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StreamStatus {
    /// Events are delivered.
    Enabled,
    /// Events are held (bounded) and delivered once enabled.
    Paused,
    /// Events are dropped.
    Disabled,
}

impl StreamStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamStatus::Enabled => "enabled",
            StreamStatus::Paused => "paused",
            StreamStatus::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<StreamStatus> {
        [StreamStatus::Enabled, StreamStatus::Paused, StreamStatus::Disabled].into_iter().find(|s| s.as_str() == text)
    }
}

/// A stream a receiver created through the API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredStream {
    pub stream_id: String,
    pub delivery: StreamDelivery,
    /// As the receiver asked, supported or not (SSF 1.0 `events_requested`).
    pub events_requested: Vec<String>,
    pub description: Option<String>,
    pub status: StreamStatus,
    /// Why the status was last set, as the receiver wrote it.
    pub reason: Option<String>,
}

/// A `client_credentials` access token (RFC 6749 §4.4): a client's, with
/// no user, good only at the stream endpoints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientGrant {
    pub client_id: ClientId,
    /// The scope granted: `ssf`.
    pub scope: String,
    /// The DPoP key's thumbprint it is bound to (RFC 9449 §6), if any.
    pub jkt: Option<String>,
    pub issued_at: i64,
    pub expires_at: i64,
}

fn stream_key(client: &ClientId) -> String {
    key("ssf-stream", client.as_str())
}

fn held_index(client: &ClientId) -> String {
    key("idx:ssf-held", client.as_str())
}

fn held_key(client: &ClientId, jti: &str) -> String {
    key("ssf-set", &format!("{client}\n{jti}"))
}

impl Records {
    pub async fn get_stream(&self, client: &ClientId) -> Result<Option<StoredStream>, StoreError> {
        self.get(&stream_key(client)).await
    }

    /// Creates the client's stream; false when it has one (SSF 1.0: 409).
    pub async fn create_stream(&self, client: &ClientId, s: &StoredStream) -> Result<bool, StoreError> {
        let k = stream_key(client);
        self.store.put_new(&k, &self.seal(&k, s)?, STREAM_TTL).await
    }

    /// Rewrites the client's stream while it exists; false when it does not.
    pub async fn update_stream(&self, client: &ClientId, s: &StoredStream) -> Result<bool, StoreError> {
        self.replace(&stream_key(client), s, STREAM_TTL).await
    }

    /// Deletes the client's stream and every SET held for it.
    pub async fn delete_stream(&self, client: &ClientId) -> Result<(), StoreError> {
        for jti in self.held_events(client).await? {
            self.drop_held(client, &jti).await?;
        }
        self.store.delete(&stream_key(client)).await
    }

    /// Holds a signed SET for the client's stream; false when the stream
    /// holds [`HELD_CAP`] already (nothing is written).
    pub async fn hold_event(&self, client: &ClientId, jti: &str, set: &str) -> Result<bool, StoreError> {
        let index = held_index(client);
        if self.store.set_members(&index).await?.len() >= HELD_CAP {
            return Ok(false);
        }
        let k = held_key(client, jti);
        self.put(&k, &set.to_owned(), HELD_WINDOW).await?;
        self.store.set_add(&index, jti, HELD_WINDOW).await?;
        Ok(true)
    }

    /// The `jti`s of the SETs held for the client's stream.
    pub async fn held_events(&self, client: &ClientId) -> Result<Vec<String>, StoreError> {
        self.store.set_members(&held_index(client)).await
    }

    /// A held SET, if it is still held.
    pub async fn held_event(&self, client: &ClientId, jti: &str) -> Result<Option<String>, StoreError> {
        self.get(&held_key(client, jti)).await
    }

    /// Forgets a held SET (acknowledged, or handed to the push queue).
    pub async fn drop_held(&self, client: &ClientId, jti: &str) -> Result<(), StoreError> {
        self.store.delete(&held_key(client, jti)).await?;
        self.store.set_remove(&held_index(client), jti).await
    }

    pub async fn put_client_grant(
        &self,
        token: &AccessToken,
        g: &ClientGrant,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.put(&key("client-access", token.as_str()), g, ttl).await
    }

    pub async fn get_client_grant(&self, token: &AccessToken) -> Result<Option<ClientGrant>, StoreError> {
        self.get(&key("client-access", token.as_str())).await
    }

    pub async fn delete_client_grant(&self, token: &AccessToken) -> Result<(), StoreError> {
        self.store.delete(&key("client-access", token.as_str())).await
    }

    /// Marks a verification requested for the client's stream; false when
    /// one was within `interval` (SSF 1.0 `min_verification_interval`).
    pub async fn note_verification(&self, client: &ClientId, interval: Duration) -> Result<bool, StoreError> {
        let k = key("ssf-verify", client.as_str());
        self.store.put_new(&k, &self.seal(&k, &())?, interval).await
    }
}

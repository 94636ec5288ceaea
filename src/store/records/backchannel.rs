//! Pending back-channel deliveries (a logout, or a security event's SET
//! pushed to its stream): one record per (logout or event, client),
//! listed in `idx:backchannel`, shared by every instance on a shared store,
//! so a delivery queued by one instance is retried by another if the first
//! stops. Each holds only the client, its pairwise `sub` and `sid`, and the
//! logout's `jti` (or the SET, which names only the pairwise `sub`): never
//! a profile value.

use super::{digest, key, Records};
use crate::ids::ClientId;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

const QUEUE: &str = "idx:backchannel";

/// How long a delivery is retried before it counts as failed, from the
/// logout that queued it.
pub const RETRY_WINDOW: Duration = Duration::from_secs(3600);

/// How long a queued delivery and its queue entry live: the window, and
/// time for its last attempt (which may begin at the window's end).
const QUEUED_TTL: Duration = Duration::from_secs(3600 + 600);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub client_id: ClientId,
    pub sub: String,
    pub sid: String,
    /// The same on every attempt, so that the app can ignore a duplicate.
    pub jti: String,
    pub attempts: u32,
    /// Unix seconds; a delivery is due from then (or leased until then).
    pub next_at: i64,
    /// When the logout was queued (unix seconds): retried until
    /// [`RETRY_WINDOW`] from then. 0 in a delivery queued before it existed.
    #[serde(default)]
    pub queued_at: i64,
    /// A security event's signed SET (SSF 1.0 push, RFC 8935) instead of a
    /// logout: `sub` and `sid` are then empty, and `jti` is the SET's.
    #[serde(default)]
    pub set: Option<String>,
}

/// A queued delivery's store key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRef(String);

/// A session's stable reference: its store key's digest (what `sid` is derived from).
pub fn session_ref(session: &super::SessionId) -> String {
    digest(session.as_str())
}

impl Records {
    pub async fn queue_delivery(&self, d: &Delivery) -> Result<DeliveryRef, StoreError> {
        let k = key("backchannel", &d.jti);
        self.put(&k, d, QUEUED_TTL).await?;
        self.store.set_add(QUEUE, &k, QUEUED_TTL).await?;
        Ok(DeliveryRef(k))
    }

    pub async fn queued_deliveries(&self) -> Result<Vec<DeliveryRef>, StoreError> {
        Ok(self.store.set_members(QUEUE).await?.into_iter().map(DeliveryRef).collect())
    }

    /// Takes a due delivery for `lease` (so that other instances leave it
    /// alone while it is attempted, and retry it if this one stops).
    pub async fn lease_delivery(
        &self,
        r: &DeliveryRef,
        now: i64,
        lease: Duration,
    ) -> Result<Option<Delivery>, StoreError> {
        let Some(mut d) = self.get::<Delivery>(&r.0).await? else {
            self.store.set_remove(QUEUE, &r.0).await?;
            return Ok(None);
        };
        if d.next_at > now {
            return Ok(None);
        }
        d.next_at = now + i64::try_from(lease.as_secs()).unwrap_or(60);
        let leased = self.replace(&r.0, &d, QUEUED_TTL).await?;
        Ok(leased.then_some(d))
    }

    /// A queued delivery as it stands, without leasing it.
    pub async fn peek_delivery(&self, r: &DeliveryRef) -> Result<Option<Delivery>, StoreError> {
        self.get(&r.0).await
    }

    /// Writes a delivery back (its next attempt), while it is still queued.
    pub async fn reschedule_delivery(&self, r: &DeliveryRef, d: &Delivery) -> Result<(), StoreError> {
        self.replace(&r.0, d, QUEUED_TTL).await.map(|_| ())
    }

    /// Removes a delivery (done, or given up).
    pub async fn finish_delivery(&self, r: &DeliveryRef) -> Result<(), StoreError> {
        self.store.delete(&r.0).await?;
        self.store.set_remove(QUEUE, &r.0).await
    }

    /// A session by its reference (erasure knows sessions by their keys).
    pub async fn get_session_by_ref(&self, session_ref: &str) -> Result<Option<super::Session>, StoreError> {
        self.get(&format!("session:{session_ref}")).await
    }
}

impl Records {
    /// Every live session of a user, with its reference (before an erasure,
    /// to tell the apps).
    pub async fn sessions_of(
        &self,
        user: &crate::policy::UserKey,
    ) -> Result<Vec<(String, super::Session)>, StoreError> {
        let mut sessions = Vec::new();
        for member in self.store.set_members(&super::user_index(user)).await? {
            if let Some(reference) = member.strip_prefix("session:") {
                if let Some(s) = self.get_session_by_ref(reference).await? {
                    sessions.push((reference.to_owned(), s));
                }
            }
        }
        Ok(sessions)
    }
}

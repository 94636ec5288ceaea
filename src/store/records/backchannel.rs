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
/// Pushed SETs: the same records and worker, in their own index, because an
/// instance of the release before them reads `idx:backchannel` only and
/// would take a SET for a logout (its appended `set` unread).
const SET_QUEUE: &str = "idx:ssf-push";

/// The queue a delivery's key belongs to.
fn queue_of(delivery_key: &str) -> &'static str {
    if delivery_key.starts_with("ssf-push:") {
        SET_QUEUE
    } else {
        QUEUE
    }
}

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
        let k = key(if d.set.is_some() { "ssf-push" } else { "backchannel" }, &d.jti);
        self.put(&k, d, QUEUED_TTL).await?;
        self.store.set_add(queue_of(&k), &k, QUEUED_TTL).await?;
        Ok(DeliveryRef(k))
    }

    /// Every queued delivery: logouts and pushed SETs.
    pub async fn queued_deliveries(&self) -> Result<Vec<DeliveryRef>, StoreError> {
        let mut queued = self.store.set_members(QUEUE).await?;
        queued.extend(self.store.set_members(SET_QUEUE).await?);
        Ok(queued.into_iter().map(DeliveryRef).collect())
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
            self.store.set_remove(queue_of(&r.0), &r.0).await?;
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
        self.store.set_remove(queue_of(&r.0), &r.0).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::store::memory::MemoryStore;
    use crate::store::seal::Sealer;
    use std::sync::Arc;

    fn delivery(set: Option<&str>) -> Delivery {
        Delivery {
            client_id: "app-a".into(),
            sub: String::new(),
            sid: String::new(),
            jti: super::super::random_handle(),
            attempts: 0,
            next_at: 0,
            queued_at: 0,
            set: set.map(str::to_owned),
        }
    }

    /// An instance of the release before security events reads only the
    /// logout queue: a pushed SET there would be read as a logout with an
    /// empty `sub` and `sid` (its appended field ignored) and POSTed as one.
    /// SETs are queued beside it, where only this release looks.
    #[tokio::test]
    async fn pushed_sets_are_queued_beside_the_logouts_not_among_them() {
        let records = Records::new(
            MemoryStore::new(Arc::new(SystemClock)),
            Arc::new(Sealer::generate().unwrap()),
            Duration::from_secs(3600),
        );
        let logout = records.queue_delivery(&delivery(None)).await.unwrap();
        let event = records.queue_delivery(&delivery(Some("a.b.c"))).await.unwrap();
        let older_release_sees = records.store.set_members(QUEUE).await.unwrap();
        assert_eq!(older_release_sees, vec![logout.0.clone()], "only logouts in the logout queue");
        let mut both = records.queued_deliveries().await.unwrap();
        both.sort_by(|a, b| a.0.cmp(&b.0));
        let mut expected = vec![logout.clone(), event.clone()];
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(both, expected, "this release attempts both");
        assert!(records.lease_delivery(&event, 1, Duration::from_secs(30)).await.unwrap().is_some());
        records.finish_delivery(&event).await.unwrap();
        records.finish_delivery(&logout).await.unwrap();
        assert!(records.queued_deliveries().await.unwrap().is_empty());
    }
}

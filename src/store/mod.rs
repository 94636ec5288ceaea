//! Storage: one small backend-neutral trait ([`Store`]), the embedded memory
//! backend, and typed records on top ([`records`]). Every record has a TTL.

pub mod memory;
pub mod records;
pub mod redis;
pub mod seal;

use async_trait::async_trait;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
    /// A capped class of records is full (`limits.max_pending`).
    #[error("the store holds as many {0} records as allowed")]
    Full(&'static str),
}

/// Key-value storage with expiry. Keys are opaque strings built by
/// [`records`]; values are bytes. Implementations must honour the TTL
/// themselves, so nothing outlives its retention even if claimgate stops.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores `value` under `key`, replacing any previous value, for `ttl`.
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError>;
    /// Like `put`, for a record of a capped `class` (pre-login records, which
    /// anyone can create): returns false, writing nothing, while `cap`
    /// records of the class are live. The count may overshoot by the number
    /// of racing writers on a shared store; it never grows without bound.
    async fn put_capped(
        &self,
        class: &str,
        key: &str,
        value: &[u8],
        ttl: Duration,
        cap: u64,
    ) -> Result<bool, StoreError>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Stores `value` under `key` only when no live value is there,
    /// atomically; returns whether it did. Of concurrent writers of one key,
    /// exactly one succeeds (single-use markers: DPoP proof `jti`s).
    async fn put_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError>;
    /// Replaces the value at `key` only while it exists, atomically; returns
    /// whether it did. A write that follows a read must use this, so that a
    /// record deleted in between (logout, erasure) stays deleted.
    async fn replace(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError>;
    /// Replaces the value at `key` only while it exists and returns the
    /// value it replaced, atomically: of concurrent swappers of one key,
    /// exactly one gets the original (refresh-token rotation: the token and
    /// its "rotated" marker are one record, RFC 9700 §4.14.2).
    async fn swap(&self, key: &str, value: &[u8], ttl: Duration) -> Result<Option<Vec<u8>>, StoreError>;
    /// Gets and deletes atomically: of concurrent takers, exactly one wins.
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// `take` for a record put with `put_capped`, freeing its place.
    async fn take_capped(&self, class: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Adds `member`, for `ttl` from now, to the index at `key`, which then
    /// lives at least as long. Members expire one by one (a member added
    /// again lives until the later of its expiries), so an index holds only
    /// live members and never grows beyond them.
    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError>;
    /// Removes `member` from the index at `key`; an index left empty is deleted.
    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError>;
    /// The live members of the index at `key` (empty when there is none).
    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError>;
    /// One request of a flow allowed `limit` requests per `period`, in a
    /// burst of as many (GCRA, the generic cell rate algorithm; the same
    /// quota `governor` keeps per instance), counted atomically for every
    /// instance that shares the store: `None` when it is admitted, else how
    /// long until it would be. Shared per-address rates (`limits.shared_rates`).
    async fn rate(&self, key: &str, limit: u32, period: Duration) -> Result<Option<Duration>, StoreError>;
    /// Whether the store answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;
    /// How many live keys start with `prefix`, where the backend can tell
    /// cheaply (metrics); `None` where it cannot.
    async fn count(&self, _prefix: &str) -> Result<Option<u64>, StoreError> {
        Ok(None)
    }
}

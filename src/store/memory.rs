//! The embedded default store: one process, nothing to install.

use super::{Store, StoreError};
use crate::clock::Clock;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

struct Entry {
    value: Vec<u8>,
    expires_at: DateTime<Utc>,
}

pub struct MemoryStore {
    entries: Mutex<HashMap<String, Entry>>,
    clock: Arc<dyn Clock>,
}

impl MemoryStore {
    pub fn new(clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self { entries: Mutex::new(HashMap::new()), clock })
    }

    /// Starts a task that removes expired entries every `every`, so that an
    /// expired record is gone, not merely ignored. Stops when the store is dropped.
    pub fn spawn_sweeper(self: &Arc<Self>, every: Duration) {
        let weak: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(store) => store.sweep(),
                    None => break,
                }
            }
        });
    }

    /// Removes every expired entry now.
    pub fn sweep(&self) {
        let now = self.clock.now();
        self.lock().retain(|_, e| e.expires_at > now);
    }

    /// Number of entries, expired or not (tests and metrics).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every stored value (tests: prove what is and is not stored).
    pub fn dump(&self) -> Vec<(String, Vec<u8>)> {
        self.lock().iter().map(|(k, e)| (k.clone(), e.value.clone())).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave a map half-written.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn live(&self, entries: &mut HashMap<String, Entry>, key: &str) -> bool {
        match entries.get(key) {
            Some(e) if e.expires_at > self.clock.now() => true,
            Some(_) => {
                entries.remove(key);
                false
            }
            None => false,
        }
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let ttl = chrono::Duration::from_std(ttl).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let expires_at = self.clock.now() + ttl;
        self.lock().insert(key.to_owned(), Entry { value: value.to_vec(), expires_at });
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut entries = self.lock();
        Ok(self.live(&mut entries, key).then(|| entries[key].value.clone()))
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut entries = self.lock();
        if self.live(&mut entries, key) {
            Ok(entries.remove(key).map(|e| e.value))
        } else {
            Ok(None)
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.lock().remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn store() -> (Arc<MemoryStore>, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        (MemoryStore::new(clock.clone()), clock)
    }

    #[tokio::test]
    async fn put_get_expire() {
        let (s, clock) = store();
        s.put("k", b"v", Duration::from_secs(60)).await.unwrap();
        assert_eq!(s.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
        clock.advance(chrono::Duration::seconds(61));
        assert_eq!(s.get("k").await.unwrap(), None);
        assert!(s.is_empty(), "an expired record must be removed, not only hidden");
    }

    #[tokio::test]
    async fn sweep_removes_expired_records() {
        let (s, clock) = store();
        s.put("short", b"v", Duration::from_secs(1)).await.unwrap();
        s.put("long", b"v", Duration::from_secs(100)).await.unwrap();
        clock.advance(chrono::Duration::seconds(2));
        s.sweep();
        assert_eq!(s.len(), 1);
    }

    #[tokio::test]
    async fn take_is_single_use_under_concurrency() {
        let (s, _) = store();
        s.put("code", b"v", Duration::from_secs(60)).await.unwrap();
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.take("code").await.unwrap().is_some() })
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            winners += t.await.unwrap() as usize;
        }
        assert_eq!(winners, 1);
    }
}

//! The embedded default store: one process, nothing to install.

use super::{Store, StoreError};
use crate::clock::Clock;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

enum Value {
    Bytes(Vec<u8>),
    Set(BTreeSet<String>),
}

struct Entry {
    value: Value,
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

    /// Every stored key and value; sets as their members joined by spaces
    /// (tests: prove what is and is not stored).
    pub fn dump(&self) -> Vec<(String, Vec<u8>)> {
        self.lock()
            .iter()
            .map(|(k, e)| {
                let v = match &e.value {
                    Value::Bytes(b) => b.clone(),
                    Value::Set(s) => s.iter().cloned().collect::<Vec<_>>().join(" ").into_bytes(),
                };
                (k.clone(), v)
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock cannot leave a map half-written.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live entry at `key`; an expired one is removed on the way.
    fn live<'a>(&self, entries: &'a mut HashMap<String, Entry>, key: &str) -> Option<&'a mut Entry> {
        if entries.get(key).is_some_and(|e| e.expires_at <= self.clock.now()) {
            entries.remove(key);
        }
        entries.get_mut(key)
    }

    fn expiry(&self, ttl: Duration) -> Result<DateTime<Utc>, StoreError> {
        let ttl = chrono::Duration::from_std(ttl).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(self.clock.now() + ttl)
    }
}

fn wrong_type(key: &str) -> StoreError {
    StoreError::Corrupt(format!("{key} holds another kind of value"))
}

#[async_trait]
impl Store for MemoryStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let expires_at = self.expiry(ttl)?;
        self.lock().insert(key.to_owned(), Entry { value: Value::Bytes(value.to_vec()), expires_at });
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.live(&mut self.lock(), key).map(|e| &e.value) {
            Some(Value::Bytes(b)) => Ok(Some(b.clone())),
            Some(Value::Set(_)) => Err(wrong_type(key)),
            None => Ok(None),
        }
    }

    async fn replace(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let expires_at = self.expiry(ttl)?;
        let mut entries = self.lock();
        match self.live(&mut entries, key) {
            Some(entry @ Entry { value: Value::Bytes(_), .. }) => {
                *entry = Entry { value: Value::Bytes(value.to_vec()), expires_at };
                Ok(true)
            }
            Some(_) => Err(wrong_type(key)),
            None => Ok(false),
        }
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut entries = self.lock();
        match self.live(&mut entries, key).map(|e| &e.value) {
            Some(Value::Bytes(_)) => match entries.remove(key).map(|e| e.value) {
                Some(Value::Bytes(b)) => Ok(Some(b)),
                _ => Ok(None),
            },
            Some(Value::Set(_)) => Err(wrong_type(key)),
            None => Ok(None),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.lock().remove(key);
        Ok(())
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        let expires_at = self.expiry(ttl)?;
        let mut entries = self.lock();
        match self.live(&mut entries, key) {
            Some(Entry { value: Value::Set(set), expires_at: at }) => {
                set.insert(member.to_owned());
                *at = (*at).max(expires_at);
            }
            Some(_) => return Err(wrong_type(key)),
            None => {
                let value = Value::Set(BTreeSet::from([member.to_owned()]));
                entries.insert(key.to_owned(), Entry { value, expires_at });
            }
        }
        Ok(())
    }

    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        let mut entries = self.lock();
        match self.live(&mut entries, key) {
            Some(Entry { value: Value::Set(set), .. }) => {
                set.remove(member);
                if set.is_empty() {
                    entries.remove(key);
                }
                Ok(())
            }
            Some(_) => Err(wrong_type(key)),
            None => Ok(()),
        }
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        match self.live(&mut self.lock(), key).map(|e| &e.value) {
            Some(Value::Set(s)) => Ok(s.iter().cloned().collect()),
            Some(Value::Bytes(_)) => Err(wrong_type(key)),
            None => Ok(Vec::new()),
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn count(&self, prefix: &str) -> Result<Option<u64>, StoreError> {
        let now = self.clock.now();
        Ok(Some(self.lock().iter().filter(|(k, e)| k.starts_with(prefix) && e.expires_at > now).count() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn conformance() {
        crate::store::conformance::run_all(MemoryStore::new(Arc::new(crate::clock::SystemClock)), "t:").await;
    }

    #[tokio::test]
    async fn expiry_removes_records_with_a_fixed_clock() {
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let s = MemoryStore::new(clock.clone());
        s.put("k", b"v", Duration::from_secs(60)).await.unwrap();
        s.put("long", b"v", Duration::from_secs(100)).await.unwrap();
        s.set_add("set", "m", Duration::from_secs(60)).await.unwrap();
        clock.advance(chrono::Duration::seconds(61));
        assert_eq!(s.get("k").await.unwrap(), None);
        assert_eq!(s.len(), 2, "an expired record must be removed, not only hidden");
        s.sweep();
        assert_eq!(s.len(), 1, "the sweeper removes expired sets too");
    }
}

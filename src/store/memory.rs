//! The embedded default store: one process, nothing to install.

use super::{Store, StoreError};
use crate::clock::Clock;
use async_trait::async_trait;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// A point in time as unix milliseconds: 8 bytes per entry and member.
type Millis = i64;

enum Value {
    Bytes(Box<[u8]>),
    /// An index: each member lives until its own expiry.
    Set(Members),
}

/// An index's members, sorted, each with its expiry. Indexes are small (a
/// user's sessions, a session's tokens), so a sorted vector of exact-size
/// strings costs far less than a tree's nodes.
#[derive(Default)]
struct Members(Vec<(Box<str>, Millis)>);

impl Members {
    fn position(&self, member: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(m, _)| (**m).cmp(member))
    }

    /// Adds `member` or extends its expiry to `until`.
    fn upsert(&mut self, member: &str, until: Millis) {
        match self.position(member) {
            Ok(i) => {
                if let Some((_, at)) = self.0.get_mut(i) {
                    *at = (*at).max(until);
                }
            }
            Err(i) => {
                // Exact growth: most indexes hold one or two members.
                self.0.reserve_exact(1);
                self.0.insert(i, (member.into(), until));
            }
        }
    }

    fn remove(&mut self, member: &str) {
        if let Ok(i) = self.position(member) {
            self.0.remove(i);
        }
    }

    fn retain_live(&mut self, now: Millis) {
        self.0.retain(|(_, at)| *at > now);
    }

    fn live(&self, now: Millis) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(_, at)| *at > now).map(|(m, _)| &**m)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

struct Entry {
    value: Value,
    expires_at: Millis,
}

/// The live records of one capped class, by expiry (see [`Store::put_capped`]).
#[derive(Default)]
struct CapIndex {
    by_expiry: BTreeSet<(Millis, String)>,
    expiry_of: HashMap<String, Millis>,
}

impl CapIndex {
    fn purge(&mut self, now: Millis) {
        while let Some((at, key)) = self.by_expiry.first().cloned() {
            if at > now {
                break;
            }
            self.by_expiry.pop_first();
            self.expiry_of.remove(&key);
        }
    }

    fn insert(&mut self, key: &str, at: Millis) {
        self.remove(key);
        self.by_expiry.insert((at, key.to_owned()));
        self.expiry_of.insert(key.to_owned(), at);
    }

    fn remove(&mut self, key: &str) {
        if let Some(at) = self.expiry_of.remove(key) {
            self.by_expiry.remove(&(at, key.to_owned()));
        }
    }
}

/// The entries, and how many there are of each kind (the text before the
/// first `:`), kept as entries come and go: metrics read the count instead
/// of walking the map under its lock. Expired entries count until removed.
#[derive(Default)]
struct Table {
    entries: HashMap<Box<str>, Entry>,
    counts: HashMap<String, u64>,
}

fn kind(key: &str) -> &str {
    key.split(':').next().unwrap_or_default()
}

impl Table {
    fn insert(&mut self, key: &str, entry: Entry) {
        if self.entries.insert(key.into(), entry).is_none() {
            *self.counts.entry(kind(key).to_owned()).or_default() += 1;
        }
    }

    fn remove(&mut self, key: &str) -> Option<Entry> {
        let removed = self.entries.remove(key);
        if removed.is_some() {
            if let Some(n) = self.counts.get_mut(kind(key)) {
                *n = n.saturating_sub(1);
            }
        }
        removed
    }
}

pub struct MemoryStore {
    table: Mutex<Table>,
    /// Capped classes (pre-login records). Locked on its own, never while
    /// `table` is held.
    capped: Mutex<HashMap<String, CapIndex>>,
    clock: Arc<dyn Clock>,
}

/// A poisoned lock cannot leave a map half-written: every change is one call.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryStore {
    pub fn new(clock: Arc<dyn Clock>) -> Arc<Self> {
        Arc::new(Self { table: Mutex::new(Table::default()), capped: Mutex::new(HashMap::new()), clock })
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

    /// Removes every expired entry and index member now.
    pub fn sweep(&self) {
        let now = self.now();
        {
            let mut table = lock(&self.table);
            let Table { entries, counts } = &mut *table;
            entries.retain(|key, e| {
                if let Value::Set(members) = &mut e.value {
                    members.retain_live(now);
                }
                let live = e.expires_at > now;
                if !live {
                    if let Some(n) = counts.get_mut(kind(key)) {
                        *n = n.saturating_sub(1);
                    }
                }
                live
            });
        }
        for index in lock(&self.capped).values_mut() {
            index.purge(now);
        }
    }

    /// Number of entries, expired or not (tests and metrics).
    pub fn len(&self) -> usize {
        lock(&self.table).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every stored key and value; sets as their members joined by spaces
    /// (tests: prove what is and is not stored).
    pub fn dump(&self) -> Vec<(String, Vec<u8>)> {
        lock(&self.table)
            .entries
            .iter()
            .map(|(k, e)| {
                let v = match &e.value {
                    Value::Bytes(b) => b.to_vec(),
                    Value::Set(s) => s.0.iter().map(|(m, _)| &**m).collect::<Vec<_>>().join(" ").into_bytes(),
                };
                (k.to_string(), v)
            })
            .collect()
    }

    /// The live entry at `key`; an expired one is removed on the way.
    fn live<'a>(&self, table: &'a mut Table, key: &str) -> Option<&'a mut Entry> {
        if table.entries.get(key).is_some_and(|e| e.expires_at <= self.now()) {
            table.remove(key);
        }
        table.entries.get_mut(key)
    }

    fn now(&self) -> Millis {
        self.clock.now().timestamp_millis()
    }

    fn expiry(&self, ttl: Duration) -> Result<Millis, StoreError> {
        let ttl = i64::try_from(ttl.as_millis()).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.now().checked_add(ttl).ok_or_else(|| StoreError::Unavailable("TTL out of range".into()))
    }

    fn take_bytes(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut table = lock(&self.table);
        match self.live(&mut table, key).map(|e| &e.value) {
            Some(Value::Bytes(_)) => match table.remove(key).map(|e| e.value) {
                Some(Value::Bytes(b)) => Ok(Some(b.into_vec())),
                _ => Ok(None),
            },
            Some(Value::Set(_)) => Err(wrong_type(key)),
            None => Ok(None),
        }
    }
}

fn wrong_type(key: &str) -> StoreError {
    StoreError::Corrupt(format!("{key} holds another kind of value"))
}

#[async_trait]
impl Store for MemoryStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let expires_at = self.expiry(ttl)?;
        lock(&self.table).insert(key, Entry { value: Value::Bytes(value.into()), expires_at });
        Ok(())
    }

    async fn rate(&self, key: &str, limit: u32, period: Duration) -> Result<Option<Duration>, StoreError> {
        let emission = i64::try_from(period.as_millis() / u128::from(limit.max(1))).unwrap_or(i64::MAX).max(1);
        let burst = i64::from(limit.max(1));
        let now = self.now();
        let mut table = lock(&self.table);
        let tat = match self.live(&mut table, key).map(|e| &e.value) {
            Some(Value::Bytes(b)) => b.first_chunk::<8>().map_or(now, |b| i64::from_be_bytes(*b)),
            Some(Value::Set(_)) => return Err(wrong_type(key)),
            None => now,
        }
        .max(now);
        let new_tat = tat.saturating_add(emission);
        let allow_at = new_tat.saturating_sub(emission.saturating_mul(burst));
        if allow_at > now {
            return Ok(Some(Duration::from_millis(u64::try_from(allow_at - now).unwrap_or(0))));
        }
        let value = Value::Bytes(new_tat.to_be_bytes().to_vec().into());
        table.insert(key, Entry { value, expires_at: new_tat });
        Ok(None)
    }

    async fn put_capped(
        &self,
        class: &str,
        key: &str,
        value: &[u8],
        ttl: Duration,
        cap: u64,
    ) -> Result<bool, StoreError> {
        let expires_at = self.expiry(ttl)?;
        {
            let mut capped = lock(&self.capped);
            let index = capped.entry(class.to_owned()).or_default();
            index.purge(self.now());
            if index.expiry_of.len() as u64 >= cap && !index.expiry_of.contains_key(key) {
                return Ok(false);
            }
            index.insert(key, expires_at);
        }
        lock(&self.table).insert(key, Entry { value: Value::Bytes(value.into()), expires_at });
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.live(&mut lock(&self.table), key).map(|e| &e.value) {
            Some(Value::Bytes(b)) => Ok(Some(b.to_vec())),
            Some(Value::Set(_)) => Err(wrong_type(key)),
            None => Ok(None),
        }
    }

    async fn put_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let expires_at = self.expiry(ttl)?;
        let mut table = lock(&self.table);
        if self.live(&mut table, key).is_some() {
            return Ok(false);
        }
        table.insert(key, Entry { value: Value::Bytes(value.into()), expires_at });
        Ok(true)
    }

    async fn swap(&self, key: &str, value: &[u8], ttl: Duration) -> Result<Option<Vec<u8>>, StoreError> {
        let expires_at = self.expiry(ttl)?;
        let mut table = lock(&self.table);
        match self.live(&mut table, key) {
            Some(entry @ Entry { value: Value::Bytes(_), .. }) => {
                let old = std::mem::replace(entry, Entry { value: Value::Bytes(value.into()), expires_at });
                match old.value {
                    Value::Bytes(bytes) => Ok(Some(bytes.into_vec())),
                    Value::Set(_) => Err(wrong_type(key)),
                }
            }
            Some(_) => Err(wrong_type(key)),
            None => Ok(None),
        }
    }

    async fn replace(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let expires_at = self.expiry(ttl)?;
        let mut table = lock(&self.table);
        match self.live(&mut table, key) {
            Some(entry @ Entry { value: Value::Bytes(_), .. }) => {
                *entry = Entry { value: Value::Bytes(value.into()), expires_at };
                Ok(true)
            }
            Some(_) => Err(wrong_type(key)),
            None => Ok(false),
        }
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.take_bytes(key)
    }

    async fn take_capped(&self, class: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let taken = self.take_bytes(key);
        if let Some(index) = lock(&self.capped).get_mut(class) {
            index.remove(key);
        }
        taken
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        lock(&self.table).remove(key);
        Ok(())
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        let expires_at = self.expiry(ttl)?;
        let now = self.now();
        let mut table = lock(&self.table);
        match self.live(&mut table, key) {
            Some(Entry { value: Value::Set(members), expires_at: at }) => {
                members.retain_live(now);
                members.upsert(member, expires_at);
                *at = (*at).max(expires_at);
            }
            Some(_) => return Err(wrong_type(key)),
            None => {
                let mut members = Members::default();
                members.upsert(member, expires_at);
                let value = Value::Set(members);
                table.insert(key, Entry { value, expires_at });
            }
        }
        Ok(())
    }

    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        let mut table = lock(&self.table);
        match self.live(&mut table, key) {
            Some(Entry { value: Value::Set(members), .. }) => {
                members.remove(member);
                if members.is_empty() {
                    table.remove(key);
                }
                Ok(())
            }
            Some(_) => Err(wrong_type(key)),
            None => Ok(()),
        }
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        let now = self.now();
        match self.live(&mut lock(&self.table), key).map(|e| &e.value) {
            Some(Value::Set(s)) => Ok(s.live(now).map(str::to_owned).collect()),
            Some(Value::Bytes(_)) => Err(wrong_type(key)),
            None => Ok(Vec::new()),
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// O(1): counted as entries come and go; an expired entry counts until
    /// it is read or swept (every 30 s in a running claimgate).
    async fn count(&self, prefix: &str) -> Result<Option<u64>, StoreError> {
        Ok(Some(lock(&self.table).counts.get(prefix.trim_end_matches(':')).copied().unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn expiry_removes_records_with_a_fixed_clock() {
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let s = MemoryStore::new(clock.clone());
        s.put("k", b"v", Duration::from_secs(60)).await.unwrap();
        s.put("long", b"v", Duration::from_secs(100)).await.unwrap();
        s.set_add("set", "m", Duration::from_secs(60)).await.unwrap();
        clock.advance(chrono::Duration::seconds(61));
        assert_eq!(s.get("k").await.unwrap(), None);
        assert_eq!(s.len(), 2, "an expired record must be removed, not only hidden");
        s.sweep();
        assert_eq!(s.len(), 1, "the sweeper removes expired sets too");
        assert_eq!(s.count("long:").await.unwrap(), Some(1));
        assert_eq!(s.count("k:").await.unwrap(), Some(0), "counts follow removals");
    }

    #[tokio::test]
    async fn an_index_keeps_only_live_members_with_a_fixed_clock() {
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let s = MemoryStore::new(clock.clone());
        for i in 0..1000 {
            s.set_add("idx", &format!("code:{i}"), Duration::from_secs(60)).await.unwrap();
        }
        s.set_add("idx", "session:1", Duration::from_secs(3600)).await.unwrap();
        clock.advance(chrono::Duration::seconds(61));
        assert_eq!(s.set_members("idx").await.unwrap(), ["session:1"]);
        s.set_add("idx", "access:1", Duration::from_secs(60)).await.unwrap();
        assert_eq!(s.dump()[0].1, b"access:1 session:1", "expired members are pruned when the index grows");
    }

    #[tokio::test]
    async fn a_full_class_refuses_until_a_record_is_taken_or_expires() {
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let s = MemoryStore::new(clock.clone());
        let ttl = Duration::from_secs(60);
        assert!(s.put_capped("pre", "a", b"1", ttl, 2).await.unwrap());
        assert!(s.put_capped("pre", "b", b"2", ttl, 2).await.unwrap());
        assert!(!s.put_capped("pre", "c", b"3", ttl, 2).await.unwrap());
        assert_eq!(s.get("c").await.unwrap(), None, "nothing is written when full");
        assert_eq!(s.take_capped("pre", "a").await.unwrap().as_deref(), Some(&b"1"[..]));
        assert!(s.put_capped("pre", "c", b"3", ttl, 2).await.unwrap());
        clock.advance(chrono::Duration::seconds(61));
        assert!(s.put_capped("pre", "d", b"4", ttl, 2).await.unwrap(), "expired records free their places");
    }
}

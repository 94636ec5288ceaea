//! The Redis backend: many stateless claimgate instances share it. Every
//! record carries its TTL in Redis itself; one-time records are consumed
//! with GETDEL, so two instances racing for one code cannot both win.
//! Works on one Redis (through the connection manager, which reconnects by
//! itself) and on a Redis Cluster. Every command and script is single-key,
//! so no cross-slot operation is ever needed. Indexes are sorted sets
//! scored by each member's expiry (ms), so they hold only live members.

use super::{Store, StoreError};
use async_trait::async_trait;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};
use std::time::Duration;

/// Bounded waits, so that a dead or slow Redis turns into a fast 503.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);

pub struct RedisStore<C> {
    conn: C,
    prefix: String,
    scripts: Scripts,
}

/// Server time in milliseconds, inside a script (Redis 7 replicates effects).
const NOW_MS: &str =
    "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) ";

/// One-key scripts: each runs atomically, on one slot of a cluster.
struct Scripts {
    /// Index add: drop expired members, add ARGV[1] until now + ARGV[2] ms
    /// (never shortening it), and keep the index alive at least that long.
    index_add: Script,
    /// The live members of an index.
    index_members: Script,
    /// Capped class admission: drop expired entries; refuse (0) when ARGV[3]
    /// are live and ARGV[1] is not one of them; else record ARGV[1] until
    /// now + ARGV[2] ms.
    cap_admit: Script,
    /// GCRA: ARGV[1] ms between requests, ARGV[2] the burst. The key holds
    /// the theoretical arrival time; returns 0 when admitted (and moves
    /// it), else the milliseconds to wait.
    rate: Script,
}

impl Scripts {
    fn new() -> Self {
        Self {
            index_add: Script::new(&format!(
                "{NOW_MS} local expiry = now + tonumber(ARGV[2]) \
                 redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) \
                 local current = redis.call('ZSCORE', KEYS[1], ARGV[1]) \
                 if (not current) or tonumber(current) < expiry then redis.call('ZADD', KEYS[1], expiry, ARGV[1]) end \
                 if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end \
                 return 1"
            )),
            index_members: Script::new(&format!(
                "{NOW_MS} return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')"
            )),
            cap_admit: Script::new(&format!(
                "{NOW_MS} redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) \
                 if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end \
                 redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1]) \
                 if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end \
                 return 1"
            )),
            rate: Script::new(&format!(
                "{NOW_MS} local emission = tonumber(ARGV[1]) local burst = tonumber(ARGV[2]) \
                 local tat = tonumber(redis.call('GET', KEYS[1])) or now \
                 if tat < now then tat = now end \
                 local new_tat = tat + emission \
                 local allow_at = new_tat - emission * burst \
                 if allow_at > now then return allow_at - now end \
                 redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now) \
                 return 0"
            )),
        }
    }
}

fn unavailable(e: redis::RedisError) -> StoreError {
    // The error text names the failure kind and address, never a value.
    StoreError::Unavailable(e.to_string())
}

impl RedisStore<ConnectionManager> {
    /// Connects to one Redis (`redis://…`).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|e| StoreError::Unavailable(format!("bad store.url: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(RESPONSE_TIMEOUT)
            .set_number_of_retries(1)
            .set_max_delay(1000);
        let conn = ConnectionManager::new_with_config(client, config).await.map_err(unavailable)?;
        Ok(Self::with_connection(conn, prefix))
    }
}

impl RedisStore<redis::cluster_async::ClusterConnection> {
    /// Connects to a Redis Cluster through any of its nodes.
    pub async fn connect_cluster(urls: &[String], prefix: &str) -> Result<Self, StoreError> {
        let client = redis::cluster::ClusterClientBuilder::new(urls.to_vec())
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(RESPONSE_TIMEOUT)
            .retries(2)
            .build()
            .map_err(|e| StoreError::Unavailable(format!("bad store.urls: {e}")))?;
        let conn = client.get_async_connection().await.map_err(unavailable)?;
        Ok(Self::with_connection(conn, prefix))
    }
}

impl<C> RedisStore<C> {
    fn with_connection(conn: C, prefix: &str) -> Self {
        Self { conn, prefix: prefix.to_owned(), scripts: Scripts::new() }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn class_key(&self, class: &str) -> String {
        format!("{}cap:{class}", self.prefix)
    }
}

/// When a conditional `SET` writes.
#[derive(Clone, Copy)]
enum Condition {
    /// `NX`: only where no key is.
    Absent,
    /// `XX`: only over an existing key.
    Present,
}

impl<C> RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    /// `SET … PX ttl NX|XX`, atomically; whether it wrote (the reply is
    /// nil when the condition did not hold).
    async fn set_if(&self, key: &str, value: &[u8], ttl: Duration, condition: Condition) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let reply: Option<String> =
            self.set(key, value, ttl, condition).query_async(&mut conn).await.map_err(unavailable)?;
        Ok(reply.is_some())
    }

    /// `SET key value PX ttl NX|XX`.
    fn set(&self, key: &str, value: &[u8], ttl: Duration, condition: Condition) -> redis::Cmd {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value).arg("PX").arg(millis(ttl)).arg(match condition {
            Condition::Absent => "NX",
            Condition::Present => "XX",
        });
        cmd
    }
}

fn millis(ttl: Duration) -> u64 {
    (ttl.as_millis() as u64).max(1)
}

#[async_trait]
impl<C> Store for RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync + 'static,
{
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .query_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn rate(&self, key: &str, limit: u32, period: Duration) -> Result<Option<Duration>, StoreError> {
        let emission = (millis(period) / u64::from(limit.max(1))).max(1);
        let mut conn = self.conn.clone();
        let wait: u64 = self
            .scripts
            .rate
            .key(format!("{}{key}", self.prefix))
            .arg(emission)
            .arg(limit.max(1))
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok((wait > 0).then(|| Duration::from_millis(wait)))
    }

    async fn put_capped(
        &self,
        class: &str,
        key: &str,
        value: &[u8],
        ttl: Duration,
        cap: u64,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let admitted: i64 = self
            .scripts
            .cap_admit
            .key(self.class_key(class))
            .arg(key)
            .arg(millis(ttl))
            .arg(cap)
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        if admitted == 0 {
            return Ok(false);
        }
        self.put(key, value, ttl).await.map(|()| true)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.clone();
        conn.get(self.key(key)).await.map_err(unavailable)
    }

    async fn put_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        self.set_if(key, value, ttl, Condition::Absent).await
    }

    async fn replace(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        self.set_if(key, value, ttl, Condition::Present).await
    }

    async fn swap(&self, key: &str, value: &[u8], ttl: Duration) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.clone();
        // One command, one key: atomic on one Redis and on a cluster's slot.
        self.set(key, value, ttl, Condition::Present).arg("GET").query_async(&mut conn).await.map_err(unavailable)
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("GETDEL").arg(self.key(key)).query_async(&mut conn).await.map_err(unavailable)
    }

    async fn take_capped(&self, class: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let taken = self.take(key).await?;
        let mut conn = self.conn.clone();
        conn.zrem::<_, _, ()>(self.class_key(class), key).await.map_err(unavailable)?;
        Ok(taken)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.del::<_, ()>(self.key(key)).await.map_err(unavailable)
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        self.scripts
            .index_add
            .key(self.key(key))
            .arg(member)
            .arg(millis(ttl))
            .invoke_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        // Redis deletes a sorted set whose last member is removed.
        conn.zrem::<_, _, ()>(self.key(key), member).await.map_err(unavailable)
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.clone();
        self.scripts.index_members.key(self.key(key)).invoke_async(&mut conn).await.map_err(unavailable)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut conn).await.map(|_| ()).map_err(unavailable)
    }
}

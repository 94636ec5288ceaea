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

/// One multiplexed connection per thread. actix-web runs each worker on
/// its own single-threaded runtime, and a connection's driver task runs on
/// the runtime that made it: one connection made at startup ran on the main
/// thread, so every command of every worker crossed threads there and back
/// (a quarter of the CPU samples under `/userinfo` load were that thread's;
/// docs/BENCHMARKS.md). Each thread makes its own on first use, with the
/// same timeouts and reconnection.
pub struct PerThread {
    client: redis::Client,
    config: ConnectionManagerConfig,
    /// Which store a thread's connection belongs to (a thread may serve
    /// stores made one after another, as tests do).
    store: u64,
    /// Raised when any thread's connection is lost: Redis went away, so
    /// every thread makes a new connection before its next command instead
    /// of failing it on the old one (one failed request per instance after
    /// a failover, as with one shared connection, not one per thread).
    generation: std::sync::atomic::AtomicU64,
}

/// This thread's connections: (store, generation, connection).
type ThreadConnections = std::cell::RefCell<Vec<(u64, u64, ConnectionManager)>>;

thread_local! {
    static CONNECTIONS: ThreadConnections = const { std::cell::RefCell::new(Vec::new()) };
}

impl PerThread {
    async fn get(&self) -> Result<ConnectionManager, StoreError> {
        use std::sync::atomic::Ordering::Relaxed;
        let generation = self.generation.load(Relaxed);
        let current = |c: &ThreadConnections| {
            c.borrow().iter().find(|(s, g, _)| *s == self.store && *g == generation).map(|(_, _, m)| m.clone())
        };
        if let Some(conn) = CONNECTIONS.with(current) {
            return Ok(conn);
        }
        let conn =
            ConnectionManager::new_with_config(self.client.clone(), self.config.clone()).await.map_err(unavailable)?;
        CONNECTIONS.with(|c| {
            let mut c = c.borrow_mut();
            c.retain(|(s, _, _)| *s != self.store);
            c.push((self.store, generation, conn.clone()));
        });
        Ok(conn)
    }
}

impl RedisStore<PerThread> {
    /// Connects to one Redis (`redis://…`): once here, so that a wrong URL
    /// or a Redis that does not answer stops startup; then once per thread.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        static STORES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let client = redis::Client::open(url).map_err(|e| StoreError::Unavailable(format!("bad store.url: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(RESPONSE_TIMEOUT)
            .set_number_of_retries(1)
            .set_max_delay(1000);
        let store = STORES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let conn = PerThread { client, config, store, generation: Default::default() };
        conn.get().await?;
        Ok(Self::with_connection(conn, prefix))
    }
}

/// Where a store's commands go: a connection of this thread, or the one
/// cluster connection (it routes by slot and is shared).
#[async_trait]
pub trait Connections: Send + Sync + 'static {
    type Conn: ConnectionLike + Send + Sync;
    async fn connection(&self) -> Result<Self::Conn, StoreError>;
    /// Told of every failed command.
    fn failed(&self, _error: &redis::RedisError) {}
}

#[async_trait]
impl Connections for PerThread {
    type Conn = ConnectionManager;
    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        self.get().await
    }
    fn failed(&self, error: &redis::RedisError) {
        // A lost connection, not a slow answer: timeouts keep the connections.
        if error.is_connection_dropped() || error.is_connection_refusal() || error.is_io_error() {
            self.generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

#[async_trait]
impl Connections for redis::cluster_async::ClusterConnection {
    type Conn = Self;
    async fn connection(&self) -> Result<Self, StoreError> {
        Ok(self.clone())
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

impl<C: Connections> RedisStore<C> {
    /// A failed command as the store's error; the connections are told.
    fn failed(&self, error: redis::RedisError) -> StoreError {
        self.conn.failed(&error);
        unavailable(error)
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
    C: Connections,
{
    /// `SET … PX ttl NX|XX`, atomically; whether it wrote (the reply is
    /// nil when the condition did not hold).
    async fn set_if(&self, key: &str, value: &[u8], ttl: Duration, condition: Condition) -> Result<bool, StoreError> {
        let mut conn = self.conn.connection().await?;
        let reply: Option<String> =
            self.set(key, value, ttl, condition).query_async(&mut conn).await.map_err(|e| self.failed(e))?;
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
    C: Connections,
{
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.connection().await?;
        redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .query_async::<()>(&mut conn)
            .await
            .map_err(|e| self.failed(e))
    }

    async fn rate(&self, key: &str, limit: u32, period: Duration) -> Result<Option<Duration>, StoreError> {
        let emission = (millis(period) / u64::from(limit.max(1))).max(1);
        let mut conn = self.conn.connection().await?;
        let wait: u64 = self
            .scripts
            .rate
            .key(format!("{}{key}", self.prefix))
            .arg(emission)
            .arg(limit.max(1))
            .invoke_async(&mut conn)
            .await
            .map_err(|e| self.failed(e))?;
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
        let mut conn = self.conn.connection().await?;
        let admitted: i64 = self
            .scripts
            .cap_admit
            .key(self.class_key(class))
            .arg(key)
            .arg(millis(ttl))
            .arg(cap)
            .invoke_async(&mut conn)
            .await
            .map_err(|e| self.failed(e))?;
        if admitted == 0 {
            return Ok(false);
        }
        self.put(key, value, ttl).await.map(|()| true)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.connection().await?;
        conn.get(self.key(key)).await.map_err(|e| self.failed(e))
    }

    async fn put_new(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        self.set_if(key, value, ttl, Condition::Absent).await
    }

    async fn replace(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        self.set_if(key, value, ttl, Condition::Present).await
    }

    async fn swap(&self, key: &str, value: &[u8], ttl: Duration) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.connection().await?;
        // One command, one key: atomic on one Redis and on a cluster's slot.
        self.set(key, value, ttl, Condition::Present)
            .arg("GET")
            .query_async(&mut conn)
            .await
            .map_err(|e| self.failed(e))
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.connection().await?;
        redis::cmd("GETDEL").arg(self.key(key)).query_async(&mut conn).await.map_err(|e| self.failed(e))
    }

    async fn take_capped(&self, class: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let taken = self.take(key).await?;
        let mut conn = self.conn.connection().await?;
        conn.zrem::<_, _, ()>(self.class_key(class), key).await.map_err(|e| self.failed(e))?;
        Ok(taken)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.connection().await?;
        conn.del::<_, ()>(self.key(key)).await.map_err(|e| self.failed(e))
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.connection().await?;
        self.scripts
            .index_add
            .key(self.key(key))
            .arg(member)
            .arg(millis(ttl))
            .invoke_async::<()>(&mut conn)
            .await
            .map_err(|e| self.failed(e))
    }

    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.connection().await?;
        // Redis deletes a sorted set whose last member is removed.
        conn.zrem::<_, _, ()>(self.key(key), member).await.map_err(|e| self.failed(e))
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.connection().await?;
        self.scripts.index_members.key(self.key(key)).invoke_async(&mut conn).await.map_err(|e| self.failed(e))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await.map(|_| ()).map_err(|e| self.failed(e))
    }
}

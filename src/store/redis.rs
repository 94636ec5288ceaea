//! The Redis backend: many stateless claimgate instances share it. Every
//! record carries its TTL in Redis itself; one-time records are consumed
//! with GETDEL, so two instances racing for one code cannot both win.
//! Works on one Redis (through the connection manager, which reconnects by
//! itself) and on a Redis Cluster. Every command is single-key, so no
//! cross-slot operation is ever needed.

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
    set_add: Script,
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
        // SADD, then raise the TTL to at least ARGV[2] ms (never lower it).
        let set_add = Script::new(
            "redis.call('SADD', KEYS[1], ARGV[1]) \
             local t = redis.call('PTTL', KEYS[1]) \
             if t < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end \
             return 1",
        );
        Self { conn, prefix: prefix.to_owned(), set_add }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
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

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.clone();
        conn.get(self.key(key)).await.map_err(unavailable)
    }

    async fn replace(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        // XX: only an existing key is written; the reply is nil otherwise.
        let reply: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("PX")
            .arg(millis(ttl))
            .arg("XX")
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(reply.is_some())
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("GETDEL").arg(self.key(key)).query_async(&mut conn).await.map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        conn.del::<_, ()>(self.key(key)).await.map_err(unavailable)
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        self.set_add
            .key(self.key(key))
            .arg(member)
            .arg(millis(ttl))
            .invoke_async::<()>(&mut conn)
            .await
            .map_err(unavailable)
    }

    async fn set_remove(&self, key: &str, member: &str) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        // Redis deletes a set whose last member is removed.
        conn.srem::<_, _, ()>(self.key(key), member).await.map_err(unavailable)
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>, StoreError> {
        let mut conn = self.conn.clone();
        conn.smembers(self.key(key)).await.map_err(unavailable)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut conn).await.map(|_| ()).map_err(unavailable)
    }
}

//! `[store]`: the embedded memory store, Redis or Redis Cluster.

use super::{invalid, ConfigError};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    kind: String,
    url: Option<String>,
    urls: Option<Vec<String>>,
    key_prefix: Option<String>,
}

impl Default for RawStore {
    fn default() -> Self {
        Self { kind: "memory".into(), url: None, urls: None, key_prefix: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Memory,
    Redis { url: String, key_prefix: String },
    RedisCluster { urls: Vec<String>, key_prefix: String },
}

impl StoreConfig {
    /// Stores shared by several instances need keys shared by all of them.
    pub fn is_shared(&self) -> bool {
        !matches!(self, StoreConfig::Memory)
    }
}

pub(super) fn validate(raw: RawStore) -> Result<StoreConfig, ConfigError> {
    let store = match raw.kind.as_str() {
        "memory" => StoreConfig::Memory,
        "redis" => StoreConfig::Redis {
            url: raw.url.ok_or_else(|| invalid("store.url", "required when store.kind = \"redis\""))?,
            key_prefix: raw.key_prefix.unwrap_or_else(|| "claimgate:".into()),
        },
        "redis-cluster" => StoreConfig::RedisCluster {
            urls: raw.urls.filter(|u| !u.is_empty()).ok_or_else(|| {
                invalid("store.urls", "a list of node URLs is required when store.kind = \"redis-cluster\"")
            })?,
            key_prefix: raw.key_prefix.unwrap_or_else(|| "claimgate:".into()),
        },
        other => {
            return Err(invalid(
                "store.kind",
                format!("\"{other}\" is not a store kind (memory, redis, redis-cluster)"),
            ))
        }
    };

    Ok(store)
}

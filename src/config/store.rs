//! `[store]`: the embedded memory store, Redis or Redis Cluster.

use super::{invalid, ConfigError};
use serde::Deserialize;

/// `[store]` as written: `kind` selects the variant and its keys, so a
/// Redis URL under `kind = "memory"` is an unknown key, not ignored.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub(super) enum RawStore {
    // A struct variant, so that unknown keys are refused here too.
    Memory {},
    Redis { url: String, key_prefix: Option<String> },
    RedisCluster { urls: Vec<String>, key_prefix: Option<String> },
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

impl Default for RawStore {
    fn default() -> Self {
        RawStore::Memory {}
    }
}

pub(super) fn validate(raw: RawStore) -> Result<StoreConfig, ConfigError> {
    let prefix = |p: Option<String>| p.unwrap_or_else(|| "claimgate:".into());
    Ok(match raw {
        RawStore::Memory {} => StoreConfig::Memory,
        RawStore::Redis { url, key_prefix } => StoreConfig::Redis { url, key_prefix: prefix(key_prefix) },
        RawStore::RedisCluster { urls, .. } if urls.is_empty() => {
            return Err(invalid("store.urls", "a list of node URLs is required when store.kind = \"redis-cluster\""))
        }
        RawStore::RedisCluster { urls, key_prefix } => {
            StoreConfig::RedisCluster { urls, key_prefix: prefix(key_prefix) }
        }
    })
}

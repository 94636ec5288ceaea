//! Where a test app keeps its records: its own memory store, or the shared
//! Redis (or a cluster) under a prefix of the test's own.

use super::ConfigEdit;
use base64::Engine;
use claimgate::store::memory::MemoryStore;
use std::sync::{Arc, OnceLock};

/// Where a test app keeps its records.
#[derive(Clone)]
pub enum TestStore {
    Memory(Arc<MemoryStore>),
    /// A Redis at `url` (or a cluster through these nodes), under a prefix of this test's own.
    Redis {
        urls: Vec<String>,
        prefix: String,
        cluster: bool,
    },
}

impl TestStore {
    /// The shared Redis at REDIS_URL, under a fresh prefix.
    pub fn redis() -> TestStore {
        let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let reachable = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection_with_timeout(std::time::Duration::from_secs(2)))
            .is_ok();
        assert!(
            reachable,
            "this test needs a Redis at {url} (REDIS_URL): run `bash scripts/test.sh`, which starts one"
        );
        TestStore::redis_at(&url)
    }

    pub fn redis_at(url: &str) -> TestStore {
        let prefix = format!("cgtest:{}:", &claimgate::store::records::random_handle()[..10]);
        TestStore::Redis { urls: vec![url.to_owned()], prefix, cluster: false }
    }

    /// The `[store]` section and the extra `[keys]` lines a shared store needs.
    /// Records over this store as another claimgate instance sees them
    /// (same prefix, same storage key), without that instance running.
    pub async fn records_like(&self, app: &super::TestApp) -> claimgate::store::records::Records {
        let TestStore::Redis { urls, prefix, cluster: false } = self else { panic!("a Redis store") };
        let store = claimgate::store::redis::RedisStore::connect(&urls[0], prefix).await.unwrap();
        let key = format!("k1:{}", base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
        let sealer = claimgate::store::seal::Sealer::from_config(&[key]).unwrap();
        let ttl = app.state.config.lifetimes.session_absolute;
        claimgate::store::records::Records::new(Arc::new(store), Arc::new(sealer), ttl)
    }

    /// `[store]` for this store; a shared store needs the keys every
    /// instance shares, too.
    pub fn configure(&self, config: &mut ConfigEdit) {
        let TestStore::Redis { urls, prefix, cluster } = self else { return };
        match cluster {
            false => config.set("store", "kind", "redis").set("store", "url", urls[0].as_str()),
            true => config.set("store", "kind", "redis-cluster").set_list(
                "store",
                "urls",
                &urls.iter().map(String::as_str).collect::<Vec<_>>(),
            ),
        };
        let storage_key = format!("k1:{}", base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
        config.set("store", "key_prefix", prefix.as_str());
        config.set("keys", "signing_key", shared_signing_key()).set_list("keys", "storage_keys", &[&storage_key]);
    }

    /// Every key and value this test stored (sets: members joined by spaces).
    pub async fn dump(&self) -> Vec<(String, Vec<u8>)> {
        match self {
            TestStore::Memory(m) => m.dump(),
            TestStore::Redis { urls, prefix, cluster } => {
                let mut out = Vec::new();
                for url in urls {
                    let mut c =
                        redis::Client::open(url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
                    let keys: Vec<String> =
                        redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut c).await.unwrap();
                    for k in keys {
                        let kind: String = redis::cmd("TYPE").arg(&k).query_async(&mut c).await.unwrap();
                        let v: Vec<u8> = if kind == "zset" {
                            let m: Vec<String> =
                                redis::cmd("ZRANGE").arg(&k).arg(0).arg(-1).query_async(&mut c).await.unwrap();
                            m.join(" ").into_bytes()
                        } else {
                            redis::cmd("GET").arg(&k).query_async(&mut c).await.unwrap_or_default()
                        };
                        out.push((k.trim_start_matches(prefix.as_str()).to_owned(), v));
                    }
                    if !cluster {
                        break;
                    }
                }
                out
            }
        }
    }

    /// Deletes this test's keys (never anything else).
    pub async fn cleanup(&self) {
        if let TestStore::Redis { urls, prefix, .. } = self {
            for url in urls {
                let Ok(client) = redis::Client::open(url.as_str()) else { continue };
                let Ok(mut c) = client.get_multiplexed_async_connection().await else { continue };
                let keys: Vec<String> =
                    redis::cmd("KEYS").arg(format!("{prefix}*")).query_async(&mut c).await.unwrap_or_default();
                for k in keys {
                    let _: Result<(), _> = redis::cmd("DEL").arg(&k).query_async(&mut c).await;
                }
            }
        }
    }
}

/// One RSA key for every instance that must share it (shared stores).
fn shared_signing_key() -> &'static str {
    static KEY: OnceLock<String> = OnceLock::new();
    KEY.get_or_init(|| {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap().to_string()
    })
}

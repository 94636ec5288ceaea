//! claimgate's own keys: the signing keys (see `signing`), the pairwise
//! secret and the storage keys. From config or the environment; where absent, a single
//! instance generates them and says so in its log.

use crate::config::{Config, ConfigError, KeysConfig};
use crate::policy::Pseudonymizer;
use crate::signing::{KeyError, SigningAlg, SigningKey, SigningKeys};
use crate::store::seal::Sealer;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use secrecy::ExposeSecret;
use std::collections::BTreeMap;

pub struct Keys {
    /// Every signing key (all published in `/jwks`); the first of each algorithm signs.
    pub signing: SigningKeys,
    pub pseudonymizer: Pseudonymizer,
    /// Issues and checks DPoP nonces (from the pairwise secret: every
    /// instance accepts every other's).
    pub dpop_nonces: crate::dpop::Nonces,
    /// Seals every stored record (encryption at rest).
    pub sealer: std::sync::Arc<Sealer>,
    /// Names of keys that were generated because config had none.
    pub generated: Vec<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys {{ signing: {:?}, .. }}", self.signing)
    }
}

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.into(), reason: reason.into() }
}

impl Keys {
    pub fn load(config: &Config) -> Result<Keys, ConfigError> {
        // Every algorithm a client asks for, and RS256 (OIDC Discovery 1.0 §3).
        let mut needed = BTreeMap::from([(SigningAlg::Rs256, "keys.signing_keys".to_owned())]);
        for (client, oidc) in config.clients.values().filter_map(|c| Some((c, c.oidc()?))) {
            needed
                .entry(oidc.id_token_alg)
                .or_insert_with(|| format!("clients.{}.id_token_signed_response_alg", client.id));
        }
        Keys::with(&config.keys, needed, config.store.is_shared())
    }

    /// Keys for one process, all generated (examples and benchmarks).
    pub fn generate() -> Result<Keys, ConfigError> {
        Keys::with(&KeysConfig::default(), BTreeMap::new(), false)
    }

    /// `needed`: the algorithms to sign with, each with the config key that asks for it.
    fn with(cfg: &KeysConfig, mut needed: BTreeMap<SigningAlg, String>, shared: bool) -> Result<Keys, ConfigError> {
        let mut generated = Vec::new();
        let mut signing = Vec::new();
        for source in &cfg.signing_keys {
            let keys =
                SigningKey::from_pem(source.pem.expose_secret()).map_err(|e| invalid(&source.key, e.to_string()))?;
            signing.extend(keys);
        }
        needed.entry(SigningAlg::Rs256).or_insert_with(|| "keys.signing_keys".into());
        for (alg, key) in needed {
            if signing.iter().any(|k| k.alg() == alg) {
                continue;
            }
            if shared || !cfg.signing_keys.is_empty() {
                // Another instance (or the next start) would sign with a different key.
                return Err(invalid(
                    &key,
                    format!("no {alg} key in keys.signing_keys (`claimgate keys generate --only signing-key --alg {alg}` makes one)"),
                ));
            }
            generated.push(format!("keys.signing_keys ({alg})"));
            signing.push(SigningKey::generate(alg).map_err(|e| invalid("keys.signing_keys", e.to_string()))?);
        }
        let signing = SigningKeys::new(signing);

        let pairwise = match &cfg.pairwise_secret {
            Some(s) if s.expose_secret().len() < 32 => {
                return Err(invalid("keys.pairwise_secret", "must be at least 32 characters"))
            }
            Some(s) => s.expose_secret().as_bytes().to_vec(),
            None => {
                generated.push("keys.pairwise_secret".into());
                let mut bytes = vec![0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                bytes
            }
        };
        let sealer = if cfg.storage_keys.is_empty() {
            generated.push("keys.storage_keys".into());
            Sealer::generate().map_err(|e| invalid("keys.storage_keys", e.to_string()))?
        } else {
            let entries: Vec<String> = cfg.storage_keys.iter().map(|k| k.expose_secret().to_owned()).collect();
            Sealer::from_config(&entries).map_err(|e| invalid("keys.storage_keys", e.to_string()))?
        };
        Ok(Keys {
            signing,
            pseudonymizer: Pseudonymizer::new(&pairwise),
            dpop_nonces: crate::dpop::Nonces::new(&pairwise),
            sealer: std::sync::Arc::new(sealer),
            generated,
        })
    }
}

/// What `claimgate keys generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generate {
    /// A `[keys]` section: signing keys (RS256 first, then `algs`), a
    /// pairwise secret and a storage key.
    Section,
    /// One signing key in PEM (for adding to `keys.signing_keys` in a rotation).
    SigningKey,
    PairwiseSecret,
    StorageKey,
}

/// Fresh keys for a config, as text (see [`Generate`]).
pub fn generate_text(what: Generate, algs: &[SigningAlg], today: &str) -> Result<String, KeyError> {
    let random = |n: usize| {
        let mut bytes = vec![0u8; n];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        bytes
    };
    let pairwise = URL_SAFE_NO_PAD.encode(random(32));
    // The `KEY_ID:BASE64` form of keys.storage_keys; the id names the day it was made.
    let storage = format!("k{today}:{}", STANDARD.encode(random(32)));
    let first = algs.first().copied().unwrap_or(SigningAlg::Rs256);
    Ok(match what {
        Generate::SigningKey => SigningKey::generate(first)?.to_pkcs8_pem()?,
        Generate::PairwiseSecret => format!("{pairwise}\n"),
        Generate::StorageKey => format!("{storage}\n"),
        Generate::Section => {
            // RS256 always (OpenID Connect Discovery 1.0 §3), then the others asked for.
            let mut wanted = vec![SigningAlg::Rs256];
            wanted.extend(algs.iter().copied().filter(|a| *a != SigningAlg::Rs256));
            wanted.dedup();
            let pems = wanted
                .iter()
                .map(|a| SigningKey::generate(*a)?.to_pkcs8_pem().map(|p| format!("\"\"\"\n{p}\"\"\"")))
                .collect::<Result<Vec<_>, _>>()?;
            format!(
                "# Generated by `claimgate keys generate`. Secret: keep this in a file only claimgate\n\
                 # can read, or pass the values as CLAIMGATE_SIGNING_KEY, CLAIMGATE_PAIRWISE_SECRET\n\
                 # and CLAIMGATE_STORAGE_KEYS. Every instance sharing a store needs the same keys.\n\
                 # Never change pairwise_secret: every app's subjects derive from it.\n\
                 [keys]\n\
                 signing_keys = [{}]\n\
                 pairwise_secret = \"{pairwise}\"\n\
                 storage_keys = [\"{storage}\"]\n",
                pems.join(", ")
            )
        }
    })
}

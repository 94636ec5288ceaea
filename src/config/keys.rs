//! `[keys]`: the signing key, the pairwise secret and the storage keys
//! (from the file or the environment).

use super::{invalid, secret, ConfigError, StoreConfig};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKeys {
    signing_key: Option<String>,
    signing_key_file: Option<String>,
    pairwise_secret: Option<String>,
    storage_keys: Option<Vec<String>>,
}

#[derive(Debug)]
pub struct KeysConfig {
    /// PKCS#1 or PKCS#8 PEM RSA private key.
    pub signing_key_pem: Option<SecretString>,
    pub pairwise_secret: Option<SecretString>,
    /// `"id:base64(32 bytes)"` entries; the first seals new records.
    pub storage_keys: Vec<SecretString>,
}

pub(super) fn validate(
    raw: RawKeys,
    store: &StoreConfig,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<KeysConfig, ConfigError> {
    let signing_key_pem = match (secret(raw.signing_key, "CLAIMGATE_SIGNING_KEY", env), raw.signing_key_file) {
        (Some(_), Some(_)) => {
            return Err(invalid("keys.signing_key_file", "give either keys.signing_key or keys.signing_key_file"))
        }
        (Some(pem), None) => Some(pem),
        (None, Some(file)) => Some(SecretString::from(
            std::fs::read_to_string(&file).map_err(|e| invalid("keys.signing_key_file", format!("{file}: {e}")))?,
        )),
        (None, None) => None,
    };
    let storage_keys: Vec<SecretString> = match env("CLAIMGATE_STORAGE_KEYS").filter(|v| !v.is_empty()) {
        Some(list) => list.split(',').map(|k| SecretString::from(k.trim().to_owned())).collect(),
        None => raw.storage_keys.unwrap_or_default().into_iter().map(SecretString::from).collect(),
    };
    let keys = KeysConfig {
        signing_key_pem,
        pairwise_secret: secret(raw.pairwise_secret, "CLAIMGATE_PAIRWISE_SECRET", env),
        storage_keys,
    };
    if store.is_shared() {
        // Generated keys would differ per instance: tokens, subjects and
        // records would not be readable across them.
        let missing = [
            ("keys.signing_key", keys.signing_key_pem.is_none()),
            ("keys.pairwise_secret", keys.pairwise_secret.is_none()),
            ("keys.storage_keys", keys.storage_keys.is_empty()),
        ];
        if let Some((key, _)) = missing.iter().find(|(_, m)| *m) {
            return Err(invalid(*key, "required with a shared store: every instance must use the same key"));
        }
    }

    Ok(keys)
}

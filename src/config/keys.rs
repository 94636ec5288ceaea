//! `[keys]`: the signing keys, the pairwise secret and the storage keys
//! (from the file or the environment).

use super::{invalid, secret, ConfigError, StoreConfig};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKeys {
    signing_key: Option<String>,
    signing_key_file: Option<String>,
    signing_keys: Option<Vec<String>>,
    signing_key_files: Option<Vec<String>>,
    pairwise_secret: Option<String>,
    storage_keys: Option<Vec<String>>,
}

/// One configured signing key text (PEM; one text may hold several keys)
/// and the config key it came from, for errors.
#[derive(Debug)]
pub struct SigningKeySource {
    pub key: String,
    pub pem: SecretString,
}

#[derive(Debug, Default)]
pub struct KeysConfig {
    /// In order: the first key of each algorithm signs, all are published.
    pub signing_keys: Vec<SigningKeySource>,
    pub pairwise_secret: Option<SecretString>,
    /// `"id:base64(32 bytes)"` entries; the first seals new records.
    pub storage_keys: Vec<SecretString>,
}

pub(super) fn validate(
    raw: RawKeys,
    store: &StoreConfig,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<KeysConfig, ConfigError> {
    let signing_keys = signing_keys(&raw, env)?;
    let storage_keys: Vec<SecretString> = match env("CLAIMGATE_STORAGE_KEYS").filter(|v| !v.is_empty()) {
        Some(list) => list.split(',').map(|k| SecretString::from(k.trim().to_owned())).collect(),
        None => raw.storage_keys.unwrap_or_default().into_iter().map(SecretString::from).collect(),
    };
    let keys = KeysConfig {
        signing_keys,
        pairwise_secret: secret(raw.pairwise_secret, "keys.pairwise_secret", "CLAIMGATE_PAIRWISE_SECRET", env)?,
        storage_keys,
    };
    if store.is_shared() {
        // Generated keys would differ per instance: tokens, subjects and
        // records would not be readable across them.
        let missing = [
            ("keys.signing_keys", keys.signing_keys.is_empty()),
            ("keys.pairwise_secret", keys.pairwise_secret.is_none()),
            ("keys.storage_keys", keys.storage_keys.is_empty()),
        ];
        if let Some((key, _)) = missing.iter().find(|(_, m)| *m) {
            return Err(invalid(*key, "required with a shared store: every instance must use the same key"));
        }
    }

    Ok(keys)
}

/// The signing keys from exactly one of `signing_key` (or the environment's
/// `CLAIMGATE_SIGNING_KEY`), `signing_key_file`, `signing_keys` and
/// `signing_key_files`.
fn signing_keys(raw: &RawKeys, env: &impl Fn(&str) -> Option<String>) -> Result<Vec<SigningKeySource>, ConfigError> {
    let single = secret(raw.signing_key.clone(), "keys.signing_key", "CLAIMGATE_SIGNING_KEY", env)?;
    let given: Vec<&str> = [
        ("keys.signing_key", single.is_some()),
        ("keys.signing_key_file", raw.signing_key_file.is_some()),
        ("keys.signing_keys", raw.signing_keys.is_some()),
        ("keys.signing_key_files", raw.signing_key_files.is_some()),
    ]
    .into_iter()
    .filter_map(|(k, set)| set.then_some(k))
    .collect();
    if let [_, second, ..] = given.as_slice() {
        return Err(invalid(*second, format!("give only one of {}", given.join(", "))));
    }
    let read = |key: String, file: &str| -> Result<SigningKeySource, ConfigError> {
        let pem = std::fs::read_to_string(file).map_err(|e| invalid(&key, format!("{file}: {e}")))?;
        Ok(SigningKeySource { key, pem: SecretString::from(pem) })
    };
    let sources = if let Some(pem) = single {
        vec![SigningKeySource { key: "keys.signing_key".into(), pem }]
    } else if let Some(file) = &raw.signing_key_file {
        vec![read("keys.signing_key_file".into(), file)?]
    } else if let Some(list) = &raw.signing_keys {
        let key = |i| format!("keys.signing_keys[{i}]");
        list.iter()
            .enumerate()
            .map(|(i, pem)| SigningKeySource { key: key(i), pem: SecretString::from(pem.clone()) })
            .collect()
    } else if let Some(files) = &raw.signing_key_files {
        files
            .iter()
            .enumerate()
            .map(|(i, f)| read(format!("keys.signing_key_files[{i}]"), f))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    if raw.signing_keys.as_ref().or(raw.signing_key_files.as_ref()).is_some_and(Vec::is_empty) {
        return Err(invalid(given.first().copied().unwrap_or("keys.signing_keys"), "the list is empty"));
    }
    Ok(sources)
}

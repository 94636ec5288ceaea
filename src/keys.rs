//! claimgate's own keys: the ID-token signing key (and its JWKS) and the
//! pairwise secret. From config or the environment; where absent, a single
//! instance generates them and says so in its log.

use crate::config::{ConfigError, KeysConfig};
use crate::policy::Pseudonymizer;
use crate::store::seal::Sealer;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use openidconnect::core::{CoreJsonWebKeySet, CoreRsaPrivateSigningKey};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use rand::RngCore;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

pub struct Keys {
    pub signing: CoreRsaPrivateSigningKey,
    pub jwks: CoreJsonWebKeySet,
    pub kid: String,
    pub pseudonymizer: Pseudonymizer,
    /// Seals every stored record (encryption at rest).
    pub sealer: std::sync::Arc<Sealer>,
    /// Names of keys that were generated because config had none.
    pub generated: Vec<&'static str>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys {{ kid: {}, .. }}", self.kid)
    }
}

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.into(), reason: reason.into() }
}

impl Keys {
    pub fn load(cfg: &KeysConfig) -> Result<Keys, ConfigError> {
        let mut generated = Vec::new();
        let rsa_key = match &cfg.signing_key_pem {
            Some(pem) => {
                let pem = pem.expose_secret().trim();
                RsaPrivateKey::from_pkcs1_pem(pem)
                    .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
                    .map_err(|_| invalid("keys.signing_key", "not an RSA private key in PKCS#1 or PKCS#8 PEM"))?
            }
            None => {
                generated.push("keys.signing_key");
                RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
                    .map_err(|e| invalid("keys.signing_key", format!("cannot generate a key: {e}")))?
            }
        };
        if rsa::traits::PublicKeyParts::size(&rsa_key) < 256 {
            return Err(invalid("keys.signing_key", "RSA keys must have at least 2048 bits"));
        }
        let public_der =
            rsa_key.to_public_key().to_pkcs1_der().map_err(|e| invalid("keys.signing_key", e.to_string()))?;
        let kid: String = URL_SAFE_NO_PAD.encode(Sha256::digest(public_der.as_bytes())).chars().take(16).collect();
        let pem =
            rsa_key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).map_err(|e| invalid("keys.signing_key", e.to_string()))?;
        let signing = CoreRsaPrivateSigningKey::from_pem(&pem, Some(JsonWebKeyId::new(kid.clone())))
            .map_err(|e| invalid("keys.signing_key", e))?;
        let jwks = CoreJsonWebKeySet::new(vec![signing.as_verification_key()]);

        let pairwise = match &cfg.pairwise_secret {
            Some(s) if s.expose_secret().len() < 32 => {
                return Err(invalid("keys.pairwise_secret", "must be at least 32 characters"))
            }
            Some(s) => s.expose_secret().as_bytes().to_vec(),
            None => {
                generated.push("keys.pairwise_secret");
                let mut bytes = vec![0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                bytes
            }
        };
        let sealer = if cfg.storage_keys.is_empty() {
            generated.push("keys.storage_keys");
            Sealer::generate().map_err(|e| invalid("keys.storage_keys", e.to_string()))?
        } else {
            let entries: Vec<String> = cfg.storage_keys.iter().map(|k| k.expose_secret().to_owned()).collect();
            Sealer::from_config(&entries).map_err(|e| invalid("keys.storage_keys", e.to_string()))?
        };
        Ok(Keys {
            signing,
            jwks,
            kid,
            pseudonymizer: Pseudonymizer::new(&pairwise),
            sealer: std::sync::Arc::new(sealer),
            generated,
        })
    }
}

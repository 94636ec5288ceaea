//! claimgate's signing keys: RS256, PS256, ES256 and EdDSA over `aws-lc-rs`
//! (constant-time private-key operations; no signing goes through the pure-Rust
//! `rsa` crate, RUSTSEC-2023-0071), the JWKS that publishes them, and key
//! generation for `claimgate keys generate`.
//!
//! Rotation (`keys.signing_keys`): every configured key is published in
//! `/jwks`; the first key of each algorithm signs. A new key is added after
//! the current one (published, not yet signing), then moved first; the old
//! key stays listed until the last token it signed has expired.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
    RSA_PSS_SHA256,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use openidconnect::core::{CoreJsonCurveType, CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::{JsonWebKeyId, PrivateSigningKey, SigningError};
use pkcs8::der::{Decode, Encode};
use pkcs8::{ObjectIdentifier, PrivateKeyInfo};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;
use sha2::{Digest, Sha256};

/// Each algorithm with its name in an independent JOSE library, for the
/// tests that verify claimgate's JWTs with it.
#[cfg(test)]
pub(crate) const WITH_JOSE: [(SigningAlg, jsonwebtoken::Algorithm); 4] = [
    (SigningAlg::Rs256, jsonwebtoken::Algorithm::RS256),
    (SigningAlg::Ps256, jsonwebtoken::Algorithm::PS256),
    (SigningAlg::Es256, jsonwebtoken::Algorithm::ES256),
    (SigningAlg::EdDsa, jsonwebtoken::Algorithm::EdDSA),
];

/// The JWS algorithms claimgate signs with. RS256 is always available: OIDC
/// Core §3.1.3.7 makes it the default, and OpenID Connect Discovery 1.0 §3
/// requires it in `id_token_signing_alg_values_supported`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SigningAlg {
    Rs256,
    /// RSASSA-PSS with SHA-256 and a 32-byte salt (RFC 7518 §3.5): what the
    /// FAPI 2.0 Security Profile (§5.4.1) allows of RSA.
    Ps256,
    Es256,
    EdDsa,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 4] = [SigningAlg::Rs256, SigningAlg::Ps256, SigningAlg::Es256, SigningAlg::EdDsa];

    /// The JWA name (RFC 7518 §3.1, RFC 8037 §3.1).
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Ps256 => "PS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(name: &str) -> Option<SigningAlg> {
        SigningAlg::ALL.into_iter().find(|a| a.as_str() == name)
    }

    pub fn jws(self) -> CoreJwsSigningAlgorithm {
        match self {
            SigningAlg::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            SigningAlg::Ps256 => CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            SigningAlg::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            SigningAlg::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
        }
    }
}

impl std::fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a key was refused. Never carries key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("not a PEM private key (PKCS#8 \"PRIVATE KEY\", PKCS#1 \"RSA PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\")")]
    NotPem,
    #[error("not an RSA (at least 2048 bits), P-256 or Ed25519 private key")]
    Unsupported,
    #[error("an RSA-PSS key restricted by parameters: make it without (`openssl genpkey -algorithm RSA-PSS` or `claimgate keys generate --alg PS256`)")]
    PssParameters,
    #[error("cannot generate a key")]
    Generate,
}

enum Pair {
    Rsa(RsaKeyPair),
    /// An RSA key for PSS only: PKCS#8 with the `id-RSASSA-PSS` algorithm
    /// (RFC 8017 Appendix A.2.3, RFC 4055 §3.1), as `openssl genpkey
    /// -algorithm RSA-PSS` writes it. The key's own encoding says what it
    /// signs with, so one RSA key never signs in two algorithms.
    RsaPss(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// `id-RSASSA-PSS` (RFC 8017 Appendix A.2.3).
const RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");

/// One private signing key with its `kid`, and its public JWK (made once).
pub struct SigningKey {
    pair: Pair,
    kid: String,
    public: CoreJsonWebKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey {{ alg: {}, kid: {} }}", self.alg(), self.kid)
    }
}

impl SigningKey {
    /// Every key in a PEM text, in order (one text may hold several blocks).
    pub fn from_pem(text: &str) -> Result<Vec<SigningKey>, KeyError> {
        let keys: Vec<SigningKey> = PrivateKeyDer::pem_slice_iter(text.as_bytes())
            .map(|der| der.map_err(|_| KeyError::NotPem).and_then(|der| SigningKey::from_der(&der)))
            .collect::<Result<_, _>>()?;
        if keys.is_empty() {
            return Err(KeyError::NotPem);
        }
        Ok(keys)
    }

    fn from_der(der: &PrivateKeyDer<'_>) -> Result<SigningKey, KeyError> {
        let pair = match der {
            PrivateKeyDer::Pkcs1(rsa) => {
                Pair::Rsa(RsaKeyPair::from_der(rsa.secret_pkcs1_der()).map_err(|_| KeyError::Unsupported)?)
            }
            PrivateKeyDer::Sec1(ec) => Pair::Ec(
                EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, ec.secret_sec1_der())
                    .map_err(|_| KeyError::Unsupported)?,
            ),
            PrivateKeyDer::Pkcs8(p8) => {
                let bytes = p8.secret_pkcs8_der();
                if let Some(pss) = rsa_pss(bytes)? {
                    Pair::RsaPss(pss)
                } else if let Ok(rsa) = RsaKeyPair::from_pkcs8(bytes) {
                    Pair::Rsa(rsa)
                } else if let Ok(ec) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, bytes) {
                    Pair::Ec(ec)
                } else {
                    Pair::Ed(Ed25519KeyPair::from_pkcs8(bytes).map_err(|_| KeyError::Unsupported)?)
                }
            }
            _ => return Err(KeyError::Unsupported),
        };
        SigningKey::new(pair)
    }

    fn new(pair: Pair) -> Result<SigningKey, KeyError> {
        // RFC 7518 §3.3, §3.5: RSA keys of 2048 bits or more.
        if let Pair::Rsa(rsa) | Pair::RsaPss(rsa) = &pair {
            if rsa.public_modulus_len() < 256 {
                return Err(KeyError::Unsupported);
            }
        }
        // A stable kid derived from the public key: SHA-256 of its encoding
        // (PKCS#1 RSAPublicKey, SEC1 point, Ed25519 bytes), as published
        // since the first release, so upgrading keeps each key's kid.
        // A PS256 key's kid is also keyed by its algorithm: the same RSA
        // key in both encodings would otherwise publish one kid twice.
        let (prefix, public): (&[u8], &[u8]) = match &pair {
            Pair::Rsa(k) => (b"", k.public_key().as_ref()),
            Pair::RsaPss(k) => (b"PS256:", k.public_key().as_ref()),
            Pair::Ec(k) => (b"", k.public_key().as_ref()),
            Pair::Ed(k) => (b"", k.public_key().as_ref()),
        };
        let digest = Sha256::new().chain_update(prefix).chain_update(public).finalize();
        let kid: String = URL_SAFE_NO_PAD.encode(digest).chars().take(16).collect();
        let public = public_jwk(&pair, &kid);
        Ok(SigningKey { pair, kid, public })
    }

    /// A fresh key for `alg` (RSA: 2048 bits).
    pub fn generate(alg: SigningAlg) -> Result<SigningKey, KeyError> {
        let pair = match alg {
            SigningAlg::Rs256 => Pair::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?),
            SigningAlg::Ps256 => Pair::RsaPss(RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyError::Generate)?),
            SigningAlg::Es256 => {
                Pair::Ec(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).map_err(|_| KeyError::Generate)?)
            }
            SigningAlg::EdDsa => Pair::Ed(Ed25519KeyPair::generate().map_err(|_| KeyError::Generate)?),
        };
        SigningKey::new(pair)
    }

    /// The private key as PKCS#8 PEM ("PRIVATE KEY"), for `claimgate keys generate`.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        let der = match &self.pair {
            Pair::Rsa(k) => k.as_der().map(|d| d.as_ref().to_vec()).map_err(|_| KeyError::Generate)?,
            Pair::RsaPss(k) => as_pss_pkcs8(k.as_der().map_err(|_| KeyError::Generate)?.as_ref())?,
            Pair::Ec(k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()).map_err(|_| KeyError::Generate)?,
            Pair::Ed(k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()).map_err(|_| KeyError::Generate)?,
        };
        pem_rfc7468::encode_string("PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der).map_err(|_| KeyError::Generate)
    }

    pub fn alg(&self) -> SigningAlg {
        match self.pair {
            Pair::Rsa(_) => SigningAlg::Rs256,
            Pair::RsaPss(_) => SigningAlg::Ps256,
            Pair::Ec(_) => SigningAlg::Es256,
            Pair::Ed(_) => SigningAlg::EdDsa,
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A compact JWS (RFC 7515 §7.1) of `claims` with this key, in its
    /// algorithm, with `kid` and the explicit type `typ` (RFC 8725 §3.11:
    /// `logout+jwt`, `secevent+jwt`) in the header.
    pub fn sign_typed_jwt(&self, typ: &str, claims: &serde_json::Value) -> Result<String, SigningError> {
        let header = serde_json::json!({ "alg": self.alg().as_str(), "kid": self.kid(), "typ": typ });
        let part = |v: &serde_json::Value| {
            serde_json::to_vec(v).map(|b| URL_SAFE_NO_PAD.encode(b)).map_err(|e| SigningError::Other(e.to_string()))
        };
        let signing_input = format!("{}.{}", part(&header)?, part(claims)?);
        let signature = self.sign(&self.alg().jws(), signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

impl PrivateSigningKey for SigningKey {
    type VerificationKey = CoreJsonWebKey;

    fn sign(&self, alg: &CoreJwsSigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        // A key signs with its own algorithm only (RFC 7515 §4.1.1 names one per signature).
        if *alg != self.alg().jws() {
            return Err(SigningError::UnsupportedAlg(format!("{alg:?} with a {} key", self.alg())));
        }
        match &self.pair {
            Pair::Rsa(k) => rsa_sign(k, &RSA_PKCS1_SHA256, message),
            // RFC 7518 §3.5: MGF1 with SHA-256, a salt as long as the hash.
            Pair::RsaPss(k) => rsa_sign(k, &RSA_PSS_SHA256, message),
            // Fixed-width R || S, as JWS requires (RFC 7518 §3.4).
            Pair::Ec(k) => k
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| SigningError::CryptoError),
            Pair::Ed(k) => k.try_sign(message).map(|s| s.as_ref().to_vec()).map_err(|_| SigningError::CryptoError),
        }
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        self.public.clone()
    }
}

fn rsa_sign(
    k: &RsaKeyPair,
    padding: &'static dyn aws_lc_rs::signature::RsaEncoding,
    message: &[u8],
) -> Result<Vec<u8>, SigningError> {
    let mut signature = vec![0; k.public_modulus_len()];
    k.sign(padding, &SystemRandom::new(), message, &mut signature).map_err(|_| SigningError::CryptoError)?;
    Ok(signature)
}

/// The public JWK, with `kid` and `alg` (RFC 7517 §4.4: an RSA key names
/// which of RS256 and PS256 it is for).
fn public_jwk(pair: &Pair, kid: &str) -> CoreJsonWebKey {
    let kid = Some(JsonWebKeyId::new(kid.to_owned()));
    let (jwk, alg) = match pair {
        Pair::Rsa(k) | Pair::RsaPss(k) => {
            let parts = PublicKeyComponents::<Vec<u8>>::from(k.public_key());
            let alg = if matches!(pair, Pair::Rsa(_)) { "RS256" } else { "PS256" };
            (CoreJsonWebKey::new_rsa(parts.n, parts.e, kid), alg)
        }
        Pair::Ec(k) => {
            // SEC1 uncompressed point: 0x04 || x || y (32 bytes each for P-256).
            let point = k.public_key().as_ref();
            let (x, y) = point.get(1..).unwrap_or_default().split_at(point.len().saturating_sub(1) / 2);
            (CoreJsonWebKey::new_ec(x.to_vec(), y.to_vec(), CoreJsonCurveType::P256, kid), "ES256")
        }
        Pair::Ed(k) => {
            (CoreJsonWebKey::new_okp(k.public_key().as_ref().to_vec(), CoreJsonCurveType::Ed25519, kid), "EdDSA")
        }
    };
    // `CoreJsonWebKey` has no setter for `alg`: added through its own serde.
    let mut value = serde_json::to_value(&jwk).unwrap_or_default();
    if let Some(members) = value.as_object_mut() {
        members.insert("alg".into(), alg.into());
    }
    serde_json::from_value(value).unwrap_or(jwk)
}

/// A PKCS#8 key whose algorithm is `id-RSASSA-PSS`: its RSA key, or
/// `None` for any other algorithm.
fn rsa_pss(pkcs8: &[u8]) -> Result<Option<RsaKeyPair>, KeyError> {
    let Ok(info) = PrivateKeyInfo::from_der(pkcs8) else { return Ok(None) };
    if info.algorithm.oid != RSASSA_PSS {
        return Ok(None);
    }
    // Parameters would restrict hash and salt; PS256 fixes both itself.
    if info.algorithm.parameters.is_some() {
        return Err(KeyError::PssParameters);
    }
    // The private key is an RSAPrivateKey (RFC 8017 Appendix A.1.2), as for rsaEncryption.
    RsaKeyPair::from_der(info.private_key).map(Some).map_err(|_| KeyError::Unsupported)
}

/// An `rsaEncryption` PKCS#8 key re-labelled `id-RSASSA-PSS` (no parameters).
fn as_pss_pkcs8(rsa_pkcs8: &[u8]) -> Result<Vec<u8>, KeyError> {
    let info = PrivateKeyInfo::from_der(rsa_pkcs8).map_err(|_| KeyError::Generate)?;
    let algorithm = pkcs8::AlgorithmIdentifierRef { oid: RSASSA_PSS, parameters: None };
    PrivateKeyInfo::new(algorithm, info.private_key).to_der().map_err(|_| KeyError::Generate)
}

/// The signing keys in configured order, and the JWKS that publishes all of them.
pub struct SigningKeys {
    keys: Vec<SigningKey>,
    jwks: CoreJsonWebKeySet,
}

impl SigningKeys {
    /// `keys` must hold an RS256 key (see [`SigningAlg`]); the caller checks.
    pub fn new(keys: Vec<SigningKey>) -> SigningKeys {
        let jwks = CoreJsonWebKeySet::new(keys.iter().map(SigningKey::as_verification_key).collect());
        SigningKeys { keys, jwks }
    }

    /// The key that signs with `alg`: the first of that algorithm.
    pub fn signer(&self, alg: SigningAlg) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.alg() == alg)
    }

    /// The algorithms claimgate can sign with, RS256 first.
    pub fn algs(&self) -> Vec<SigningAlg> {
        SigningAlg::ALL.into_iter().filter(|a| self.signer(*a).is_some()).collect()
    }

    pub fn jwks(&self) -> &CoreJsonWebKeySet {
        &self.jwks
    }

    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.keys).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_round_trip_through_pem_with_a_stable_kid() {
        for alg in SigningAlg::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let pem = key.to_pkcs8_pem().unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg}");
            let again = SigningKey::from_pem(&pem).unwrap();
            assert_eq!((again.len(), again[0].alg(), again[0].kid()), (1, alg, key.kid()));
        }
    }

    #[test]
    fn a_key_signs_only_with_its_own_algorithm() {
        let key = SigningKey::generate(SigningAlg::Es256).unwrap();
        assert!(key.sign(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, b"m").is_err());
        assert_eq!(key.sign(&CoreJwsSigningAlgorithm::EcdsaP256Sha256, b"m").unwrap().len(), 64);
    }

    #[test]
    fn keys_written_by_openssl_are_read() {
        for (pem, alg) in [
            (include_str!("../tests/fixtures/keys/rsa-2048-pkcs1.pem"), SigningAlg::Rs256),
            (include_str!("../tests/fixtures/keys/p256-sec1.pem"), SigningAlg::Es256),
            (include_str!("../tests/fixtures/keys/ed25519-pkcs8.pem"), SigningAlg::EdDsa),
            (include_str!("../tests/fixtures/keys/rsa-pss-2048-pkcs8.pem"), SigningAlg::Ps256),
        ] {
            assert_eq!(SigningKey::from_pem(pem).unwrap()[0].alg(), alg);
        }
    }

    #[test]
    fn a_ps256_key_signs_rsa_pss_that_another_library_verifies_and_is_published_as_ps256() {
        let key = SigningKey::generate(SigningAlg::Ps256).unwrap();
        let plain = SigningKey::from_pem(include_str!("../tests/fixtures/keys/rsa-2048-pkcs1.pem")).unwrap();
        assert!(key.sign(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, b"m").is_err(), "a PSS key never signs RS256");
        assert!(plain[0].sign(&CoreJwsSigningAlgorithm::RsaSsaPssSha256, b"m").is_err(), "nor a plain RSA key PS256");
        let jwk = serde_json::to_value(key.as_verification_key()).unwrap();
        assert_eq!((jwk["alg"].as_str(), jwk["kty"].as_str()), (Some("PS256"), Some("RSA")));
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk).unwrap();
        let signature = key.sign(&CoreJwsSigningAlgorithm::RsaSsaPssSha256, b"header.payload").unwrap();
        let signature = URL_SAFE_NO_PAD.encode(signature);
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let ok = jsonwebtoken::crypto::verify(&signature, b"header.payload", &decoding, jsonwebtoken::Algorithm::PS256);
        assert!(ok.unwrap());
    }

    #[test]
    fn an_rsa_pss_key_restricted_by_parameters_is_refused_with_the_reason() {
        let pem = include_str!("../tests/fixtures/keys/rsa-pss-sha256-params.pem");
        assert_eq!(SigningKey::from_pem(pem).unwrap_err(), KeyError::PssParameters);
    }

    #[test]
    fn garbage_and_small_keys_are_refused() {
        let small = include_str!("../tests/fixtures/keys/rsa-1024-pkcs8.pem");
        assert_eq!(SigningKey::from_pem(small).unwrap_err(), KeyError::Unsupported, "RSA below 2048 bits");
        assert_eq!(SigningKey::from_pem("not a key").unwrap_err(), KeyError::NotPem);
        let empty = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert_eq!(SigningKey::from_pem(empty).unwrap_err(), KeyError::Unsupported);
    }

    #[test]
    fn one_text_may_hold_several_keys_and_the_first_of_each_algorithm_signs() {
        let (a, b, c) = (
            SigningKey::generate(SigningAlg::Rs256).unwrap(),
            SigningKey::generate(SigningAlg::EdDsa).unwrap(),
            SigningKey::generate(SigningAlg::Rs256).unwrap(),
        );
        let text = [&a, &b, &c].map(|k| k.to_pkcs8_pem().unwrap()).concat();
        let keys = SigningKeys::new(SigningKey::from_pem(&text).unwrap());
        assert_eq!(keys.jwks().keys().len(), 3);
        assert_eq!(keys.signer(SigningAlg::Rs256).unwrap().kid(), a.kid());
        assert_eq!(keys.algs(), [SigningAlg::Rs256, SigningAlg::EdDsa]);
    }
}

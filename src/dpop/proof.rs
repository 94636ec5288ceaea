//! Checking a DPoP proof JWT (RFC 9449 §4.3), with `jsonwebtoken` for the
//! JWS itself. What needs state (the nonce's validity, `jti` single use)
//! is left to the caller, with the values it needs.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, ThumbprintHash};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

/// The proof algorithms accepted (§4.3 point 5: asymmetric only), as
/// discovery advertises them (`dpop_signing_alg_values_supported`).
pub const ALGORITHMS: [&str; 4] = ["ES256", "EdDSA", "PS256", "RS256"];

/// How old a proof may be (§4.3 point 11, §11.1), and how far ahead of
/// claimgate's clock; a `jti` is remembered for as long as both together.
pub const MAX_AGE_SECS: i64 = 300;
pub const MAX_SKEW_SECS: i64 = 60;

/// A proof larger than this is not parsed (a header carries one public key).
const MAX_PROOF_BYTES: usize = 8 * 1024;

/// JWK members of a private (or symmetric) key (RFC 7518 §6): a proof's
/// `jwk` must have none (§4.3 point 7), nor a client's published key set.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What the request a proof came with must match.
pub struct Expected<'a> {
    /// The request's method (`htm`).
    pub method: &'a str,
    /// The endpoint's URL under claimgate's public URL (`htu`).
    pub url: &'a str,
    pub now: i64,
    /// At a protected resource: the access token presented (`ath`).
    pub access_token: Option<&'a str>,
}

/// A valid proof: the key's thumbprint and what the caller still checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// RFC 7638 SHA-256 thumbprint of the proof's key, base64url: what a
    /// token is bound to (`cnf.jkt`).
    pub jkt: String,
    /// Single use, for [`MAX_AGE_SECS`] + [`MAX_SKEW_SECS`].
    pub jti: String,
    /// The server-provided nonce, if the proof carries one.
    pub nonce: Option<String>,
}

/// Why a proof is refused (`invalid_dpop_proof`); never echoes the proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofError {
    Malformed,
    Type,
    Algorithm,
    Key,
    Signature,
    Claims,
    Method,
    Url,
    Time,
    AccessTokenHash,
}

impl ProofError {
    /// A stable reason code for logs and metrics.
    pub fn reason(self) -> &'static str {
        match self {
            ProofError::Malformed => "malformed",
            ProofError::Type => "typ",
            ProofError::Algorithm => "alg",
            ProofError::Key => "jwk",
            ProofError::Signature => "signature",
            ProofError::Claims => "claims",
            ProofError::Method => "htm",
            ProofError::Url => "htu",
            ProofError::Time => "iat",
            ProofError::AccessTokenHash => "ath",
        }
    }

    /// What the client is told (`error_description`).
    pub fn description(self) -> &'static str {
        match self {
            ProofError::Malformed => "the DPoP proof is not a well-formed JWT",
            ProofError::Type => "the DPoP proof's typ must be dpop+jwt",
            ProofError::Algorithm => "the DPoP proof's alg is not one of ES256, EdDSA, PS256, RS256",
            ProofError::Key => "the DPoP proof's jwk must be a usable public key",
            ProofError::Signature => "the DPoP proof's signature does not verify with its jwk",
            ProofError::Claims => "the DPoP proof lacks jti, htm, htu or iat",
            ProofError::Method => "the DPoP proof's htm does not match the request's method",
            ProofError::Url => "the DPoP proof's htu does not match the request's URL",
            ProofError::Time => "the DPoP proof's iat is too old or in the future",
            ProofError::AccessTokenHash => "the DPoP proof's ath does not match the access token",
        }
    }
}

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.description())
    }
}

impl std::error::Error for ProofError {}

#[derive(Deserialize)]
struct Claims {
    jti: String,
    htm: String,
    htu: String,
    iat: i64,
    ath: Option<String>,
    nonce: Option<String>,
}

/// The `ath` of an access token (§4.2): base64url(SHA-256(token)).
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

/// Checks `proof` (the `DPoP` header's value) against the request, per RFC
/// 9449 §4.3 points 2 to 9, 11 and 12; point 10 (the nonce) and the `jti`'s
/// single use are the caller's, with the returned [`Proof`].
pub fn validate(proof: &str, expected: &Expected<'_>) -> Result<Proof, ProofError> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err(ProofError::Malformed);
    }
    // Points 2–4: a JWT whose header names typ, alg and jwk.
    let header = decode_header(proof).map_err(|_| ProofError::Malformed)?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(ProofError::Type);
    }
    // Point 5: an asymmetric algorithm from the list (never none, never HMAC).
    let alg = match header.alg {
        Algorithm::ES256 => "ES256",
        Algorithm::EdDSA => "EdDSA",
        Algorithm::PS256 => "PS256",
        Algorithm::RS256 => "RS256",
        _ => return Err(ProofError::Algorithm),
    };
    debug_assert!(ALGORITHMS.contains(&alg));
    let jwk = header.jwk.ok_or(ProofError::Key)?;
    // Point 7: a public key only. `Jwk` drops members it does not know, so
    // the raw header is read for private ones.
    if has_private_members(proof) || matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return Err(ProofError::Key);
    }
    // Point 6: the signature, with that key, in that algorithm (a key of
    // another family than the algorithm's is refused by jsonwebtoken).
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| ProofError::Key)?;
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = decode::<Claims>(proof, &key, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => ProofError::Signature,
            jsonwebtoken::errors::ErrorKind::Json(_) => ProofError::Claims,
            _ => ProofError::Key,
        })?
        .claims;
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return Err(ProofError::Claims);
    }
    // Point 8: the method, exactly.
    if claims.htm != expected.method {
        return Err(ProofError::Method);
    }
    // Point 9: the URL without query and fragment, compared after RFC 3986
    // §6.2.2–6.2.3 normalisation (which `Url` applies).
    if !same_url(&claims.htu, expected.url) {
        return Err(ProofError::Url);
    }
    // Point 11: recent enough, and not from the future beyond clock skew.
    if claims.iat < expected.now - MAX_AGE_SECS || claims.iat > expected.now + MAX_SKEW_SECS {
        return Err(ProofError::Time);
    }
    // Point 12: at a protected resource, bound to the token presented.
    if let Some(token) = expected.access_token {
        use subtle::ConstantTimeEq;
        let given = claims.ath.as_deref().unwrap_or("");
        if !bool::from(given.as_bytes().ct_eq(ath(token).as_bytes())) {
            return Err(ProofError::AccessTokenHash);
        }
    }
    let jkt = thumbprint(&jwk)?;
    Ok(Proof { jkt, jti: claims.jti, nonce: claims.nonce })
}

/// RFC 7638 §3 with SHA-256, base64url.
fn thumbprint(jwk: &Jwk) -> Result<String, ProofError> {
    jwk.thumbprint(ThumbprintHash::SHA256).map_err(|_| ProofError::Key)
}

fn has_private_members(proof: &str) -> bool {
    let Some(encoded) = proof.split('.').next() else { return true };
    let Ok(json) = URL_SAFE_NO_PAD.decode(encoded) else { return true };
    let Ok(header) = serde_json::from_slice::<serde_json::Value>(&json) else { return true };
    let Some(jwk) = header.get("jwk").and_then(|j| j.as_object()) else { return true };
    is_private_jwk(jwk)
}

/// Whether a JWK (as JSON) carries a private or symmetric key's members.
pub fn is_private_jwk(jwk: &serde_json::Map<String, serde_json::Value>) -> bool {
    PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m))
}

fn same_url(given: &str, expected: &str) -> bool {
    let (Ok(mut given), Ok(mut expected)) = (Url::parse(given), Url::parse(expected)) else { return false };
    for u in [&mut given, &mut expected] {
        u.set_query(None);
        u.set_fragment(None);
    }
    given == expected
}

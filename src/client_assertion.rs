//! Judging a client's `private_key_jwt` assertion (RFC 7523 §2.2 and §3,
//! OpenID Connect Core §9), with `jsonwebtoken` for the JWS itself. What
//! needs state (finding the client's key, the `jti`'s single use) is the
//! caller's, with the values this returns.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// RFC 7523 §2.2: the one `client_assertion_type` of a JWT assertion.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The algorithms an assertion may be signed with, as discovery advertises
/// them (`token_endpoint_auth_signing_alg_values_supported`): asymmetric
/// only (never `none`, never HMAC: claimgate keeps no client secret for it).
pub const ALGORITHMS: [&str; 4] = ["PS256", "ES256", "EdDSA", "RS256"];

/// FAPI 2.0 Security Profile §5.4.1: PS256, ES256 or EdDSA (Ed25519); not RS256.
pub const FAPI2_ALGORITHMS: [&str; 3] = ["PS256", "ES256", "EdDSA"];

/// How far ahead `exp` may be: an assertion is made for one request.
pub const MAX_LIFETIME_SECS: i64 = 300;
/// Clock skew accepted for `iat` and `nbf` (FAPI 2.0 Security Profile
/// §5.3.2.1: at least 10 s into the future must be accepted).
pub const MAX_SKEW_SECS: i64 = 10;

/// An assertion larger than this is not parsed.
const MAX_ASSERTION_BYTES: usize = 8 * 1024;

/// What the request an assertion came with must match.
pub struct Expected<'a> {
    /// The client the assertion names (`iss` = `sub`).
    pub client_id: &'a str,
    /// The values `aud` may hold: claimgate's issuer, and for a client not
    /// under FAPI 2.0 also the endpoint's URL.
    pub audiences: &'a [&'a str],
    /// FAPI 2.0 Security Profile §5.3.2.1: `aud` only the issuer, as a
    /// string (the audience-injection attack of 2025 relies on arrays and
    /// endpoint URLs).
    pub audience_as_string: bool,
    /// The algorithms accepted for this client.
    pub algorithms: &'a [&'a str],
    pub now: i64,
}

/// The assertion's header and unverified subject: which client, and which
/// of its keys, the caller looks up before [`validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub alg: String,
    pub kid: Option<String>,
    /// `sub`, unverified: the client the assertion claims to authenticate.
    pub client_id: String,
}

/// A valid assertion: what the caller still checks (`jti` single use
/// until `exp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid {
    pub jti: String,
    pub exp: i64,
}

/// Why an assertion is refused (`invalid_client`); never echoes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("the client assertion is not a well-formed JWT")]
    Malformed,
    #[error("the client assertion's alg is not accepted for this client")]
    Algorithm,
    #[error("no key of this client verifies the assertion (kid)")]
    Key,
    #[error("the client assertion's signature does not verify")]
    Signature,
    #[error("the client assertion's iss and sub must both be the client id")]
    Subject,
    #[error("the client assertion's aud is not claimgate's issuer")]
    Audience,
    #[error("the client assertion has expired, lives too long, or is not yet valid")]
    Time,
    #[error("the client assertion needs a jti")]
    Identifier,
}

impl AssertionError {
    /// A stable reason code for logs and metrics.
    pub fn reason(self) -> &'static str {
        match self {
            AssertionError::Malformed => "assertion_malformed",
            AssertionError::Algorithm => "assertion_alg",
            AssertionError::Key => "assertion_kid",
            AssertionError::Signature => "assertion_signature",
            AssertionError::Subject => "assertion_iss_sub",
            AssertionError::Audience => "assertion_aud",
            AssertionError::Time => "assertion_time",
            AssertionError::Identifier => "assertion_jti",
        }
    }
}

/// Why a client's JWK Set (`jwks`, or what its `jwks_uri` serves) is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    #[error("not a JWK Set ({{\"keys\": [...]}}): {0}")]
    NotASet(String),
    #[error("the set holds no key")]
    Empty,
    #[error("keys[{0}] is a private or symmetric key: publish the public key only")]
    Private(usize),
    #[error("keys[{0}] is not a public signing key for PS256, ES256 (P-256), EdDSA (Ed25519) or RS256")]
    Unusable(usize),
    #[error("keys[{0}] repeats the kid of another key")]
    DuplicateKid(usize),
}

/// A client's public keys from JSON text: public signing keys only, each
/// kid once.
pub fn parse_key_set(json: &[u8]) -> Result<JwkSet, KeySetError> {
    let value: serde_json::Value = serde_json::from_slice(json).map_err(|e| KeySetError::NotASet(e.to_string()))?;
    let raw = value.get("keys").and_then(|k| k.as_array()).ok_or_else(|| KeySetError::NotASet("no keys".into()))?;
    // RFC 7517 §9.2: the public keys only (the members DPoP refuses too).
    if let Some(i) = raw.iter().position(|k| k.as_object().is_some_and(crate::dpop::is_private_jwk)) {
        return Err(KeySetError::Private(i));
    }
    let set: JwkSet = serde_json::from_value(value).map_err(|e| KeySetError::NotASet(e.to_string()))?;
    if set.keys.is_empty() {
        return Err(KeySetError::Empty);
    }
    let mut kids = std::collections::HashSet::new();
    for (i, key) in set.keys.iter().enumerate() {
        if !ALGORITHMS.iter().any(|a| key_fits(key, a)) || DecodingKey::from_jwk(key).is_err() {
            return Err(KeySetError::Unusable(i));
        }
        if key.common.key_id.as_ref().is_some_and(|kid| !kids.insert(kid.clone())) {
            return Err(KeySetError::DuplicateKid(i));
        }
    }
    Ok(set)
}

/// The key of `set` an assertion in `alg` names: the one with its `kid`,
/// or without a `kid`, the set's only key that fits `alg`.
pub fn find_key<'a>(set: &'a JwkSet, kid: Option<&str>, alg: &str) -> Option<&'a Jwk> {
    let mut fitting = set.keys.iter().filter(|k| key_fits(k, alg));
    match kid {
        Some(kid) => fitting.find(|k| k.common.key_id.as_deref() == Some(kid)),
        None => fitting.next().filter(|_| fitting.next().is_none()),
    }
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Unverified {
    sub: Option<String>,
}

/// `aud`: one string or an array of them (RFC 7519 §4.1.3).
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    jti: Option<String>,
}

fn part(assertion: &str, index: usize) -> Result<Vec<u8>, AssertionError> {
    let encoded = assertion.split('.').nth(index).ok_or(AssertionError::Malformed)?;
    URL_SAFE_NO_PAD.decode(encoded).map_err(|_| AssertionError::Malformed)
}

/// The header's `alg` and `kid` and the claimed `sub`, read without
/// verifying anything: only to find the client and its key.
pub fn claimed(assertion: &str) -> Result<Claimed, AssertionError> {
    if assertion.len() > MAX_ASSERTION_BYTES || assertion.split('.').count() != 3 {
        return Err(AssertionError::Malformed);
    }
    let header: RawHeader = serde_json::from_slice(&part(assertion, 0)?).map_err(|_| AssertionError::Malformed)?;
    let body: Unverified = serde_json::from_slice(&part(assertion, 1)?).map_err(|_| AssertionError::Malformed)?;
    let client_id = body.sub.ok_or(AssertionError::Subject)?;
    Ok(Claimed { alg: header.alg, kid: header.kid, client_id })
}

/// Whether `key` may verify an assertion in `alg`: of the algorithm's key
/// type, for signing, and, where the key names an algorithm, that one
/// (RFC 7517 §4.2, §4.4).
pub fn key_fits(key: &Jwk, alg: &str) -> bool {
    let Ok(alg) = alg.parse::<Algorithm>() else { return false };
    let kty_fits = match (&key.algorithm, alg) {
        (AlgorithmParameters::RSA(_), Algorithm::RS256 | Algorithm::PS256) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => ec.curve == EllipticCurve::P256,
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => okp.curve == EllipticCurve::Ed25519,
        _ => false,
    };
    let use_fits = !matches!(key.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature);
    let alg_fits = key.common.key_algorithm.is_none_or(|k| KeyAlgorithm::from(alg) == k);
    kty_fits && use_fits && alg_fits
}

/// Checks `assertion`, read by [`claimed`], with the client's `key` found from it:
/// RFC 7523 §3 points 1–7 and OIDC Core §9; the `jti`'s single use is the
/// caller's, with the returned [`Valid`].
pub fn validate(
    assertion: &str,
    claimed: &Claimed,
    key: &Jwk,
    expected: &Expected<'_>,
) -> Result<Valid, AssertionError> {
    if !expected.algorithms.contains(&claimed.alg.as_str()) {
        return Err(AssertionError::Algorithm);
    }
    let alg = claimed.alg.parse::<Algorithm>().map_err(|_| AssertionError::Algorithm)?;
    if !key_fits(key, &claimed.alg) {
        return Err(AssertionError::Key);
    }
    let decoding = DecodingKey::from_jwk(key).map_err(|_| AssertionError::Key)?;
    // The claims are checked below, each with its own reason.
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = decode::<Claims>(assertion, &decoding, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => AssertionError::Signature,
            jsonwebtoken::errors::ErrorKind::Json(_) => AssertionError::Malformed,
            _ => AssertionError::Key,
        })?
        .claims;
    // RFC 7523 §3 points 1–2, OIDC Core §9: iss and sub are the client id.
    let is_client = |v: &Option<String>| v.as_deref() == Some(expected.client_id);
    if !is_client(&claims.iss) || !is_client(&claims.sub) {
        return Err(AssertionError::Subject);
    }
    // Point 3: claimgate is the audience.
    let audience_ok = match &claims.aud {
        Some(Audience::One(a)) => expected.audiences.contains(&a.as_str()),
        Some(Audience::Many(list)) if !expected.audience_as_string => {
            list.iter().any(|a| expected.audiences.contains(&a.as_str()))
        }
        _ => false,
    };
    if !audience_ok {
        return Err(AssertionError::Audience);
    }
    // Point 4: `exp` present and not passed; and an assertion made for
    // this request, not one to keep (at most MAX_LIFETIME_SECS ahead).
    let now = expected.now;
    let exp = claims.exp.ok_or(AssertionError::Time)?;
    if exp <= now || exp > now + MAX_LIFETIME_SECS + MAX_SKEW_SECS {
        return Err(AssertionError::Time);
    }
    // Points 5–6: not before `nbf`, not issued in the future (clock skew aside).
    if claims.iat.is_some_and(|iat| iat > now + MAX_SKEW_SECS) || claims.nbf.is_some_and(|n| n > now + MAX_SKEW_SECS) {
        return Err(AssertionError::Time);
    }
    // Point 7 and OIDC Core §9 (REQUIRED): a jti, spent once by the caller.
    let jti = claims.jti.filter(|j| !j.is_empty() && j.len() <= 256).ok_or(AssertionError::Identifier)?;
    Ok(Valid { jti, exp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde_json::json;

    const ISSUER: &str = "https://login.example";

    /// [`claimed`], then [`validate`], as the caller does.
    fn check(assertion: &str, key: &Jwk, expected: &Expected<'_>) -> Result<Valid, AssertionError> {
        validate(assertion, &claimed(assertion)?, key, expected)
    }

    fn es256() -> (EncodingKey, Jwk) {
        let key = crate::signing::SigningKey::generate(crate::signing::SigningAlg::Es256).unwrap();
        let pem = key.to_pkcs8_pem().unwrap();
        let public = serde_json::to_value(openidconnect::PrivateSigningKey::as_verification_key(&key)).unwrap();
        (EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(), serde_json::from_value(public).unwrap())
    }

    fn expected(now: i64) -> Expected<'static> {
        Expected {
            client_id: "app",
            audiences: &[ISSUER, "https://login.example/token"],
            audience_as_string: false,
            algorithms: &ALGORITHMS,
            now,
        }
    }

    fn sign(key: &EncodingKey, claims: serde_json::Value) -> String {
        encode(&Header::new(Algorithm::ES256), &claims, key).unwrap()
    }

    #[test]
    fn each_rule_refuses_its_hostile_case() {
        let (key, jwk) = es256();
        let now = 1_000_000;
        let good = json!({"iss": "app", "sub": "app", "aud": ISSUER, "exp": now + 60, "iat": now, "jti": "j1"});
        let with = |k: &str, v: serde_json::Value| {
            let mut c = good.clone();
            c[k] = v;
            sign(&key, c)
        };
        assert_eq!(check(&sign(&key, good.clone()), &jwk, &expected(now)).unwrap().jti, "j1");
        let cases = [
            (with("aud", json!("https://elsewhere.example")), AssertionError::Audience),
            (with("iss", json!("other-app")), AssertionError::Subject),
            (with("exp", json!(now - 1)), AssertionError::Time),
            (with("exp", json!(now + 3600)), AssertionError::Time),
            (with("iat", json!(now + 11)), AssertionError::Time),
            (with("jti", json!("")), AssertionError::Identifier),
        ];
        for (assertion, error) in cases {
            assert_eq!(check(&assertion, &jwk, &expected(now)), Err(error));
        }
        assert!(check(&with("iat", json!(now + 10)), &jwk, &expected(now)).is_ok(), "10 s of skew");
        let array = with("aud", json!([ISSUER]));
        assert!(check(&array, &jwk, &expected(now)).is_ok());
        let fapi = Expected { audiences: &[ISSUER], audience_as_string: true, ..expected(now) };
        assert_eq!(check(&array, &jwk, &fapi), Err(AssertionError::Audience), "FAPI 2.0: a string only");
        let endpoint = with("aud", json!("https://login.example/token"));
        assert_eq!(check(&endpoint, &jwk, &fapi), Err(AssertionError::Audience));
        let (_, other) = es256();
        assert_eq!(check(&sign(&key, good.clone()), &other, &expected(now)), Err(AssertionError::Signature));
    }

    #[test]
    fn none_and_hmac_are_refused_before_any_key_is_used() {
        let (_, jwk) = es256();
        let body = URL_SAFE_NO_PAD
            .encode(r#"{"iss":"app","sub":"app","aud":"https://login.example","exp":9999999999,"jti":"x"}"#);
        let none = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
        assert_eq!(check(&none, &jwk, &expected(0)), Err(AssertionError::Algorithm));
        let hs =
            encode(&Header::new(Algorithm::HS256), &json!({"sub": "app"}), &EncodingKey::from_secret(b"s")).unwrap();
        assert_eq!(check(&hs, &jwk, &expected(0)), Err(AssertionError::Algorithm));
        assert_eq!(claimed(&hs).unwrap().client_id, "app");
    }
}

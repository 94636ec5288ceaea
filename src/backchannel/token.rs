//! The logout token (OpenID Connect Back-Channel Logout 1.0 §2.4): a JWT
//! signed like the client's ID tokens, carrying `sub` and `sid`, the
//! back-channel logout event, and never a `nonce`.

use crate::signing::SigningKey;
use serde_json::json;

/// §2.4: the `events` member's key.
pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How long a logout token is valid: enough for one delivery attempt.
const VALIDITY_SECS: i64 = 120;

/// What one logout token says.
pub struct LogoutClaims<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The client's pairwise subject and session id.
    pub sub: &'a str,
    pub sid: &'a str,
    /// Unique per logout, the same on every retry (receivers deduplicate by it).
    pub jti: &'a str,
    pub now: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("logout token signing failed")]
pub struct LogoutTokenError;

/// The compact JWS of a logout token, signed with `key` in its algorithm;
/// `typ` is `logout+jwt` (§2.4, to tell it from an ID token).
pub fn logout_token(key: &SigningKey, c: &LogoutClaims) -> Result<String, LogoutTokenError> {
    let claims = json!({
        "iss": c.issuer,
        "aud": c.client_id,
        "iat": c.now,
        "exp": c.now + VALIDITY_SECS,
        "jti": c.jti,
        "sub": c.sub,
        "sid": c.sid,
        "events": { LOGOUT_EVENT: {} },
    });
    key.sign_typed_jwt("logout+jwt", &claims).map_err(|_| LogoutTokenError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openidconnect::core::CoreJsonWebKey;
    use openidconnect::PrivateSigningKey;

    /// Verified by an independent JOSE library, in every algorithm.
    #[test]
    fn a_logout_token_verifies_with_jsonwebtoken_and_has_no_nonce() {
        for (alg, jose) in crate::signing::WITH_JOSE {
            let key = SigningKey::generate(alg).unwrap();
            let now = chrono::Utc::now().timestamp();
            let claims =
                LogoutClaims { issuer: "https://login.example", client_id: "app", sub: "s", sid: "x", jti: "j", now };
            let token = logout_token(&key, &claims).unwrap();
            let jwk: CoreJsonWebKey = key.as_verification_key();
            let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(serde_json::to_value(jwk).unwrap()).unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!((header.alg, header.typ.as_deref()), (jose, Some("logout+jwt")));
            let mut v = jsonwebtoken::Validation::new(jose);
            v.set_audience(&["app"]);
            v.set_issuer(&["https://login.example"]);
            let c = jsonwebtoken::decode::<serde_json::Value>(
                &token,
                &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
                &v,
            )
            .unwrap()
            .claims;
            assert_eq!((c["sub"].as_str(), c["sid"].as_str(), c["jti"].as_str()), (Some("s"), Some("x"), Some("j")));
            assert_eq!(c["events"][LOGOUT_EVENT], json!({}));
            assert!(c.get("nonce").is_none(), "§2.4: a logout token never has a nonce");
        }
    }
}

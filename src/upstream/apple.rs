//! What Sign in with Apple does differently from other OpenID Connect
//! providers (the rest is `oidc`): its client secret is an ES256 JWT the
//! relying party signs with its `.p8` key, renewed long before it expires;
//! its callback is a form POST; and the user's name arrives once, in the
//! first authorization's `user` form field, never in the ID token.

use crate::clock::Clock;
use crate::config::AppleSettings;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};

/// How long a client secret is valid. Apple allows up to 180 days; a day
/// is plenty for a value claimgate can remake at any time.
pub const SECRET_LIFETIME_SECS: i64 = 24 * 3600;
/// A secret is remade once it is this old: long before it expires.
pub const SECRET_RENEW_AFTER_SECS: i64 = SECRET_LIFETIME_SECS / 2;

/// The client-secret JWT's claims (Apple's "Creating a client secret").
#[derive(Serialize)]
struct SecretClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Debug, thiserror::Error)]
#[error("the Apple key is not a PKCS#8 P-256 private key")]
pub struct BadKey;

/// Makes and caches Apple's client secret. Never logged: `Debug` is redacted.
pub struct ClientSecretMaker {
    key: EncodingKey,
    key_id: String,
    team_id: String,
    client_id: String,
    audience: String,
    clock: Arc<dyn Clock>,
    /// The current secret and when it was made.
    current: RwLock<Option<(SecretString, i64)>>,
}

impl std::fmt::Debug for ClientSecretMaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClientSecretMaker {{ team_id: {}, key_id: {}, .. }}", self.team_id, self.key_id)
    }
}

impl ClientSecretMaker {
    pub fn new(settings: &AppleSettings, clock: Arc<dyn Clock>) -> Result<Self, BadKey> {
        let der = PrivateKeyDer::from_pem_slice(settings.private_key.expose_secret().as_bytes()).map_err(|_| BadKey)?;
        let PrivateKeyDer::Pkcs8(pkcs8) = der else { return Err(BadKey) };
        Ok(Self {
            key: EncodingKey::from_ec_der(pkcs8.secret_pkcs8_der()),
            key_id: settings.key_id.clone(),
            team_id: settings.team_id.clone(),
            client_id: settings.client_id.clone(),
            audience: settings.issuer.trim_end_matches('/').to_owned(),
            clock,
            current: RwLock::new(None),
        })
    }

    /// The secret to send now: the cached one while it is young enough,
    /// else a new one.
    pub fn secret(&self) -> Option<SecretString> {
        let now = self.clock.now().timestamp();
        if let Some((secret, made)) = &*self.current.read().unwrap_or_else(|e| e.into_inner()) {
            if now - made < SECRET_RENEW_AFTER_SECS {
                return Some(secret.clone());
            }
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let claims = SecretClaims {
            iss: &self.team_id,
            sub: &self.client_id,
            aud: &self.audience,
            iat: now,
            exp: now + SECRET_LIFETIME_SECS,
        };
        let secret = match jsonwebtoken::encode(&header, &claims, &self.key) {
            Ok(jwt) => SecretString::from(jwt),
            Err(e) => {
                tracing::error!(error = %e, "could not sign Apple's client secret");
                return None;
            }
        };
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some((secret.clone(), now));
        Some(secret)
    }
}

/// The first authorization's `user` form field: `{"name": {"firstName":
/// …, "lastName": …}, "email": …}`. Only the name is read: the email is
/// the ID token's.
#[derive(Deserialize)]
struct User {
    name: Option<Name>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Name {
    first_name: Option<String>,
    last_name: Option<String>,
}

/// The name in a `user` field, as one `name` claim ("first last"); `None`
/// when absent or unreadable. Bounded before it is parsed; the filter's
/// value rules judge it like any provider's name.
pub fn name_from_user_field(user: &str) -> Option<String> {
    if user.len() > 4096 {
        return None;
    }
    let name = serde_json::from_str::<User>(user).ok()?.name?;
    let parts: Vec<String> =
        [name.first_name, name.last_name].into_iter().flatten().map(|p| p.trim().to_owned()).collect();
    let joined = parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::signing::{SigningAlg, SigningKey};

    fn settings(pem: String) -> AppleSettings {
        AppleSettings {
            issuer: "https://appleid.apple.com".into(),
            client_id: "com.example.signin".into(),
            team_id: "ABCDE12345".into(),
            key_id: "KEY123ABCD".into(),
            private_key: SecretString::from(pem),
        }
    }

    #[test]
    fn the_client_secret_is_an_es256_jwt_apple_accepts_and_is_renewed_before_it_expires() {
        let key = SigningKey::generate(SigningAlg::Es256).unwrap();
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        let maker = ClientSecretMaker::new(&settings(key.to_pkcs8_pem().unwrap()), clock.clone()).unwrap();
        let first = maker.secret().unwrap();
        let jwk = serde_json::to_value(openidconnect::PrivateSigningKey::as_verification_key(&key)).unwrap();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk).unwrap();
        let mut v = jsonwebtoken::Validation::new(Algorithm::ES256);
        v.set_audience(&["https://appleid.apple.com"]);
        v.set_issuer(&["ABCDE12345"]);
        v.sub = Some("com.example.signin".into());
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let data = jsonwebtoken::decode::<serde_json::Value>(first.expose_secret(), &decoding, &v).unwrap();
        assert_eq!(data.header.kid.as_deref(), Some("KEY123ABCD"));
        let (iat, exp) = (data.claims["iat"].as_i64().unwrap(), data.claims["exp"].as_i64().unwrap());
        assert!(exp - iat <= 180 * 24 * 3600 && exp > iat);
        assert_eq!(maker.secret().unwrap().expose_secret(), first.expose_secret(), "cached");
        clock.advance(chrono::Duration::seconds(SECRET_RENEW_AFTER_SECS));
        assert_ne!(maker.secret().unwrap().expose_secret(), first.expose_secret(), "renewed well before exp");
        assert!(!format!("{maker:?}").contains(first.expose_secret()));
    }

    #[test]
    fn the_name_comes_from_the_user_field_when_it_is_there() {
        let user = r#"{"name":{"firstName":"Jane","lastName":"Doe"},"email":"x@privaterelay.appleid.com"}"#;
        assert_eq!(name_from_user_field(user).as_deref(), Some("Jane Doe"));
        assert_eq!(name_from_user_field(r#"{"name":{"firstName":"Jane"}}"#).as_deref(), Some("Jane"));
        assert_eq!(name_from_user_field(r#"{"email":"x@example.com"}"#), None);
        assert_eq!(name_from_user_field("not json"), None);
        assert_eq!(name_from_user_field(&"x".repeat(5000)), None);
    }
}

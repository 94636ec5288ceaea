//! The app back-end's side: the token endpoint, revocation, userinfo, ID
//! token verification against claimgate's JWKS, and a full login.

use super::{pkce_pair, Client, Resp, TestApp};

/// The form of an authorization-code token request with PKCE (RFC 6749
/// §4.1.3, RFC 7636 §4.5), without client authentication.
pub fn code_form<'a>(client: &Client, code: &'a str, verifier: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", client.redirect_uri),
        ("code_verifier", verifier),
    ]
}
use serde_json::Value;

impl TestApp {
    /// The app's backend calls `/token` with `client_secret_basic`.
    pub async fn redeem(&self, client: &Client, code: &str, extra: &[(&str, &str)]) -> Resp {
        let mut form =
            vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", client.redirect_uri)];
        form.extend_from_slice(extra);
        let mut req = self.backend.post(format!("{}/token", self.base)).form(&form);
        if let Some(secret) = client.secret {
            req = req.basic_auth(client.id, Some(secret));
        } else {
            form.push(("client_id", client.id));
            req = self.backend.post(format!("{}/token", self.base)).form(&form);
        }
        self.record(req.send().await.unwrap()).await
    }

    pub async fn token_raw(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Resp {
        let mut req = self.backend.post(format!("{}/token", self.base)).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        self.record(req.send().await.unwrap()).await
    }

    /// The app's back end POSTs `form` to `path`, with HTTP Basic where given.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Resp {
        let mut req = self.backend.post(format!("{}{path}", self.base)).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        self.record(req.send().await.unwrap()).await
    }

    /// The app's backend refreshes (RFC 6749 §6) with `client_secret_basic`.
    pub async fn refresh(&self, client: &Client, refresh_token: &str, extra: &[(&str, &str)]) -> Resp {
        let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh_token)];
        form.extend_from_slice(extra);
        self.token_raw(&form, client.secret.map(|s| (client.id, s))).await
    }

    /// The app backend calls `/introspect` (RFC 7662), authenticated as
    /// `client` (client_secret_basic, or only its id for a public client).
    pub async fn introspect(&self, client: &Client, token: &str) -> Resp {
        let url = format!("{}/introspect", self.base);
        let req = match client.secret {
            Some(secret) => self.backend.post(url).form(&[("token", token)]).basic_auth(client.id, Some(secret)),
            None => self.backend.post(url).form(&[("token", token), ("client_id", client.id)]),
        };
        self.record(req.send().await.unwrap()).await
    }

    /// The app backend calls `/revoke`.
    pub async fn revoke(&self, client: &Client, token: &str) -> Resp {
        let req = self.backend.post(format!("{}/revoke", self.base)).form(&[("token", token)]);
        self.record(req.basic_auth(client.id, client.secret).send().await.unwrap()).await
    }

    pub async fn userinfo(&self, access_token: &str) -> Resp {
        let req = self.backend.get(format!("{}/userinfo", self.base)).bearer_auth(access_token);
        self.record(req.send().await.unwrap()).await
    }

    /// A complete login and token redemption for `client`; returns the token response.
    pub async fn full_login(&self, client: &Client, scope: &str) -> Value {
        let (verifier, challenge) = pkce_pair();
        let end = self.login(client, scope, &[("code_challenge", &challenge), ("code_challenge_method", "S256")]).await;
        let r = self.redeem(client, &end.code(), &[("code_verifier", &verifier)]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    /// Verifies an RS256 ID token against claimgate's JWKS and returns its claims.
    pub async fn verify_id_token(&self, id_token: &str, audience: &str) -> Value {
        self.verify_id_token_with(id_token, audience, jsonwebtoken::Algorithm::RS256).await
    }

    /// Verifies an ID token signed with `alg` against claimgate's JWKS, with
    /// an independent JOSE library (`jsonwebtoken`), and returns its claims.
    pub async fn verify_id_token_with(&self, id_token: &str, audience: &str, alg: jsonwebtoken::Algorithm) -> Value {
        let jwks: jsonwebtoken::jwk::JwkSet = self.browse("/jwks").await.json().pipe(serde_json::from_value).unwrap();
        verify_with_jwks(id_token, &jwks, &self.public_url, audience, alg).expect("valid ID token")
    }

    /// Every stored key and value, as text.
    pub async fn store_dump(&self) -> String {
        self.store.dump().await.into_iter().map(|(k, v)| format!("{k} {}\n", String::from_utf8_lossy(&v))).collect()
    }
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

/// Verifies a JWT's signature against `jwks` (by its `kid`) with
/// `jsonwebtoken`, and its `iss`, `aud` and `exp`.
pub fn verify_with_jwks(
    jwt: &str,
    jwks: &jsonwebtoken::jwk::JwkSet,
    issuer: &str,
    audience: &str,
    alg: jsonwebtoken::Algorithm,
) -> Result<Value, String> {
    let header = jsonwebtoken::decode_header(jwt).map_err(|e| e.to_string())?;
    if header.alg != alg {
        return Err(format!("signed with {:?}, not {alg:?}", header.alg));
    }
    let kid = header.kid.ok_or("no kid")?;
    let jwk = jwks.find(&kid).ok_or_else(|| format!("kid {kid} is not in the JWKS"))?;
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[issuer]);
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    jsonwebtoken::decode::<Value>(jwt, &key, &validation).map(|t| t.claims).map_err(|e| e.to_string())
}

//! The app back-end's side: the token endpoint, revocation, userinfo, ID
//! token verification against claimgate's JWKS, and a full login.

use super::{pkce_pair, Client, Resp, TestApp};
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

    /// Verifies an ID token against claimgate's JWKS and returns its claims.
    pub async fn verify_id_token(&self, id_token: &str, audience: &str) -> Value {
        let jwks: jsonwebtoken::jwk::JwkSet = self.browse("/jwks").await.json().pipe(serde_json::from_value).unwrap();
        let header = jsonwebtoken::decode_header(id_token).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
        let jwk = jwks.find(header.kid.as_deref().unwrap()).expect("kid in JWKS");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[&self.public_url]);
        jsonwebtoken::decode::<Value>(id_token, &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .expect("valid ID token")
            .claims
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

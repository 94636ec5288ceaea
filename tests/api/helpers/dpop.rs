//! The app's DPoP key (RFC 9449): proofs built as an app would, with an
//! independent JOSE library (`jsonwebtoken`) signing them, and the key's
//! thumbprint computed here from RFC 7638 §3 itself.

use super::{Resp, TestApp};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// An ES256 key an app holds for DPoP.
pub struct DpopKey {
    signing: EncodingKey,
    /// The public key as a JWK (EC P-256).
    pub jwk: Value,
}

/// What a proof claims; tests change one field to break one rule.
pub struct ProofClaims {
    pub htm: String,
    pub htu: String,
    pub iat: i64,
    pub jti: String,
    pub nonce: Option<String>,
    pub ath: Option<String>,
}

impl DpopKey {
    pub fn new() -> Self {
        let pair = rcgen::KeyPair::generate().unwrap();
        let raw = pair.public_key_raw();
        assert_eq!((raw.len(), raw[0]), (65, 4), "an uncompressed P-256 point");
        let jwk = json!({
            "kty": "EC", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&raw[1..33]), "y": URL_SAFE_NO_PAD.encode(&raw[33..]),
        });
        DpopKey { signing: EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap(), jwk }
    }

    /// RFC 7638 §3.2: the required members in lexicographic order, no
    /// whitespace; SHA-256; base64url.
    pub fn thumbprint(&self) -> String {
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            self.jwk["x"].as_str().unwrap(),
            self.jwk["y"].as_str().unwrap()
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// Claims for a request to `url` with `method`, now, fresh `jti`.
    pub fn claims(method: &str, url: &str, nonce: Option<&str>) -> ProofClaims {
        ProofClaims {
            htm: method.into(),
            htu: url.into(),
            iat: chrono::Utc::now().timestamp(),
            jti: claimgate::store::records::random_handle(),
            nonce: nonce.map(str::to_owned),
            ath: None,
        }
    }

    /// A proof with these claims, under the standard header.
    pub fn proof(&self, c: &ProofClaims) -> String {
        self.proof_with_header(c, json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk }))
    }

    /// A proof under `header` as given, signed with this key.
    pub fn proof_with_header(&self, c: &ProofClaims, header: Value) -> String {
        let mut payload = json!({ "htm": c.htm, "htu": c.htu, "iat": c.iat, "jti": c.jti });
        if let Some(n) = &c.nonce {
            payload["nonce"] = n.clone().into();
        }
        if let Some(a) = &c.ath {
            payload["ath"] = a.clone().into();
        }
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(payload.to_string()));
        let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &self.signing, Algorithm::ES256).unwrap();
        format!("{input}.{signature}")
    }
}

/// `ath` (RFC 9449 §4.2).
pub fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()))
}

impl TestApp {
    /// A POST of `form` to `path` (an app back end's call) with `proof` as
    /// its DPoP header, authenticated with `basic` where given.
    pub async fn post_dpop(&self, path: &str, form: &[(&str, &str)], basic: Option<(&str, &str)>, proof: &str) -> Resp {
        let mut req = self.backend.post(format!("{}{path}", self.base)).form(form).header("DPoP", proof);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        self.record(req.send().await.unwrap()).await
    }

    /// `/userinfo` with `Authorization: DPoP` and `proof`.
    pub async fn userinfo_dpop(&self, access_token: &str, proof: &str) -> Resp {
        let req = self
            .backend
            .get(format!("{}/userinfo", self.base))
            .header("Authorization", format!("DPoP {access_token}"))
            .header("DPoP", proof);
        self.record(req.send().await.unwrap()).await
    }

    /// A back-end GET of `path` with these headers (a name may repeat).
    pub async fn get_with_headers(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = self.backend.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.record(req.send().await.unwrap()).await
    }

    /// A nonce for the next proof, as a client learns it: its first proof
    /// without one is refused with `use_dpop_nonce` and a `DPoP-Nonce`.
    pub async fn dpop_nonce(&self, key: &DpopKey) -> String {
        let proof = key.proof(&DpopKey::claims("POST", &format!("{}/token", self.public_url), None));
        let form = [("grant_type", "authorization_code"), ("code", "x")];
        let r = self.post_dpop("/token", &form, Some(("app-a", "secret-a")), &proof).await;
        assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("use_dpop_nonce")), "{}", r.body);
        r.headers["dpop-nonce"].to_str().unwrap().to_owned()
    }
}

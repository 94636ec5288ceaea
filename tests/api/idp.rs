//! An in-process test identity provider that behaves like Google: discovery,
//! JWKS, authorize, token, userinfo. It sends extra claims that must be
//! dropped, puts a unique marker into every value claimgate must not pass
//! on, and misbehaves on demand.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};

pub const IDP_CLIENT_ID: &str = "claimgate-at-idp";
pub const IDP_CLIENT_SECRET: &str = "idp-client-secret";

/// What the provider does wrong on the next logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    None,
    BadSignature,
    AlgNone,
    Hs256WithPublicKey,
    Hs256WithClientSecret,
    WrongIssuer,
    GoogleBareIssuer,
    WrongAudience,
    ExtraAudienceWithoutAzp,
    WrongAzp,
    Expired,
    NonceMismatch,
    MissingNonce,
    UnknownKid,
    RotatedKey,
    UnverifiedEmail,
    StateMismatch,
    WrongIssParameter,
    TokenEndpointError,
    UserinfoSubMismatch,
    /// Tenant mode: `iss` names another tenant than the token's `tid`.
    WrongTenantIssuer,
    /// Tenant mode: `tid` is not a GUID (and `iss` follows it).
    TenantNotGuid,
    /// The JWKS no longer lists the key the tokens are signed with.
    RemovedKey,
    /// `iat` ten minutes in the future.
    IssuedInFuture,
    /// The callback carries no RFC 9207 `iss`, although discovery promises it.
    OmitIssParameter,
    /// The token response is 2 MiB.
    HugeTokenResponse,
}

/// The tenant of tokens in tenant mode (Microsoft's multi-tenant endpoints).
pub const TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

struct Key {
    kid: &'static str,
    private_pem: String,
    public_pem: String,
    n: String,
    e: String,
}

fn make_key(kid: &'static str) -> Key {
    let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("keygen");
    let public = key.to_public_key();
    Key {
        kid,
        private_pem: key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap().to_string(),
        public_pem: public.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap(),
        n: URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
        e: URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
    }
}

/// Key generation is slow; every provider in the test process shares two keys.
fn keys() -> &'static (Key, Key) {
    static KEYS: OnceLock<(Key, Key)> = OnceLock::new();
    KEYS.get_or_init(|| (make_key("idp-key-1"), make_key("idp-key-2")))
}

struct Grant {
    nonce: Option<String>,
    code_challenge: Option<String>,
    redirect_uri: String,
}

pub struct IdpState {
    pub issuer: String,
    pub marker: String,
    pub behaviour: Mutex<Misbehaviour>,
    /// Only the ID-token claims keep these to userinfo; set false to move
    /// the profile to userinfo (providers that do that).
    pub profile_in_id_token: Mutex<bool>,
    grants: Mutex<HashMap<String, Grant>>,
    /// Every scope string claimgate asked for.
    pub requested_scopes: Mutex<Vec<String>>,
    /// How many times the JWKS was fetched.
    pub jwks_fetches: Mutex<usize>,
    /// The query of every authorization request claimgate sent.
    pub authorize_requests: Mutex<Vec<HashMap<String, String>>>,
    /// `auth_time` put into ID tokens (a sign-in this long ago, in seconds); none by default.
    pub auth_age: Mutex<Option<i64>>,
    /// Claims that replace (or add to) the usual ones, in ID tokens and userinfo.
    pub overrides: Mutex<serde_json::Map<String, Value>>,
    pub logins: Mutex<usize>,
    /// Behave like Microsoft's `common` endpoint: a template issuer in
    /// discovery, tenant-specific `iss` and a `tid` claim in tokens.
    pub tenant_mode: Mutex<bool>,
    /// What `/pictures/{name}` answers (see `crate::pictures_upstream`).
    pub pictures: Mutex<HashMap<String, crate::pictures_upstream::Answer>>,
    /// The headers of every picture request, by name.
    pub picture_requests: Mutex<Vec<(String, HashMap<String, String>)>>,
}

pub struct TestIdp {
    pub state: Arc<IdpState>,
}

impl TestIdp {
    pub async fn spawn() -> TestIdp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let marker = format!("MARK{}", &claimgate::store::records::random_handle()[..12].replace(['-', '_'], "x"));
        let marker_for_pictures = marker.clone();
        let state = Arc::new(IdpState {
            issuer: format!("http://127.0.0.1:{port}"),
            marker,
            behaviour: Mutex::new(Misbehaviour::None),
            profile_in_id_token: Mutex::new(true),
            grants: Mutex::new(HashMap::new()),
            requested_scopes: Mutex::new(Vec::new()),
            authorize_requests: Mutex::new(Vec::new()),
            jwks_fetches: Mutex::new(0),
            auth_age: Mutex::new(None),
            overrides: Mutex::new(serde_json::Map::new()),
            logins: Mutex::new(0),
            tenant_mode: Mutex::new(false),
            pictures: Mutex::new(crate::pictures_upstream::defaults(&marker_for_pictures)),
            picture_requests: Mutex::new(Vec::new()),
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/.well-known/openid-configuration", web::get().to(discovery))
                .route("/common/v2.0/.well-known/openid-configuration", web::get().to(tenant_discovery))
                .route("/jwks", web::get().to(jwks))
                .route("/authorize", web::get().to(authorize))
                .route("/token", web::post().to(token))
                .route("/userinfo", web::get().to(userinfo))
                .route("/pictures/{name}", web::get().to(crate::pictures_upstream::serve))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        TestIdp { state }
    }

    pub fn issuer(&self) -> &str {
        &self.state.issuer
    }

    pub fn marker(&self) -> &str {
        &self.state.marker
    }

    pub fn misbehave(&self, m: Misbehaviour) {
        *self.state.behaviour.lock().unwrap() = m;
    }

    /// From the next login on, this claim has this value.
    pub fn set_claim(&self, name: &str, value: Value) {
        self.state.overrides.lock().unwrap().insert(name.to_owned(), value);
    }

    /// The query of the last authorization request claimgate sent here.
    pub fn last_authorize_request(&self) -> HashMap<String, String> {
        self.state.authorize_requests.lock().unwrap().last().cloned().expect("an authorization request")
    }

    pub fn logins(&self) -> usize {
        *self.state.logins.lock().unwrap()
    }

    /// The values claimgate must never pass on or keep: the upstream subject,
    /// the upstream tokens, and every dropped claim's value. All carry the marker.
    pub fn upstream_subject(&self) -> String {
        format!("sub-{}", self.state.marker)
    }
}

fn behaviour(s: &IdpState) -> Misbehaviour {
    *s.behaviour.lock().unwrap()
}

async fn discovery(s: web::Data<IdpState>) -> HttpResponse {
    let iss = &s.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
    }))
}

/// Microsoft's multi-tenant discovery: the issuer is a template.
async fn tenant_discovery(s: web::Data<IdpState>) -> HttpResponse {
    *s.tenant_mode.lock().unwrap() = true;
    let iss = &s.issuer;
    HttpResponse::Ok().json(json!({
        "issuer": format!("{iss}/{{tenantid}}/v2.0"),
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

fn jwk(k: &Key) -> Value {
    json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": k.kid, "n": k.n, "e": k.e})
}

async fn jwks(s: web::Data<IdpState>) -> HttpResponse {
    let (k1, k2) = keys();
    *s.jwks_fetches.lock().unwrap() += 1;
    let set = match behaviour(&s) {
        Misbehaviour::RotatedKey => vec![jwk(k1), jwk(k2)],
        Misbehaviour::RemovedKey => vec![jwk(k2)],
        _ => vec![jwk(k1)],
    };
    HttpResponse::Ok().insert_header(("cache-control", "public, max-age=600")).json(json!({ "keys": set }))
}

async fn authorize(s: web::Data<IdpState>, q: web::Query<HashMap<String, String>>) -> HttpResponse {
    let q = q.into_inner();
    s.requested_scopes.lock().unwrap().push(q.get("scope").cloned().unwrap_or_default());
    s.authorize_requests.lock().unwrap().push(q.clone());
    assert_eq!(q.get("client_id").map(String::as_str), Some(IDP_CLIENT_ID));
    assert_eq!(q.get("code_challenge_method").map(String::as_str), Some("S256"), "claimgate must use PKCE S256");
    let code = format!("code-{}-{}", s.marker, claimgate::store::records::random_handle());
    let redirect_uri = q["redirect_uri"].clone();
    s.grants.lock().unwrap().insert(
        code.clone(),
        Grant {
            nonce: q.get("nonce").cloned(),
            code_challenge: q.get("code_challenge").cloned(),
            redirect_uri: redirect_uri.clone(),
        },
    );
    let mut state = q.get("state").cloned().unwrap_or_default();
    let b = behaviour(&s);
    if b == Misbehaviour::StateMismatch {
        state.push('x');
    }
    let mut url = url::Url::parse(&redirect_uri).unwrap();
    url.query_pairs_mut().append_pair("code", &code).append_pair("state", &state);
    if b == Misbehaviour::OmitIssParameter {
        // no iss
    } else if b == Misbehaviour::WrongIssParameter {
        url.query_pairs_mut().append_pair("iss", "https://evil.example.com");
    } else if *s.tenant_mode.lock().unwrap() {
        url.query_pairs_mut().append_pair("iss", &format!("{}/{TENANT}/v2.0", s.issuer));
    } else {
        url.query_pairs_mut().append_pair("iss", &s.issuer);
    }
    HttpResponse::Found().insert_header(("Location", url.to_string())).finish()
}

fn at_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Google's ID token shape, plus claims that must be dropped.
fn claims(s: &IdpState, nonce: Option<String>, access_token: &str) -> serde_json::Map<String, Value> {
    let m = &s.marker;
    let now = chrono::Utc::now().timestamp();
    let Value::Object(mut c) = json!({
        "iss": s.issuer, "azp": IDP_CLIENT_ID, "aud": IDP_CLIENT_ID,
        "sub": format!("sub-{m}"), "hd": format!("{m}.example.com"),
        "email": "jane.doe@example.com", "email_verified": true,
        "at_hash": at_hash(access_token), "nonce": nonce,
        "name": "Jane Doe", "picture": format!("{}/pictures/jane.png", s.issuer),
        "given_name": format!("Given{m}"), "family_name": format!("Family{m}"), "locale": format!("locale-{m}"),
        "phone_number": format!("+1555{m}"), "birthdate": format!("1990-{m}"),
        "address": {"formatted": format!("1 {m} Street")}, "groups": [format!("admins-{m}"), format!("staff-{m}")],
        "iat": now, "exp": now + 3600
    }) else {
        unreachable!()
    };
    if c["nonce"].is_null() {
        c.remove("nonce");
    }
    if let Some(age) = *s.auth_age.lock().unwrap() {
        c.insert("auth_time".into(), json!(now - age));
    }
    for (k, v) in s.overrides.lock().unwrap().iter() {
        c.insert(k.clone(), v.clone());
    }
    if *s.tenant_mode.lock().unwrap() {
        let (tid, iss_tid) = match behaviour(s) {
            Misbehaviour::WrongTenantIssuer => (TENANT, "72f988bf-86f1-41af-91ab-2d7cd011db47"),
            Misbehaviour::TenantNotGuid => ("not-a-guid", "not-a-guid"),
            _ => (TENANT, TENANT),
        };
        c.insert("tid".into(), json!(tid));
        c.insert("iss".into(), json!(format!("{}/{iss_tid}/v2.0", s.issuer)));
    }
    c
}

fn sign(header: Header, claims: &serde_json::Map<String, Value>, pem: &str) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()).unwrap()
}

fn rs256(kid: &str) -> Header {
    Header { kid: Some(kid.to_owned()), ..Header::new(Algorithm::RS256) }
}

async fn token(req: HttpRequest, s: web::Data<IdpState>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let b = behaviour(&s);
    if b == Misbehaviour::TokenEndpointError {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant", "error_description": s.marker}));
    }
    if b == Misbehaviour::HugeTokenResponse {
        return HttpResponse::Ok().json(json!({"access_token": "x".repeat(2 << 20), "token_type": "Bearer"}));
    }
    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{IDP_CLIENT_ID}:{IDP_CLIENT_SECRET}"))
    );
    if auth != expected {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    let Some(grant) = s.grants.lock().unwrap().remove(form.get("code").map(String::as_str).unwrap_or_default()) else {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if grant.code_challenge != Some(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))) {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant", "error_description": "PKCE"}));
    }
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_grant", "error_description": "redirect_uri"}));
    }
    *s.logins.lock().unwrap() += 1;

    let access_token = format!("upstream-access-{}", s.marker);
    let mut c = claims(&s, grant.nonce, &access_token);
    if !*s.profile_in_id_token.lock().unwrap() {
        for k in ["name", "email", "email_verified", "picture"] {
            c.remove(k);
        }
    }
    let (k1, k2) = keys();
    let id_token = match b {
        Misbehaviour::BadSignature => sign(rs256(k1.kid), &c, &k2.private_pem),
        Misbehaviour::AlgNone => {
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
            format!("{header}.{}.", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap()))
        }
        Misbehaviour::Hs256WithPublicKey | Misbehaviour::Hs256WithClientSecret => {
            let secret = if b == Misbehaviour::Hs256WithPublicKey {
                k1.public_pem.as_bytes()
            } else {
                IDP_CLIENT_SECRET.as_bytes()
            };
            let header = Header { kid: Some(k1.kid.into()), ..Header::new(Algorithm::HS256) };
            jsonwebtoken::encode(&header, &c, &EncodingKey::from_secret(secret)).unwrap()
        }
        Misbehaviour::UnknownKid | Misbehaviour::RotatedKey => sign(rs256(k2.kid), &c, &k2.private_pem),
        other => {
            match other {
                Misbehaviour::WrongIssuer => {
                    c.insert("iss".into(), json!("https://evil.example.com"));
                }
                Misbehaviour::GoogleBareIssuer => {
                    c.insert("iss".into(), json!(s.issuer.trim_start_matches("http://")));
                }
                Misbehaviour::WrongAudience => {
                    c.insert("aud".into(), json!("another-client"));
                    c.insert("azp".into(), json!("another-client"));
                }
                Misbehaviour::ExtraAudienceWithoutAzp => {
                    c.insert("aud".into(), json!([IDP_CLIENT_ID, "another-client"]));
                    c.remove("azp");
                }
                Misbehaviour::WrongAzp => {
                    c.insert("azp".into(), json!("another-client"));
                }
                Misbehaviour::Expired => {
                    c.insert("exp".into(), json!(chrono::Utc::now().timestamp() - 600));
                    c.insert("iat".into(), json!(chrono::Utc::now().timestamp() - 4200));
                }
                Misbehaviour::NonceMismatch => {
                    c.insert("nonce".into(), json!("another-nonce"));
                }
                Misbehaviour::MissingNonce => {
                    c.remove("nonce");
                }
                Misbehaviour::UnverifiedEmail => {
                    c.insert("email_verified".into(), json!(false));
                }
                Misbehaviour::IssuedInFuture => {
                    c.insert("iat".into(), json!(chrono::Utc::now().timestamp() + 600));
                }
                _ => {}
            }
            sign(rs256(k1.kid), &c, &k1.private_pem)
        }
    };
    HttpResponse::Ok().json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 3599,
        "refresh_token": format!("upstream-refresh-{}", s.marker),
        "scope": "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile",
        "id_token": id_token,
    }))
}

async fn userinfo(req: HttpRequest, s: web::Data<IdpState>) -> HttpResponse {
    let expected = format!("Bearer upstream-access-{}", s.marker);
    if req.headers().get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return HttpResponse::Unauthorized().finish();
    }
    let mut c = claims(&s, None, "");
    for k in ["iss", "aud", "azp", "at_hash", "iat", "exp"] {
        c.remove(k);
    }
    if behaviour(&s) == Misbehaviour::UserinfoSubMismatch {
        c.insert("sub".into(), json!("someone-else"));
    }
    HttpResponse::Ok().json(c)
}

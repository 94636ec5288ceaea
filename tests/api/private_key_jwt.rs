//! `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9) and the FAPI 2.0
//! Security Profile per client: assertions made by an independent JOSE
//! library (`jsonwebtoken`), every assertion rule's hostile case, keys from
//! a `jwks_uri` that rotates, and a `fapi2` client held to the profile.

use crate::helpers::*;
use actix_web::{web, App, HttpResponse, HttpServer};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use claimgate::signing::{SigningAlg, SigningKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client's private key and its public JWK.
struct ClientKey {
    encoding: EncodingKey,
    jwk: Value,
    alg: Algorithm,
}

impl ClientKey {
    /// A P-256 key (ES256) with `kid`.
    fn es256(kid: &str) -> Self {
        let pair = rcgen::KeyPair::generate().unwrap();
        let raw = pair.public_key_raw();
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&raw[1..33]), "y": URL_SAFE_NO_PAD.encode(&raw[33..]),
        });
        ClientKey {
            encoding: EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap(),
            jwk,
            alg: Algorithm::ES256,
        }
    }

    /// An RSA key used with `alg` (PS256 or RS256), with `kid`.
    fn rsa(kid: &str, alg: Algorithm) -> Self {
        let key = SigningKey::generate(SigningAlg::Rs256).unwrap();
        let mut jwk = serde_json::to_value(openidconnect::PrivateSigningKey::as_verification_key(&key)).unwrap();
        jwk["kid"] = kid.into();
        jwk.as_object_mut().unwrap().remove("alg");
        let encoding = EncodingKey::from_rsa_pem(key.to_pkcs8_pem().unwrap().as_bytes()).unwrap();
        ClientKey { encoding, jwk, alg }
    }

    fn kid(&self) -> &str {
        self.jwk["kid"].as_str().unwrap()
    }

    /// An assertion with `claims`, under this key's `alg` and `kid`.
    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid().to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

fn jwks(keys: &[&ClientKey]) -> String {
    json!({ "keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>() }).to_string()
}

/// Good claims for `client` at `aud`, now, with a fresh `jti`.
fn claims(client: &str, aud: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "iss": client, "sub": client, "aud": aud, "iat": now, "exp": now + 60,
            "jti": claimgate::store::records::random_handle() })
}

fn with_assertion<'a>(form: &[(&'a str, &'a str)], assertion: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form = form.to_vec();
    form.extend([("client_assertion_type", ASSERTION_TYPE), ("client_assertion", assertion)]);
    form
}

const KEY_APP: Client = Client { id: "key-app", secret: None, redirect_uri: "http://127.0.0.1:9/cb-k" };
const FAPI_APP: Client = Client { id: "fapi-app", secret: None, redirect_uri: "http://127.0.0.1:9/cb-f" };

/// `key-app` authenticates with `private_key_jwt` and these keys (inline),
/// with refresh tokens; `other-app` likewise with its own.
fn key_clients(keys: String, other: String) -> impl FnOnce(&mut ConfigEdit) + 'static {
    move |c| {
        for (id, set, uri) in [("key-app", keys, KEY_APP.redirect_uri), ("other-app", other, "http://127.0.0.1:9/cb-o")]
        {
            let path = format!("clients.{id}");
            c.set(&path, "token_endpoint_auth_method", "private_key_jwt")
                .set(&path, "jwks", set.as_str())
                .set_list(&path, "redirect_uris", &[uri])
                .set_list(&path, "claims", &["name", "email"])
                .set(&path, "refresh_tokens", true);
        }
    }
}

async fn code_for(app: &TestApp, client: &Client) -> String {
    app.login(client, "openid email offline_access", &[]).await.code()
}

#[tokio::test]
async fn a_private_key_jwt_client_signs_in_refreshes_introspects_and_revokes_with_assertions() {
    let (es, ps) = (ClientKey::es256("es-1"), ClientKey::rsa("ps-1", Algorithm::PS256));
    let app = spawn_app_with(key_clients(jwks(&[&es, &ps]), jwks(&[&ClientKey::es256("o-1")]))).await;
    let discovery = app.browse("/.well-known/openid-configuration").await.json();
    for endpoint in ["token", "revocation", "introspection"] {
        let methods = &discovery[format!("{endpoint}_endpoint_auth_methods_supported")];
        assert!(methods.as_array().unwrap().contains(&json!("private_key_jwt")), "{endpoint}");
        let algs = &discovery[format!("{endpoint}_endpoint_auth_signing_alg_values_supported")];
        assert_eq!(algs, &json!(["PS256", "ES256", "EdDSA", "RS256"]), "{endpoint}: asymmetric only");
    }
    let issuer = app.public_url.clone();
    let code = code_for(&app, &KEY_APP).await;
    // ES256, aud = the issuer.
    let assertion = es.sign(&claims("key-app", &issuer));
    let form = [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", KEY_APP.redirect_uri)];
    let r = app.post_form("/token", &with_assertion(&form, &assertion), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let tokens = r.json();
    app.verify_id_token(tokens["id_token"].as_str().unwrap(), "key-app").await;
    // PS256, aud = the token endpoint's URL (older clients), and a client_id that matches.
    let assertion = ps.sign(&claims("key-app", &format!("{issuer}/token")));
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "key-app")];
    let r = app.post_form("/token", &with_assertion(&form, &assertion), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let access = r.json()["access_token"].as_str().unwrap().to_owned();
    // Introspection and revocation take assertions too (aud: the issuer).
    let assertion = es.sign(&claims("key-app", &issuer));
    let r = app.post_form("/introspect", &with_assertion(&[("token", &access)], &assertion), None).await;
    assert_eq!((r.status, r.json()["active"].as_bool()), (200, Some(true)), "{}", r.body);
    let assertion = es.sign(&claims("key-app", &issuer));
    assert_eq!(app.post_form("/revoke", &with_assertion(&[("token", &access)], &assertion), None).await.status, 200);
    assert_eq!(app.userinfo(&access).await.status, 401, "revoked");
}

#[tokio::test]
async fn each_assertion_rule_refuses_its_hostile_case_and_a_refusal_spends_nothing() {
    let key = ClientKey::es256("es-1");
    let rs = ClientKey::rsa("rs-1", Algorithm::RS256);
    let other = ClientKey::es256("o-1");
    let app = spawn_app_with(key_clients(jwks(&[&key, &rs]), jwks(&[&other]))).await;
    let issuer = app.public_url.clone();
    let code = code_for(&app, &KEY_APP).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", KEY_APP.redirect_uri)];
    let changed = |k: &str, v: Value| {
        let mut c = claims("key-app", &issuer);
        c[k] = v;
        key.sign(&c)
    };
    let now = chrono::Utc::now().timestamp();
    let replayed = key.sign(&claims("key-app", &issuer));
    let replayed_signature = replayed.rsplit('.').next().unwrap().to_owned();
    let r = app.post_form("/introspect", &with_assertion(&[("token", "x")], &replayed), None).await;
    assert_eq!(r.status, 200, "first use: {}", r.body);
    let unknown_kid = {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("not-a-kid".into());
        jsonwebtoken::encode(&header, &claims("key-app", &issuer), &key.encoding).unwrap()
    };
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"es-1"}"#),
        URL_SAFE_NO_PAD.encode(claims("key-app", &issuer).to_string())
    );
    let hs256 = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("es-1".into());
        // HMAC keyed with the public key's bytes: the classic confusion.
        jsonwebtoken::encode(
            &header,
            &claims("key-app", &issuer),
            &EncodingKey::from_secret(key.jwk.to_string().as_bytes()),
        )
        .unwrap()
    };
    // Signed with other-app's key, naming key-app and that key's kid.
    let foreign = other.sign(&claims("key-app", &issuer));
    // Signed with other-app's key under key-app's kid: the signature fails.
    let forged_kid = {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("es-1".into());
        jsonwebtoken::encode(&header, &claims("key-app", &issuer), &other.encoding).unwrap()
    };
    let cases: Vec<(&str, String)> = vec![
        ("wrong aud", changed("aud", json!("https://elsewhere.example"))),
        ("aud of another endpoint", changed("aud", json!(format!("{issuer}/userinfo")))),
        ("iss is not sub", changed("iss", json!("other-app"))),
        ("sub of another client", changed("sub", json!("other-app"))),
        ("expired", changed("exp", json!(now - 5))),
        ("no exp", {
            let mut c = claims("key-app", &issuer);
            c.as_object_mut().unwrap().remove("exp");
            key.sign(&c)
        }),
        ("exp far ahead", changed("exp", json!(now + 3600))),
        ("iat in the future", changed("iat", json!(now + 60))),
        ("no jti", {
            let mut c = claims("key-app", &issuer);
            c.as_object_mut().unwrap().remove("jti");
            key.sign(&c)
        }),
        ("replayed jti", replayed),
        ("unknown kid", unknown_kid),
        ("alg none", none),
        ("alg HS256", hs256),
        ("a key of another client", foreign),
        ("another client's key under this kid", forged_kid),
    ];
    for (case, assertion) in &cases {
        let r = app.post_form("/token", &with_assertion(&form, assertion), None).await;
        assert_eq!((r.status, r.json()["error"].as_str()), (401, Some("invalid_client")), "{case}: {}", r.body);
    }
    // The wrong assertion type; a secret beside an assertion; the client's
    // secret-less id alone; a secret where a key is registered.
    let good = || key.sign(&claims("key-app", &issuer));
    let mut wrong_type = with_assertion(&form, "");
    let a = good();
    wrong_type.retain(|(k, _)| *k != "client_assertion");
    wrong_type.push(("client_assertion", &a));
    wrong_type.retain(|(k, v)| *k != "client_assertion_type" || *v != ASSERTION_TYPE);
    wrong_type.push(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"));
    assert_eq!(app.post_form("/token", &wrong_type, None).await.status, 401);
    let a = good();
    let both = app.post_form("/token", &with_assertion(&form, &a), Some(("key-app", "guess"))).await;
    assert_eq!((both.status, both.json()["error"].as_str()), (400, Some("invalid_request")), "{}", both.body);
    let mut bare = form.to_vec();
    bare.push(("client_id", "key-app"));
    assert_eq!(app.post_form("/token", &bare, None).await.status, 401, "no public-client path");
    assert_eq!(app.post_form("/token", &form, Some(("key-app", "guess"))).await.status, 401);
    // None of it cost the client its code.
    let r = app.post_form("/token", &with_assertion(&form, &good()), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // RS256 is accepted for a client not under FAPI 2.0.
    let a = rs.sign(&claims("key-app", &issuer));
    assert_eq!(app.post_form("/introspect", &with_assertion(&[("token", "x")], &a), None).await.status, 200);
    // Logs name the reason, never the assertion.
    let logs = logs();
    assert!(logs.contains("assertion_replayed") && logs.contains("assertion_aud"), "reasons are logged");
    assert!(!logs.contains(&replayed_signature), "no assertion in the logs");
}

/// A client's `jwks_uri`: serves whatever set the test puts in it.
async fn key_server(set: Arc<Mutex<String>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let set = set.clone();
        App::new().route(
            "/jwks",
            web::get().to(move || {
                let body = set.lock().unwrap().clone();
                async move { HttpResponse::Ok().content_type("application/json").body(body) }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}/jwks")
}

/// `/introspect` authenticated by an assertion of `client` signed with `key`.
async fn introspect_as(app: &TestApp, client: &str, key: &ClientKey) -> u16 {
    let a = key.sign(&claims(client, &app.public_url));
    app.post_form("/introspect", &with_assertion(&[("token", "x")], &a), None).await.status
}

#[tokio::test]
async fn keys_from_a_jwks_uri_rotate_without_a_restart() {
    let (first, second) = (ClientKey::es256("k-1"), ClientKey::es256("k-2"));
    let served = Arc::new(Mutex::new(jwks(&[&first])));
    let uri = key_server(served.clone()).await;
    let clock = Arc::new(claimgate::clock::ManualClock::new(chrono::Utc::now()));
    let edit = move |c: &mut ConfigEdit| {
        c.set("clients.key-app", "token_endpoint_auth_method", "private_key_jwt")
            .set("clients.key-app", "jwks_uri", uri.as_str())
            .set_list("clients.key-app", "redirect_uris", &[KEY_APP.redirect_uri])
            .set_list("clients.key-app", "claims", &["email"]);
    };
    let app = spawn(Options { edit: Some(Box::new(edit)), clock: clock.clone(), ..Options::default() }).await;
    assert_eq!(introspect_as(&app, "key-app", &first).await, 200, "fetched at first use");
    // The client rotates: the new kid is unknown, so the set is fetched
    // again (once the last fetch is 10 s old).
    *served.lock().unwrap() = jwks(&[&second]);
    assert_eq!(introspect_as(&app, "key-app", &second).await, 401, "within 10 s of the first fetch");
    clock.advance(chrono::Duration::seconds(11));
    assert_eq!(introspect_as(&app, "key-app", &second).await, 200, "refetched on an unknown kid");
    assert_eq!(introspect_as(&app, "key-app", &first).await, 401, "the removed key no longer authenticates");
    // Unknown kids do not make claimgate fetch more than once per 10 s.
    let third = ClientKey::es256("k-3");
    *served.lock().unwrap() = jwks(&[&second, &third]);
    assert_eq!(introspect_as(&app, "key-app", &third).await, 401, "within 10 s of the last fetch");
    clock.advance(chrono::Duration::seconds(11));
    assert_eq!(introspect_as(&app, "key-app", &third).await, 200, "and after");
}

/// `fapi-app`: `fapi2 = true`, keys (PS256 and ES256) inline.
fn fapi_client(keys: String) -> impl FnOnce(&mut ConfigEdit) + 'static {
    move |c| {
        c.set("clients.fapi-app", "token_endpoint_auth_method", "private_key_jwt")
            .set("clients.fapi-app", "jwks", keys.as_str())
            .set("clients.fapi-app", "fapi2", true)
            .set_list("clients.fapi-app", "redirect_uris", &[FAPI_APP.redirect_uri])
            .set_list("clients.fapi-app", "claims", &["name", "email"])
            .set("clients.fapi-app", "refresh_tokens", true);
    }
}

/// fapi-app pushes a code request (with a 64-character nonce) with `extra`.
async fn push_fapi(app: &TestApp, extra: &[(&str, &str)], assertion: &str) -> Resp {
    let nonce = "n".repeat(64);
    let mut form = vec![
        ("response_type", "code"),
        ("redirect_uri", FAPI_APP.redirect_uri),
        ("scope", "openid email offline_access"),
        ("state", "s"),
        ("nonce", nonce.as_str()),
    ];
    form.extend_from_slice(extra);
    app.post_form("/par", &with_assertion(&form, assertion), None).await
}

#[tokio::test]
async fn a_fapi2_client_is_held_to_the_profile() {
    let ps = ClientKey::rsa("ps-1", Algorithm::PS256);
    // The same registered key, used for RS256.
    let ps_as_rs256 = ClientKey { encoding: ps.encoding.clone(), jwk: ps.jwk.clone(), alg: Algorithm::RS256 };
    let app = spawn_app_with(fapi_client(jwks(&[&ps]))).await;
    let issuer = app.public_url.clone();
    let (verifier, challenge) = pkce_pair();
    let key = DpopKey::new();
    let pkce = [("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
    // The front channel is refused: PAR only.
    let url =
        app.authorize_url(&FAPI_APP, "openid", &[("code_challenge", &challenge), ("code_challenge_method", "S256")]);
    let LoginEnd::App(refused) = app.walk(&url, FAPI_APP.redirect_uri).await else { panic!("refused at the app") };
    assert_eq!(refused["error"], "invalid_request");
    // PKCE is required, even of a confidential client.
    let r = push_fapi(&app, &[], &ps.sign(&claims("fapi-app", &issuer))).await;
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("invalid_request")), "{}", r.body);
    // RS256 is refused, even with a key the client registered.
    let r = push_fapi(&app, &pkce, &ps_as_rs256.sign(&claims("fapi-app", &issuer))).await;
    assert_eq!(r.status, 401, "RS256: {}", r.body);
    // aud: the issuer, as a string; not the endpoint, not an array.
    for aud in [json!(format!("{issuer}/par")), json!([issuer.clone()])] {
        let mut c = claims("fapi-app", &issuer);
        c["aud"] = aud.clone();
        assert_eq!(push_fapi(&app, &pkce, &ps.sign(&c)).await.status, 401, "aud {aud}");
    }
    // A secret is no way in.
    let form = [("response_type", "code"), ("redirect_uri", FAPI_APP.redirect_uri), ("scope", "openid")];
    assert_eq!(app.post_form("/par", &form, Some(("fapi-app", "secret"))).await.status, 401);

    // The profile's way: PAR with PKCE and a 64-character nonce, PS256.
    let r = push_fapi(&app, &pkce, &ps.sign(&claims("fapi-app", &issuer))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let request_uri = r.json()["request_uri"].as_str().unwrap().to_owned();
    let q = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", "fapi-app")
        .append_pair("request_uri", &request_uri)
        .finish();
    let code = app.walk(&format!("{}/authorize?{q}", app.base), FAPI_APP.redirect_uri).await.code();

    // Tokens only DPoP-bound: a bearer redemption is refused.
    let code_form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", FAPI_APP.redirect_uri),
        ("code_verifier", verifier.as_str()),
    ];
    let a = ps.sign(&claims("fapi-app", &issuer));
    let bearer = app.post_form("/token", &with_assertion(&code_form, &a), None).await;
    assert_eq!(bearer.status, 400, "{}", bearer.body);
    let token_url = format!("{}/token", app.public_url);
    let nonce = app.dpop_nonce(&key).await;
    let a = ps.sign(&claims("fapi-app", &issuer));
    let proof = key.proof(&DpopKey::claims("POST", &token_url, Some(&nonce)));
    let r = app.post_dpop("/token", &with_assertion(&code_form, &a), None, &proof).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let tokens = r.json();
    assert_eq!(tokens["token_type"], "DPoP");
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(jsonwebtoken::decode_header(id_token).unwrap().alg, Algorithm::PS256, "never RS256");
    app.verify_id_token_with(id_token, "fapi-app", Algorithm::PS256).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.userinfo(access).await.status, 401, "not as a bearer token");

    // Refresh without rotation: the same token comes back, and using it
    // again is no reuse.
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    for round in 0..2 {
        let nonce = app.dpop_nonce(&key).await;
        let a = ps.sign(&claims("fapi-app", &issuer));
        let proof = key.proof(&DpopKey::claims("POST", &token_url, Some(&nonce)));
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())];
        let r = app.post_dpop("/token", &with_assertion(&form, &a), None, &proof).await;
        assert_eq!(r.status, 200, "round {round}: {}", r.body);
        assert_eq!(r.json()["refresh_token"].as_str(), Some(refresh.as_str()), "not rotated");
    }

    // No CORS on /authorize.
    let cors = app.get_with_headers(&format!("/authorize?{q}"), &[("Origin", "https://evil.example")]).await;
    assert!(!cors.headers.contains_key("access-control-allow-origin"));
    // claimgate check explains the rules it enforces for the client.
    let disclosure = app.browse("/.well-known/claimgate-disclosure").await.json();
    let fapi = disclosure["clients"].as_array().unwrap().iter().find(|c| c["id"] == "fapi-app").unwrap();
    assert!(fapi["fapi2"].as_array().unwrap().len() >= 10, "{fapi}");
}

#[tokio::test]
async fn redirects_after_a_post_are_303_see_other() {
    let app = spawn_app().await;
    let url = app.authorize_url(&APP_A, "openid", &[]);
    let notice = app.browse(&url).await;
    assert!(is_notice(&notice));
    let pressed = app.press_continue(&notice.body).await;
    assert_eq!(pressed.status, 303, "{}", pressed.body);
    // A POSTed authorization request answered at the app.
    let form = [("client_id", "app-a"), ("redirect_uri", APP_A.redirect_uri), ("response_type", "token")];
    let r = app.browse_post("/authorize", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
}

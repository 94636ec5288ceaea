//! DPoP (RFC 9449): tokens bound to the app's key, every proof rule with
//! its hostile case, nonces, and stolen tokens presented as bearer tokens
//! or with another key.

use crate::helpers::*;
use serde_json::{json, Value};

/// A login for app-a redeemed with a DPoP proof by `key` (after the nonce
/// challenge, which must not consume the code). Returns the token response.
async fn dpop_login(app: &TestApp, key: &DpopKey, client: &Client, extra: &[(&str, &str)]) -> Value {
    let (verifier, challenge) = pkce_pair();
    let mut params = vec![("code_challenge", challenge.as_str()), ("code_challenge_method", "S256")];
    params.extend_from_slice(extra);
    let code = app.login(client, "openid profile email offline_access", &params).await.code();
    let form = [&code_form(client, &code, &verifier)[..], &[("client_id", client.id)]].concat();
    let basic = client.secret.map(|s| (client.id, s));
    let token_url = format!("{}/token", app.public_url);
    // §8: no nonce yet: refused with one, and the code is still good.
    let first = app.post_dpop("/token", &form, basic, &key.proof(&DpopKey::claims("POST", &token_url, None))).await;
    assert_eq!((first.status, first.json()["error"].as_str()), (400, Some("use_dpop_nonce")), "{}", first.body);
    let nonce = first.headers["dpop-nonce"].to_str().unwrap().to_owned();
    let r = app.post_dpop("/token", &form, basic, &key.proof(&DpopKey::claims("POST", &token_url, Some(&nonce)))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers.contains_key("dpop-nonce"), "every DPoP answer carries the next nonce");
    r.json()
}

/// A valid userinfo proof for `token` by `key`.
fn userinfo_proof(app: &TestApp, token: &str, nonce: &str) -> ProofClaims {
    let mut c = DpopKey::claims("GET", &format!("{}/userinfo", app.public_url), Some(nonce));
    c.ath = Some(ath(token));
    c
}

fn challenge(r: &Resp) -> String {
    r.headers.get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn a_dpop_login_binds_the_tokens_to_the_key() {
    let app = spawn_app_with(|c| {
        c.set("clients.app-a", "refresh_tokens", true);
    })
    .await;
    let key = DpopKey::new();
    let tokens = dpop_login(&app, &key, &APP_A, &[]).await;
    assert_eq!(tokens["token_type"], "DPoP");
    let token = tokens["access_token"].as_str().unwrap();
    let nonce = app.dpop_nonce(&key).await;
    let info = app.userinfo_dpop(token, &key.proof(&userinfo_proof(&app, token, &nonce))).await;
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.json()["name"], "Jane Doe");
    assert!(info.headers.contains_key("dpop-nonce"));

    // RFC 9449 §6.2: introspection names the key, by an independently computed thumbprint.
    let i = app.introspect(&APP_A, token).await.json();
    assert_eq!((i["active"].as_bool(), i["token_type"].as_str()), (Some(true), Some("DPoP")));
    assert_eq!(i["cnf"]["jkt"], key.thumbprint());
    // A confidential client's refresh token is not bound (§5), the access token is.
    let r = app.introspect(&APP_A, tokens["refresh_token"].as_str().unwrap()).await.json();
    assert!(r["active"].as_bool().unwrap() && r.get("cnf").is_none(), "{r}");
}

#[tokio::test]
async fn a_stolen_dpop_token_is_refused_as_bearer_and_with_another_key() {
    let app = spawn_app().await;
    let (key, thief) = (DpopKey::new(), DpopKey::new());
    let tokens = dpop_login(&app, &key, &APP_A, &[]).await;
    let token = tokens["access_token"].as_str().unwrap();

    let bearer = app.userinfo(token).await;
    assert_eq!(bearer.status, 401, "{}", bearer.body);
    assert!(challenge(&bearer).starts_with("DPoP ") && challenge(&bearer).contains("error=\"invalid_token\""));

    let nonce = app.dpop_nonce(&thief).await;
    let other = app.userinfo_dpop(token, &thief.proof(&userinfo_proof(&app, token, &nonce))).await;
    assert_eq!(other.status, 401);
    assert!(challenge(&other).contains("error=\"invalid_dpop_proof\""), "{}", challenge(&other));

    let no_proof = app.get_with_headers("/userinfo", &[("Authorization", &format!("DPoP {token}"))]).await;
    assert_eq!(no_proof.status, 401);
    assert!(challenge(&no_proof).contains("invalid_dpop_proof"));

    // The thief's key cannot refresh it either... (app-a's refresh token needs
    // app-a's secret; a public client's case is in `a_public_clients_refresh_token_is_bound`).
    // The owner still can use it.
    let nonce = app.dpop_nonce(&key).await;
    let ok = app.userinfo_dpop(token, &key.proof(&userinfo_proof(&app, token, &nonce))).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}

#[tokio::test]
async fn every_proof_rule_has_its_hostile_case() {
    let app = spawn_app().await;
    let key = DpopKey::new();
    let tokens = dpop_login(&app, &key, &APP_A, &[]).await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let nonce = app.dpop_nonce(&key).await;
    let good = || userinfo_proof(&app, &token, &nonce);
    let std_header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": key.jwk });
    let now = chrono::Utc::now().timestamp();

    let mut cases: Vec<(&str, String, &str)> = Vec::new();
    let with = |edit: &dyn Fn(&mut ProofClaims)| {
        let mut c = good();
        edit(&mut c);
        key.proof(&c)
    };
    cases.push(("wrong htm", with(&|c| c.htm = "POST".into()), "invalid_dpop_proof"));
    cases.push(("wrong htu path", with(&|c| c.htu = format!("{}/token", app.public_url)), "invalid_dpop_proof"));
    cases.push(("wrong htu host", with(&|c| c.htu = "https://evil.example/userinfo".into()), "invalid_dpop_proof"));
    cases.push(("stale iat", with(&|c| c.iat = now - 600), "invalid_dpop_proof"));
    cases.push(("future iat", with(&|c| c.iat = now + 600), "invalid_dpop_proof"));
    cases.push(("missing ath", with(&|c| c.ath = None), "invalid_dpop_proof"));
    cases.push(("ath of another token", with(&|c| c.ath = Some(ath("another-token"))), "invalid_dpop_proof"));
    cases.push(("missing nonce", with(&|c| c.nonce = None), "use_dpop_nonce"));
    cases.push((
        "forged nonce",
        with(&|c| c.nonce = Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into())),
        "use_dpop_nonce",
    ));
    let mut h = std_header.clone();
    h["typ"] = "JWT".into();
    cases.push(("typ JWT", key.proof_with_header(&good(), h), "invalid_dpop_proof"));
    let mut h = std_header.clone();
    h["jwk"]["d"] = "c2VjcmV0".into();
    cases.push(("private jwk", key.proof_with_header(&good(), h), "invalid_dpop_proof"));
    let mut h = std_header.clone();
    h.as_object_mut().unwrap().remove("jwk");
    cases.push(("no jwk", key.proof_with_header(&good(), h), "invalid_dpop_proof"));
    let mut h = std_header.clone();
    h["jwk"] = DpopKey::new().jwk;
    cases.push(("another key's jwk", key.proof_with_header(&good(), h), "invalid_dpop_proof"));
    // alg none and HS256 (with the public key's bytes as an HMAC secret).
    let unsigned = {
        let p = key.proof(&good());
        let mut parts: Vec<String> = p.split('.').map(str::to_owned).collect();
        let mut h = std_header.clone();
        h["alg"] = "none".into();
        parts[0] = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, h.to_string());
        format!("{}.{}.", parts[0], parts[1])
    };
    cases.push(("alg none", unsigned, "invalid_dpop_proof"));
    let hs256 = {
        let mut h = std_header.clone();
        h["alg"] = "HS256".into();
        let p = key.proof_with_header(&good(), h);
        let input = p.rsplit_once('.').unwrap().0.to_owned();
        let secret = jsonwebtoken::EncodingKey::from_secret(key.jwk.to_string().as_bytes());
        let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &secret, jsonwebtoken::Algorithm::HS256).unwrap();
        format!("{input}.{sig}")
    };
    cases.push(("alg HS256", hs256, "invalid_dpop_proof"));
    let tampered = {
        let p = key.proof(&good());
        let (input, sig) = p.rsplit_once('.').unwrap();
        let mut c = good();
        c.htm = "GET".into();
        c.jti = "other".into();
        let other = key.proof(&c);
        format!("{}.{}.{sig}", input.split('.').next().unwrap(), other.split('.').nth(1).unwrap())
    };
    cases.push(("signature of other claims", tampered, "invalid_dpop_proof"));
    cases.push(("not a JWT", "not-a-jwt".into(), "invalid_dpop_proof"));

    for (name, proof, error) in &cases {
        let r = app.userinfo_dpop(&token, proof).await;
        assert_eq!(r.status, 401, "{name}: {}", r.body);
        assert!(challenge(&r).contains(&format!("error=\"{error}\"")), "{name}: {}", challenge(&r));
        if *error == "use_dpop_nonce" {
            assert!(r.headers.contains_key("dpop-nonce"), "{name}: the nonce to use");
        }
        assert!(r.json().get("name").is_none(), "{name}: nothing released");
    }

    // A replayed proof (same jti): the first use passes, the second not.
    let once = key.proof(&good());
    assert_eq!(app.userinfo_dpop(&token, &once).await.status, 200);
    let again = app.userinfo_dpop(&token, &once).await;
    assert_eq!(again.status, 401);
    assert!(challenge(&again).contains("invalid_dpop_proof"));

    // Two DPoP headers.
    let (p1, p2) = (key.proof(&good()), key.proof(&good()));
    let auth = format!("DPoP {token}");
    let two = app.get_with_headers("/userinfo", &[("Authorization", &auth), ("DPoP", &p1), ("DPoP", &p2)]).await;
    assert_eq!(two.status, 401);
    assert!(challenge(&two).contains("invalid_dpop_proof"));

    // None of this locked the owner out.
    assert_eq!(app.userinfo_dpop(&token, &key.proof(&good())).await.status, 200);
    assert!(!logs().contains(&once), "proofs are never logged");
}

#[tokio::test]
async fn the_token_endpoint_checks_the_proof_before_spending_the_code() {
    let app = spawn_app().await;
    let key = DpopKey::new();
    let (verifier, challenge) = pkce_pair();
    let code =
        app.login(&APP_A, "openid", &[("code_challenge", &challenge), ("code_challenge_method", "S256")]).await.code();
    let form = code_form(&APP_A, &code, &verifier);
    let basic = Some(("app-a", "secret-a"));
    let nonce = app.dpop_nonce(&key).await;
    let url = format!("{}/token", app.public_url);
    let mut wrong_url = DpopKey::claims("POST", &format!("{}/userinfo", app.public_url), Some(&nonce));
    wrong_url.jti = "j1".into();
    let r = app.post_dpop("/token", &form, basic, &key.proof(&wrong_url)).await;
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("invalid_dpop_proof")), "{}", r.body);
    let r = app.post_dpop("/token", &form, basic, &key.proof(&DpopKey::claims("GET", &url, Some(&nonce)))).await;
    assert_eq!(r.json()["error"], "invalid_dpop_proof");
    // The code survived both refusals.
    let ok = app.post_dpop("/token", &form, basic, &key.proof(&DpopKey::claims("POST", &url, Some(&nonce)))).await;
    assert_eq!((ok.status, ok.json()["token_type"].as_str()), (200, Some("DPoP")), "{}", ok.body);
}

#[tokio::test]
async fn a_code_bound_with_dpop_jkt_needs_that_key() {
    let app = spawn_app().await;
    let (key, other) = (DpopKey::new(), DpopKey::new());
    let jkt = key.thumbprint();
    let (verifier, challenge) = pkce_pair();
    let params = [("code_challenge", challenge.as_str()), ("code_challenge_method", "S256"), ("dpop_jkt", &jkt)];
    let code = app.login(&APP_A, "openid", &params).await.code();
    let form = code_form(&APP_A, &code, &verifier);
    let nonce = app.dpop_nonce(&other).await;
    let url = format!("{}/token", app.public_url);
    let r = app
        .post_dpop(
            "/token",
            &form,
            Some(("app-a", "secret-a")),
            &other.proof(&DpopKey::claims("POST", &url, Some(&nonce))),
        )
        .await;
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("invalid_dpop_proof")), "{}", r.body);

    // Without any proof: refused too.
    let code = app.login(&APP_A, "openid", &params).await.code();
    let r = app.token_raw(&code_form(&APP_A, &code, &verifier), Some(("app-a", "secret-a"))).await;
    assert_eq!(r.json()["error"], "invalid_dpop_proof");

    // A malformed dpop_jkt goes back to the app.
    let bad = app.login(&APP_A, "openid", &[("dpop_jkt", "short")]).await;
    assert!(
        matches!(&bad, LoginEnd::App(p) if p.get("error").map(String::as_str) == Some("invalid_request")),
        "{bad:?}"
    );
}

#[tokio::test]
async fn a_public_clients_refresh_token_is_bound_and_not_spent_by_a_thief() {
    let app = spawn_app_with(|c| {
        c.set("clients.public-app", "refresh_tokens", true);
    })
    .await;
    let (key, thief) = (DpopKey::new(), DpopKey::new());
    let tokens = dpop_login(&app, &key, &PUBLIC_APP, &[]).await;
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token").to_owned();
    let url = format!("{}/token", app.public_url);
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh.as_str()), ("client_id", "public-app")];

    let nonce = app.dpop_nonce(&thief).await;
    let stolen = app.post_dpop("/token", &form, None, &thief.proof(&DpopKey::claims("POST", &url, Some(&nonce)))).await;
    assert_eq!((stolen.status, stolen.json()["error"].as_str()), (400, Some("invalid_dpop_proof")), "{}", stolen.body);
    let bare = app.token_raw(&form, None).await;
    assert_eq!(bare.json()["error"], "invalid_dpop_proof");
    // The thief's tries did not spend it: the owner refreshes, rotation as usual.
    let owned = app.post_dpop("/token", &form, None, &key.proof(&DpopKey::claims("POST", &url, Some(&nonce)))).await;
    assert_eq!((owned.status, owned.json()["token_type"].as_str()), (200, Some("DPoP")), "{}", owned.body);
    let rotated = owned.json()["refresh_token"].as_str().unwrap().to_owned();
    // Revoking a bound refresh token also takes the key.
    let r = app
        .post_dpop(
            "/revoke",
            &[("token", &rotated), ("client_id", "public-app")],
            None,
            &thief.proof(&DpopKey::claims("POST", &format!("{}/revoke", app.public_url), Some(&nonce))),
        )
        .await;
    assert_eq!(r.json()["error"], "invalid_dpop_proof");
    let r = app
        .post_dpop(
            "/revoke",
            &[("token", &rotated), ("client_id", "public-app")],
            None,
            &key.proof(&DpopKey::claims("POST", &format!("{}/revoke", app.public_url), Some(&nonce))),
        )
        .await;
    assert_eq!(r.status, 200);
    let after = app
        .post_dpop(
            "/token",
            &[("grant_type", "refresh_token"), ("refresh_token", &rotated), ("client_id", "public-app")],
            None,
            &key.proof(&DpopKey::claims("POST", &url, Some(&nonce))),
        )
        .await;
    assert_eq!(after.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn require_dpop_refuses_token_requests_without_a_proof_and_bearer_tokens() {
    let store = TestStore::redis();
    // One instance issues a bearer token while app-a does not require DPoP...
    let lenient = spawn(Options { store: Some(store.clone()), ..Options::default() }).await;
    let bearer = lenient.full_login(&APP_A, "openid profile").await;
    let bearer = bearer["access_token"].as_str().unwrap().to_owned();
    assert_eq!(lenient.userinfo(&bearer).await.status, 200);
    // ...another, sharing the store, runs with require_dpop = true.
    let strict = spawn(Options {
        store: Some(store.clone()),
        edit: Some(Box::new(|c| {
            c.set("clients.app-a", "require_dpop", true);
        })),
        ..Options::default()
    })
    .await;
    let refused = strict.userinfo(&bearer).await;
    assert_eq!(refused.status, 401, "a bearer token of a require_dpop client: {}", refused.body);
    assert!(challenge(&refused).starts_with("DPoP "));

    let (verifier, challenge) = pkce_pair();
    let code = strict
        .login(&APP_A, "openid", &[("code_challenge", &challenge), ("code_challenge_method", "S256")])
        .await
        .code();
    let form = code_form(&APP_A, &code, &verifier);
    let r = strict.token_raw(&form, Some(("app-a", "secret-a"))).await;
    assert_eq!((r.status, r.json()["error"].as_str()), (400, Some("invalid_dpop_proof")), "{}", r.body);
    let key = DpopKey::new();
    let nonce = strict.dpop_nonce(&key).await;
    let url = format!("{}/token", strict.public_url);
    let ok = strict
        .post_dpop(
            "/token",
            &form,
            Some(("app-a", "secret-a")),
            &key.proof(&DpopKey::claims("POST", &url, Some(&nonce))),
        )
        .await;
    assert_eq!(ok.status, 200, "the code was not spent by the refusal: {}", ok.body);
    store.cleanup().await;
}

#[tokio::test]
async fn discovery_advertises_dpop() {
    let app = spawn_app().await;
    let d = app.browse("/.well-known/openid-configuration").await.json();
    assert_eq!(d["dpop_signing_alg_values_supported"], json!(["ES256", "EdDSA", "PS256", "RS256"]));
}

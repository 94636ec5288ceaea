//! claimgate's signatures: every algorithm verified by an independent JOSE
//! library, chosen per client; key rotation without downtime; key errors
//! that name their key.

use crate::helpers::*;
use claimgate::config::Config;
use claimgate::keys::Keys;
use claimgate::signing::{SigningAlg, SigningKey};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::Algorithm;
use sha2::{Digest, Sha256, Sha512};

fn pem(alg: SigningAlg) -> String {
    SigningKey::generate(alg).unwrap().to_pkcs8_pem().unwrap()
}

/// `[keys] signing_keys = [...]` in the test config.
fn with_keys(pems: &[&str]) -> impl FnOnce(&mut ConfigEdit) + 'static {
    let pems: Vec<String> = pems.iter().map(|p| (*p).to_owned()).collect();
    move |c| {
        c.set_list("keys", "signing_keys", &pems.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

/// The test config, as `claimgate check` would read it.
fn base_config() -> ConfigEdit {
    ConfigEdit::parse(&config_text("http://127.0.0.1:9", "http://127.0.0.1:9/idp"))
}

async fn jwks_of(app: &TestApp) -> JwkSet {
    serde_json::from_value(app.browse("/jwks").await.json()).unwrap()
}

fn kid(jwt: &str) -> String {
    jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap()
}

/// OIDC Core §3.1.3.6: the left half of the hash of the access token, with
/// the hash of the ID token's `alg` (SHA-512 for Ed25519).
fn at_hash(access_token: &str, alg: SigningAlg) -> String {
    use base64::Engine;
    let digest = match alg {
        SigningAlg::EdDsa => Sha512::digest(access_token.as_bytes()).to_vec(),
        _ => Sha256::digest(access_token.as_bytes()).to_vec(),
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[tokio::test]
async fn each_client_gets_id_tokens_in_its_algorithm_and_an_independent_library_verifies_them() {
    let (rs, ps) = (pem(SigningAlg::Rs256), pem(SigningAlg::Ps256));
    let (es, ed) = (pem(SigningAlg::Es256), pem(SigningAlg::EdDsa));
    let keys = with_keys(&[&rs, &ps, &es, &ed]);
    let app = spawn_app_with(move |c| {
        keys(c);
        c.set("clients.app-a", "id_token_signed_response_alg", "ES256")
            .set("clients.app-b", "id_token_signed_response_alg", "EdDSA")
            .set("clients.public-app", "id_token_signed_response_alg", "PS256");
    })
    .await;
    let discovery = app.browse("/.well-known/openid-configuration").await.json();
    let algs = serde_json::json!(["RS256", "PS256", "ES256", "EdDSA"]);
    assert_eq!(discovery["id_token_signing_alg_values_supported"], algs);
    let jwks: JwkSet = serde_json::from_value(app.browse("/jwks").await.json()).unwrap();
    assert_eq!(jwks.keys.len(), 4);
    assert!(app.browse("/jwks").await.body.find("\"d\"").is_none(), "the JWKS publishes public keys only");

    for (client, alg, jose) in [
        (&APP_A, SigningAlg::Es256, Algorithm::ES256),
        (&APP_B, SigningAlg::EdDsa, Algorithm::EdDSA),
        (&PUBLIC_APP, SigningAlg::Ps256, Algorithm::PS256),
    ] {
        let tokens = app.full_login(client, "openid profile email").await;
        let id_token = tokens["id_token"].as_str().unwrap();
        let claims = app.verify_id_token_with(id_token, client.id, jose).await;
        assert_eq!(claims["at_hash"], at_hash(tokens["access_token"].as_str().unwrap(), alg), "{alg}");
        // Hostile: the same token presented as another algorithm does not verify.
        // (An RSA-PSS signature presented as RS256, with its own key, included.)
        let other = if jose == Algorithm::RS256 { Algorithm::ES256 } else { Algorithm::RS256 };
        assert!(verify_with_jwks(id_token, &jwks, &app.public_url, client.id, other).is_err(), "{alg}");
        // A tampered signature does not verify.
        let (body, sig) = id_token.rsplit_once('.').unwrap();
        let flipped = if sig.starts_with('A') { sig.replacen('A', "B", 1) } else { format!("A{}", &sig[1..]) };
        assert!(verify_with_jwks(&format!("{body}.{flipped}"), &jwks, &app.public_url, client.id, jose).is_err());
    }

    // claimgate accepts its own ES256 token as a logout hint.
    let a = app.full_login(&APP_A, "openid").await;
    let url = format!(
        "/logout?id_token_hint={}&post_logout_redirect_uri=http://127.0.0.1:9/bye-a",
        a["id_token"].as_str().unwrap()
    );
    assert_eq!(app.browse(&url).await.location().as_deref(), Some("http://127.0.0.1:9/bye-a"));
}

#[tokio::test]
async fn a_key_is_published_before_it_signs_and_its_tokens_stop_verifying_once_it_is_removed() {
    let (old, new) = (pem(SigningAlg::Rs256), pem(SigningAlg::Rs256));
    // 1. The old key signs.
    let before = spawn_app_with(with_keys(&[&old])).await;
    let old_token = before.full_login(&APP_A, "openid").await["id_token"].as_str().unwrap().to_owned();
    let issuer = before.public_url.clone();

    // 2. The new key is published, the old one still signs.
    let publish = spawn_app_with(with_keys(&[&old, &new])).await;
    let published = jwks_of(&publish).await;
    assert_eq!(published.keys.len(), 2);
    let t = publish.full_login(&APP_A, "openid").await["id_token"].as_str().unwrap().to_owned();
    assert_eq!(kid(&t), kid(&old_token), "the first key signs");

    // 3. The new key signs; the old one stays published: its tokens verify.
    let rotated = spawn_app_with(with_keys(&[&new, &old])).await;
    let new_token = rotated.full_login(&APP_A, "openid").await["id_token"].as_str().unwrap().to_owned();
    assert_ne!(kid(&new_token), kid(&old_token));
    let jwks = jwks_of(&rotated).await;
    assert!(verify_with_jwks(&new_token, &jwks, &rotated.public_url, "app-a", Algorithm::RS256).is_ok());
    assert!(verify_with_jwks(&old_token, &jwks, &issuer, "app-a", Algorithm::RS256).is_ok());
    // kids are derived from the key: the same key has the same kid everywhere.
    assert_eq!(jwks_of(&before).await.keys[0].common.key_id, jwks.keys[1].common.key_id);

    // 4. The old key is removed: its tokens no longer verify.
    let retired = spawn_app_with(with_keys(&[&new])).await;
    let jwks = jwks_of(&retired).await;
    assert_eq!(jwks.keys.len(), 1);
    let refused = verify_with_jwks(&old_token, &jwks, &issuer, "app-a", Algorithm::RS256).unwrap_err();
    assert!(refused.contains("not in the JWKS"), "{refused}");
}

/// `Keys::load` on a test config edited by `edit`: the error, as text.
fn key_error(edit: impl FnOnce(&mut ConfigEdit)) -> String {
    let mut c = base_config();
    edit(&mut c);
    let config = Config::parse(&c.to_string(), |_| None).unwrap();
    Keys::load(&config).unwrap_err().to_string()
}

#[test]
fn key_errors_name_their_key() {
    let rs = pem(SigningAlg::Rs256);
    let rs_only = with_keys(&[&rs]);
    let e = key_error(move |c| {
        rs_only(c);
        c.set("clients.app-a", "id_token_signed_response_alg", "ES256");
    });
    assert!(e.starts_with("clients.app-a.id_token_signed_response_alg:") && e.contains("no ES256 key"), "{e}");
    let es = pem(SigningAlg::Es256);
    let es_only = with_keys(&[&es]);
    let e = key_error(es_only);
    assert!(e.starts_with("keys.signing_keys:") && e.contains("no RS256 key"), "OIDC requires RS256: {e}");
    let e = key_error(with_keys(&[&rs, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"]));
    assert!(e.starts_with("keys.signing_keys[1]:"), "{e}");
    assert!(!e.contains("AAAA"), "errors never echo key material: {e}");
    let e = key_error(with_keys(&["not a key"]));
    assert!(e.starts_with("keys.signing_keys[0]:") && e.contains("PEM"), "{e}");
}

#[test]
fn signing_key_options_are_exclusive_and_algorithms_are_named() {
    let error = |edit: &dyn Fn(&mut ConfigEdit)| {
        let mut c = base_config();
        edit(&mut c);
        Config::parse(&c.to_string(), |_| None).unwrap_err().to_string()
    };
    let e = error(&|c| {
        c.set("keys", "signing_key", "x").set_list("keys", "signing_keys", &["y"]);
    });
    assert!(e.starts_with("keys.signing_keys:") && e.contains("only one of"), "{e}");
    let e = error(&|c| {
        c.set_list("keys", "signing_key_files", &[]);
    });
    assert!(e.starts_with("keys.signing_key_files:"), "{e}");
    let e = error(&|c| {
        c.set("clients.app-a", "id_token_signed_response_alg", "HS256");
    });
    assert!(e.starts_with("clients.app-a.id_token_signed_response_alg:") && e.contains("HS256"), "{e}");
}

#[test]
fn keys_generate_prints_a_keys_section_a_shared_store_accepts() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_claimgate"))
        .args(["keys", "generate", "--alg", "ES256", "--alg", "EdDSA"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let section = String::from_utf8(out.stdout).unwrap();
    // Replace the test's own [keys] with the generated one, on a shared store
    // (which refuses to start without every key).
    let mut c = base_config();
    c.set("store", "kind", "redis").set("store", "url", "redis://127.0.0.1:1").replace_tables(&section);
    let config = Config::parse(&c.to_string(), |_| None).expect("the generated section is valid config");
    let keys = Keys::load(&config).unwrap();
    assert_eq!(keys.signing.algs(), [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa]);
    assert!(keys.generated.is_empty(), "nothing left to generate: {:?}", keys.generated);

    let storage = std::process::Command::new(env!("CARGO_BIN_EXE_claimgate"))
        .args(["keys", "generate", "--only", "storage-key"])
        .output()
        .unwrap();
    let storage = String::from_utf8(storage.stdout).unwrap();
    let (id, key) = storage.trim().split_once(':').unwrap();
    assert!(id.starts_with('k') && key.len() == 44, "KEY_ID:BASE64 of 32 bytes: {id}");
}

//! The leak test. The test identity provider puts a unique marker into every
//! claim claimgate must drop, into its `sub`, into its codes and into every
//! token it issues. After complete flows, no marker may appear — raw or
//! base64/base64url encoded — in anything claimgate sent (bodies, headers,
//! cookies), in any log line it wrote at the most verbose level, or in any
//! stored value.

use crate::helpers::*;
use crate::idp::Misbehaviour;

/// Logins by two apps, userinfo, the user's own page, a failed login, and
/// logout; returns the app for inspection.
async fn exercise(store: Option<TestStore>) -> TestApp {
    let app = spawn(Options { store, ..Options::default() }).await;
    let a = app.full_login(&APP_A, "openid profile email").await;
    app.userinfo(a["access_token"].as_str().unwrap()).await;
    app.full_login(&APP_B, "openid profile email").await;
    app.full_login(&PUBLIC_APP, "openid email").await;
    assert!(app.browse("/me").await.body.contains("Jane Doe"));
    app.idp.misbehave(Misbehaviour::UnverifiedEmail);
    assert!(matches!(app.login(&APP_A, "openid", &[("prompt", "login")]).await, LoginEnd::Page(..)));
    app.idp.misbehave(Misbehaviour::None);
    app.full_login(&APP_A, "openid").await;
    app
}

async fn assert_no_leak(app: &TestApp) {
    let marker = app.idp.marker();
    let seen = app.seen.lock().unwrap().join("\n---\n");
    let logs = logs();
    let store = app.store_dump().await;
    assert!(store.contains("session:"), "the store holds the session");
    assert!(seen.contains("set-cookie"), "cookies were captured");
    for (what, text) in [("responses", &seen), ("logs", &logs), ("store", &store)] {
        assert!(!contains_encoded(text, marker), "an upstream value leaked into {what}");
    }
    // Store keys are hashes, never an email.
    for key in app.store.dump().await.into_iter().map(|(k, _)| k) {
        assert!(!key.contains('@') && !key.contains("jane"), "{key}");
    }
}

#[tokio::test]
async fn nothing_upstream_leaks_on_the_memory_store() {
    let app = exercise(None).await;
    assert_no_leak(&app).await;
}

#[tokio::test]
async fn nothing_upstream_leaks_on_redis() {
    let app = exercise(Some(TestStore::redis())).await;
    assert_no_leak(&app).await;
    app.store.cleanup().await;
}

/// The same capture and checker catch a leak when one is introduced: here a
/// dropped claim's value, base64url-encoded inside a JSON blob, written
/// through the same tracing pipeline claimgate logs through.
#[tokio::test]
async fn the_leak_test_fails_when_a_leak_is_introduced() {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let app = exercise(None).await;
    let marker = app.idp.marker().to_owned();
    assert!(!contains_encoded(&logs(), &marker));
    let leaked = URL_SAFE_NO_PAD.encode(format!("{{\"family_name\":\"Family{marker}\"}}"));
    tracing::trace!(target: "claimgate::journey::callback", blob = %leaked, "a deliberate leak");
    assert!(contains_encoded(&logs(), &marker), "the checker must see the leak");
    // And in a response body or a stored value alike.
    assert!(contains_encoded(&format!("{}{leaked}", app.seen.lock().unwrap().join("")), &marker));
}

#[test]
fn the_leak_checker_finds_encoded_markers() {
    use base64::{engine::general_purpose::*, Engine};
    let marker = "MARKabc123xyz";
    for prefix in ["", "a", "ab"] {
        let raw = format!("{prefix}{marker}\"}}");
        for encoded in [STANDARD.encode(&raw), URL_SAFE_NO_PAD.encode(&raw)] {
            assert!(contains_encoded(&format!("xx{encoded}yy"), marker), "missed {raw} as {encoded}");
        }
    }
    assert!(contains_encoded(&format!("log {marker} line"), marker));
    assert!(!contains_encoded("nothing to see here, not even MARKabc12", marker));
}

#[tokio::test]
async fn the_audit_event_lists_claim_names_and_no_value() {
    let app = spawn_app_with(|c| {
        c.set("notice", "version", "audit-v9");
    })
    .await;
    app.full_login(&APP_A, "openid profile email").await;
    let logs = logs();
    let line = logs
        .lines()
        .find(|l| l.contains("claimgate::audit") && l.contains("audit-v9") && l.contains("outcome=\"success\""))
        .expect("one audit event for the login");
    for name in ["received=", "kept=", "dropped=", "\"given_name\"", "\"phone_number\"", "provider=idp", "client=app-a"]
    {
        assert!(line.contains(name), "{name} missing from {line}");
    }
    for value in ["Jane Doe", "jane.doe@example.com", "googleusercontent", app.idp.marker()] {
        assert!(!line.contains(value), "{value} in {line}");
    }
}

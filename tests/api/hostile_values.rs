//! What an upstream (or a crafted callback URL) sends that no app expects
//! (issue 11): profile values outside the value rules, organisation rules
//! that a consumer account or another tenant could get around, and an
//! unvalidated provider id in the log.

use crate::helpers::*;
use crate::idp::Misbehaviour;
use serde_json::json;

#[tokio::test]
async fn values_outside_the_rules_never_reach_an_app() {
    let app = spawn_app().await;
    app.idp.set_claim("name", json!("N".repeat(200_000)));
    app.idp.set_claim("picture", json!("http://tracker.example/jane.png"));
    let tokens = app.full_login(&APP_A, "openid profile email").await;
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
    let info = app.userinfo(tokens["access_token"].as_str().unwrap()).await.json();
    for claims in [&id, &info] {
        let names: Vec<&String> = claims.as_object().unwrap().keys().collect();
        assert!(claims.get("name").is_none() && claims.get("picture").is_none(), "{names:?}");
        assert_eq!(claims["email"], "jane.doe@example.com");
    }
    assert!(logs().contains("invalid=[\"name_too_long\", \"picture_not_https\"]"), "the reasons are audited");
    let metrics = app.state.metrics.render();
    assert!(metrics.contains(
        "claimgate_profile_values_refused_total{claim=\"name\",provider=\"idp\",reason=\"name_too_long\"} 1"
    ));
}

#[tokio::test]
async fn control_characters_leave_the_name_and_a_malformed_email_refuses_the_sign_in() {
    let app = spawn_app().await;
    app.idp.set_claim("name", json!("Jane\u{1b}[2J\r\nDoe"));
    let tokens = app.full_login(&APP_A, "openid profile").await;
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
    assert_eq!(id["name"], "Jane[2JDoe");

    app.idp.set_claim("email", json!("jane.doe@example.com\nBcc: victim@example.com"));
    match app.login(&APP_A, "openid email", &[("prompt", "login")]).await {
        LoginEnd::Page(403, body) => assert!(body.contains("did not send an email address"), "{body}"),
        other => panic!("a malformed address must not sign in: {other:?}"),
    }
}

#[tokio::test]
async fn hosted_domains_refuse_a_consumer_account_with_an_address_at_the_domain() {
    let app = spawn_app_with(|c| {
        c.set_list("providers.idp", "hosted_domains", &["corp.example"]);
    })
    .await;
    app.idp.set_claim("email", json!("jane@corp.example"));
    app.idp.set_claim("hd", serde_json::Value::Null);
    match app.login(&APP_A, "openid email", &[]).await {
        LoginEnd::Page(403, body) => assert!(body.contains("Workspace domain is not allowed"), "{body}"),
        other => panic!("no hd, no sign-in: {other:?}"),
    }
    app.idp.set_claim("hd", json!("corp.example"));
    app.full_login(&APP_A, "openid email").await;
}

#[tokio::test]
async fn a_domain_rule_needs_a_verified_address() {
    let app = spawn_app_with(|c| {
        c.set("providers.idp", "allow_unverified_email", true).set_list(
            "providers.idp",
            "allowed_email_domains",
            &["example.com"],
        );
    })
    .await;
    app.idp.misbehave(Misbehaviour::UnverifiedEmail);
    match app.login(&APP_A, "openid email", &[]).await {
        LoginEnd::Page(403, _) => {}
        other => panic!("an unverified address cannot prove its domain: {other:?}"),
    }
}

#[tokio::test]
async fn allowed_tenants_refuse_another_tenant() {
    // The test IdP's `common` endpoint: its tokens carry tid = crate::idp::TENANT.
    let tenant_app = |tenants: &'static str| {
        spawn_app_with(move |c| {
            multi_tenant_idp(c);
            c.set_list("providers.idp", "allowed_tenants", &[tenants]);
        })
    };
    let other = tenant_app("72f988bf-86f1-41af-91ab-2d7cd011db47").await;
    match other.login(&APP_A, "openid", &[]).await {
        LoginEnd::Page(403, body) => assert!(body.contains("organisation is not allowed"), "{body}"),
        other => panic!("{other:?}"),
    }
    let pinned = tenant_app(crate::idp::TENANT).await;
    pinned.full_login(&APP_A, "openid").await;
    // The running instance's disclosure document shows the tenant rule it enforces.
    let doc = pinned.browse("/.well-known/claimgate-disclosure").await.json();
    let rules = doc["providers"][0]["rules"].as_array().expect("the provider's rules");
    let tenant_rule = rules.iter().find(|r| r["key"] == "providers.idp.allowed_tenants").expect("a tenant rule");
    assert!(tenant_rule["value"].as_str().unwrap().contains(crate::idp::TENANT), "{tenant_rule}");
    assert!(tenant_rule["effect"].as_str().unwrap().contains("refused"), "{tenant_rule}");
}

#[tokio::test]
async fn a_crafted_provider_id_is_not_logged() {
    let app = spawn_app().await;
    let r = app.browse("/callback/x%0A2026-01-01T00:00:00Z%20INFO%20forged-line?state=s&code=c").await;
    assert_eq!(r.status, 404);
    assert!(!logs().contains("forged-line"), "the unvalidated path reached the log");
}

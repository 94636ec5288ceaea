//! Microsoft's multi-tenant endpoints: a template issuer in discovery, and
//! each ID token's `iss` checked against the template with its own `tid`.

use crate::helpers::*;
use crate::idp::Misbehaviour;

async fn spawn_tenant_app() -> TestApp {
    // The test IdP serves a `common` endpoint whose discovery names the
    // issuer `{base}/{tenantid}/v2.0`.
    spawn_app_with(multi_tenant_idp).await
}

#[tokio::test]
async fn multi_tenant_login_is_accepted_with_the_tokens_own_tenant() {
    let app = spawn_tenant_app().await;
    let tokens = app.full_login(&APP_A, "openid profile email").await;
    let id = app.verify_id_token(tokens["id_token"].as_str().unwrap(), APP_A.id).await;
    assert_eq!(id["email"], "jane.doe@example.com");
    assert!(id.get("tid").is_none(), "the tenant id is dropped like any other claim");
}

async fn refused(m: Misbehaviour) {
    let app = spawn_tenant_app().await;
    app.idp.misbehave(m);
    match app.login(&APP_A, "openid", &[]).await {
        LoginEnd::Page(502, _) => {}
        other => panic!("{m:?} accepted: {other:?}"),
    }
}

#[tokio::test]
async fn an_issuer_of_another_tenant_than_tid_is_refused() {
    refused(Misbehaviour::WrongTenantIssuer).await;
}

#[tokio::test]
async fn a_tid_that_is_not_a_guid_is_refused() {
    refused(Misbehaviour::TenantNotGuid).await;
}

#[tokio::test]
async fn a_plain_wrong_issuer_is_still_refused_in_tenant_mode() {
    refused(Misbehaviour::WrongIssuer).await;
}

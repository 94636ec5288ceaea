//! The client-credentials grant (RFC 6749 §4.4), for one purpose: a Shared
//! Signals receiver (`ssf = true`) managing its stream (scope `ssf`). The
//! token names the client and no user: `/userinfo` does not know it, and it
//! opens only the stream endpoints. A DPoP proof binds it (RFC 9449 §5).

use crate::config::OidcApp;
use crate::protocol::dpop::Dpop;
use crate::protocol::errors::{OAuthError, TokenError};
use crate::state::AppState;
use crate::store::records::{AccessToken, ClientGrant};
use actix_web::http::header;
use actix_web::HttpResponse;
use serde_json::json;
use std::collections::HashMap;

/// The one scope this grant gives.
pub const SSF_SCOPE: &str = "ssf";

pub async fn grant(
    state: &AppState,
    client: OidcApp<'_>,
    params: &HashMap<String, String>,
    dpop: &Dpop,
) -> Result<HttpResponse, TokenError> {
    // §4.4: confidential clients only (a public client cannot be `ssf`, config).
    if !client.signals.is_managed() || client.is_public() {
        tracing::warn!(client = %client.id, reason = "not_an_ssf_receiver", "token refused");
        let why = "this client may not use client_credentials (it needs ssf = true)";
        return Err(TokenError::new(OAuthError::UnauthorizedClient, why));
    }
    // §3.3: absent, the default; present, only `ssf`.
    let scope = params.get("scope").map_or(SSF_SCOPE, String::as_str);
    if scope.split(' ').any(|s| s != SSF_SCOPE) {
        return Err(TokenError::new(OAuthError::InvalidScope, "client_credentials gives scope ssf only"));
    }
    dpop.spend().await?;
    let token = AccessToken::random();
    let lifetime = state.config.lifetimes.access_token;
    let jkt = dpop.proof().map(|p| p.jkt.clone());
    let g = ClientGrant {
        client_id: client.id.clone(),
        scope: SSF_SCOPE.into(),
        jkt: jkt.clone(),
        issued_at: state.now(),
        expires_at: state.now() + i64::try_from(lifetime.as_secs()).unwrap_or(600),
    };
    state.records.put_client_grant(&token, &g, lifetime).await?;
    tracing::info!(client = %client.id, scope = SSF_SCOPE, grant_type = "client_credentials", dpop = jkt.is_some(), outcome = "success", "tokens issued");
    let mut response = HttpResponse::Ok();
    response.insert_header((header::PRAGMA, "no-cache"));
    dpop.nonce_on(&mut response);
    Ok(response.json(json!({
        "access_token": token.as_str(),
        // RFC 9449 §5: a bound token's type is DPoP.
        "token_type": if jkt.is_some() { "DPoP" } else { "Bearer" },
        "expires_in": lifetime.as_secs(),
        "scope": SSF_SCOPE,
    })))
}

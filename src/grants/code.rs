//! The authorization-code grant (RFC 6749 §4.1.3): the code taken once (a
//! replay revokes what it gave), its client, redirect URI, PKCE verifier
//! (RFC 7636 §4.6) and DPoP key (RFC 9449 §10) checked.

use super::issue::{issue, Grant};
use crate::config::OidcApp;
use crate::protocol::dpop::Dpop;
use crate::protocol::errors::TokenError;
use crate::state::AppState;
use crate::store::records::Code;
use actix_web::HttpResponse;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

/// RFC 6749 §4.1.3: the authorization-code grant.
pub async fn grant(
    state: &AppState,
    client: OidcApp<'_>,
    params: &HashMap<String, String>,
    dpop: &Dpop,
) -> Result<HttpResponse, TokenError> {
    let code = Code::presented(params.get("code").ok_or_else(|| TokenError::invalid_request("code is required"))?);
    // Consumed atomically: a replayed code finds nothing.
    let Some(grant) = state.records.take_code(&code).await? else {
        // RFC 6749 §4.1.2: a code presented twice revokes the tokens issued from it.
        let reason = match state.records.revoke_replayed_code(&code).await? {
            true => "code_replayed",
            false => "unknown_or_used_code",
        };
        tracing::warn!(client = %client.id, reason, "token refused");
        return Err(TokenError::invalid_grant("the code is invalid, expired or already used"));
    };
    let request = &grant.request;
    if request.client_id != client.id {
        tracing::warn!(client = %client.id, reason = "code_of_another_client", "token refused");
        return Err(TokenError::invalid_grant("the code was issued to another client"));
    }
    if params.get("redirect_uri") != Some(&request.redirect_uri) {
        return Err(TokenError::invalid_grant("redirect_uri does not match the authorization request"));
    }
    match (&request.code_challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if !bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                tracing::warn!(client = %client.id, reason = "pkce_mismatch", "token refused");
                return Err(TokenError::invalid_grant("code_verifier does not match the code_challenge"));
            }
        }
        (Some(_), None) => return Err(TokenError::invalid_grant("code_verifier is required")),
        // A verifier without a challenge is a downgrade attempt (RFC 9700 §2.1.1).
        (None, Some(_)) => return Err(TokenError::invalid_grant("no code_challenge was sent for this code")),
        // A public client must prove PKCE here too, whatever the code says.
        (None, None) if client.is_public() => {
            return Err(TokenError::invalid_grant("public clients must use PKCE"));
        }
        (None, None) => {}
    }
    // RFC 9449 §10: a code bound to a DPoP key is redeemed only with it.
    if let Some(bound) = &request.dpop_jkt {
        dpop.bound_to(bound)?;
    }
    // The request is known good: its proof is now used (RFC 9449 §11.1).
    dpop.spend().await?;

    issue(
        state,
        client,
        Grant {
            session_id: &grant.session,
            scope: &request.scope,
            refresh_scope: &request.scope,
            nonce: request.nonce.as_deref(),
            auth_time: grant.auth_time,
            code: Some(&code),
            family: None,
            kept_refresh: None,
            claims: request.claims.as_ref(),
            dpop,
        },
    )
    .await
}

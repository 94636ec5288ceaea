//! The refresh-token grant (RFC 6749 §6, OIDC Core §12): rotation on every
//! use, and reuse detection that revokes the whole family (RFC 9700 §4.14.2).
//! The refreshed tokens are built from the stored profile: claimgate holds
//! no upstream token, so nothing is fetched upstream.

use super::errors::{OAuthError, TokenError};
use super::issue::{issue, Grant};
use super::{session, AppState};
use crate::config::ClientConfig;
use crate::dpop::Proof;
use crate::policy::disclosure::Scopes;
use actix_web::HttpResponse;
use std::collections::HashMap;

pub(super) async fn grant(
    state: &AppState,
    client: &ClientConfig,
    params: &HashMap<String, String>,
    proof: Option<&Proof>,
) -> Result<HttpResponse, TokenError> {
    let token = params.get("refresh_token").ok_or_else(|| TokenError::invalid_request("refresh_token is required"))?;
    // RFC 9449 §5: a public client's refresh token is bound to its DPoP key.
    // Checked before the token is consumed, so that someone holding a
    // stolen one without the key cannot spend it for the client.
    if client.is_public() {
        if let Some(bound) = state.records.get_refresh(token).await?.and_then(|g| g.jkt) {
            super::token::bound_key(state, &bound, proof)?;
        }
    }
    // Consumed atomically: of two racing uses, one wins and the other is a reuse.
    let Some(g) = state.records.take_refresh(token).await? else {
        if let Some(family) = state.records.rotated_family(token).await? {
            // A rotated token came back: two parties hold this grant, one of
            // them not the client. Revoke everything issued from it.
            let revoked = state.records.revoke_family(&family.family).await?;
            // The app is told its sign-in ended (Back-Channel Logout 1.0).
            if let Some(session) = state.records.get_session_by_ref(&family.session_ref).await? {
                crate::backchannel::session_ended(&state.into(), &family.session_ref, &session, Some(&client.id))
                    .await?;
            }
            state.metrics.refresh_reuse.with_label_values(&[&client.id]).inc();
            tracing::warn!(target: "claimgate::audit", client = %client.id, revoked, reason = "refresh_token_reuse", outcome = "family_revoked", "token refused");
            return Err(TokenError::invalid_grant("the refresh token was already used; its grant is revoked"));
        }
        tracing::warn!(client = %client.id, reason = "unknown_refresh_token", "token refused");
        return Err(TokenError::invalid_grant("the refresh token is invalid, expired or revoked"));
    };
    if g.client_id != client.id {
        // RFC 6749 §6: bound to the client it was issued to. Another client
        // holding it means it leaked: the grant is revoked.
        state.records.revoke_family(&g.family).await?;
        tracing::warn!(target: "claimgate::audit", client = %client.id, reason = "refresh_token_of_another_client", outcome = "family_revoked", "token refused");
        return Err(TokenError::invalid_grant("the refresh token was issued to another client"));
    }
    let Some(session) = state.records.get_session(&g.session).await? else {
        return Err(TokenError::invalid_grant("the sign-in session has ended"));
    };
    // Remembered while the session lives, so that its reuse is recognised.
    state.records.note_rotated(token, &g, session::until_end(state, &session), &session.user_key).await?;

    let granted = Scopes::parse(&g.scope);
    let scope = match params.get("scope") {
        None => granted.as_string(),
        Some(asked) => {
            let asked = Scopes::parse(asked);
            if !granted.includes(&asked) {
                return Err(TokenError::new(OAuthError::InvalidScope, "the scope exceeds the original grant"));
            }
            asked.as_string()
        }
    };
    issue(
        state,
        client,
        Grant {
            session_id: &g.session,
            scope: &scope,
            refresh_scope: &g.scope,
            nonce: None,
            auth_time: g.auth_time,
            code: None,
            family: Some(g.family),
            dpop: proof,
        },
    )
    .await
}

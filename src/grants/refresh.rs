//! The refresh-token grant (RFC 6749 §6, OIDC Core §12): rotation on every
//! use, and reuse detection that revokes the whole family (RFC 9700 §4.14.2);
//! for a FAPI 2.0 client, no rotation (the profile allows it only in
//! extraordinary circumstances: its tokens are bound to its key instead).
//! The refreshed tokens are built from the stored profile: claimgate holds
//! no upstream token, so nothing is fetched upstream.
//!
//! Nothing is done to a token unless the client that owns it presents it
//! (with its DPoP key, for a bound one): another party's presentation is
//! refused, audited and counted, and revokes nothing (as at `/revoke`).

use super::issue::{issue, session_ended, Grant};
use crate::account::session;
use crate::config::{ClientConfig, OidcApp};

use crate::policy::disclosure::Scopes;
use crate::protocol::dpop::Dpop;
use crate::protocol::errors::{OAuthError, TokenError};
use crate::state::AppState;
use crate::store::records::{RefreshGrant, RefreshToken, Rotation};
use actix_web::HttpResponse;
use std::collections::HashMap;

fn unknown(client: &ClientConfig) -> TokenError {
    tracing::warn!(client = %client.id, reason = "unknown_refresh_token", "token refused");
    TokenError::invalid_grant("the refresh token is invalid, expired or revoked")
}

/// A token presented by a client that does not own it, or without the key
/// it is bound to: refused, and nothing is done to it.
fn misplaced(state: &AppState, client: OidcApp<'_>, reason: &'static str) {
    state.metrics.refresh_misplaced.with_label_values(&[&client.id]).inc();
    tracing::warn!(target: "claimgate::audit", client = %client.id, reason, outcome = "refused", "token refused");
}

pub async fn grant(
    state: &AppState,
    client: OidcApp<'_>,
    params: &HashMap<String, String>,
    dpop: &Dpop,
) -> Result<HttpResponse, TokenError> {
    let token = params.get("refresh_token").ok_or_else(|| TokenError::invalid_request("refresh_token is required"))?;
    let token = &RefreshToken::presented(token.as_str());
    // Read, not used: whoever presents it must first be its owner.
    let Some(seen) = state.records.get_refresh(token).await? else { return Err(unknown(&client)) };
    // RFC 6749 §6: bound to the client it was issued to.
    if seen.client_id != client.id {
        misplaced(state, client, "refresh_token_of_another_client");
        return Err(TokenError::invalid_grant("the refresh token was issued to another client"));
    }
    // RFC 9449 §5: a public client's refresh token is bound to its DPoP key,
    // its only authentication.
    if let Some(bound) = seen.jkt.as_deref().filter(|_| client.is_public()) {
        if let Err(e) = dpop.bound_to(bound) {
            misplaced(state, client, "refresh_token_without_its_key");
            return Err(e);
        }
    }
    if seen.rotated {
        return Err(reused(state, client, &seen).await?);
    }
    // The session and the client's policy as configured now, as for SSO
    // (`session::serves`): a refresh is a sign-in without the browser.
    let Some(session) = state.records.get_session(&seen.session).await? else { return Err(session_ended()) };
    if session::remaining(state, &session).is_none() {
        return Err(session_ended());
    }
    if !session::admits(state, &client, &session.provider, &session.profile) {
        tracing::warn!(target: "claimgate::audit", client = %client.id, provider = %session.provider, reason = "provider_policy", outcome = "refused", "token refused");
        return Err(TokenError::invalid_grant("the sign-in no longer meets this application's provider rules"));
    }
    let scope = match params.get("scope") {
        None => seen.scope,
        Some(asked) => {
            let asked = Scopes::parse(asked);
            if !seen.scope.includes(&asked) {
                return Err(TokenError::new(OAuthError::InvalidScope, "the scope exceeds the original grant"));
            }
            asked
        }
    };
    // The request is known good but for a replayed proof: its jti is spent
    // before the token is used, so that a thief replaying the owner's proof
    // with a stolen token spends nothing (RFC 9449 §11.1).
    dpop.spend().await?;
    // FAPI 2.0 Security Profile §5.3.2.1: no rotation for such a client;
    // the token stays valid, and reuse is no signal.
    if client.oidc.fapi2 {
        return issue(state, client, refreshed(&seen, &scope, dpop, Some(token))).await;
    }
    // Used and marked rotated in one store operation: of two racing uses,
    // the loser finds the marker (RFC 9700 §4.14.2).
    let g = match state.records.rotate_refresh(token, &seen, session::until_end(state, &session)).await? {
        Rotation::Used(g) => g,
        Rotation::Reused(g) => return Err(reused(state, client, &g).await?),
        Rotation::Gone => return Err(unknown(&client)),
    };
    issue(state, client, refreshed(&g, &scope, dpop, None)).await
}

/// What a refresh issues: the grant's tokens for `scope`, in its family.
fn refreshed<'a>(g: &'a RefreshGrant, scope: &'a Scopes, dpop: &'a Dpop, kept: Option<&'a RefreshToken>) -> Grant<'a> {
    Grant {
        session_id: &g.session,
        scope,
        refresh_scope: &g.scope,
        nonce: None,
        auth_time: g.auth_time,
        code: None,
        family: Some(g.family.clone()),
        kept_refresh: kept,
        claims: g.claims.as_ref(),
        dpop,
    }
}

/// The owner presented a rotated token: two parties hold this grant, one
/// of them not the client. Everything issued from it is revoked, and the
/// owner is told its sign-in ended (Back-Channel Logout 1.0).
async fn reused(state: &AppState, client: OidcApp<'_>, g: &RefreshGrant) -> Result<TokenError, TokenError> {
    let revoked = state.records.revoke_family(&g.family).await?;
    if let Some(session) = state.records.get_session(&g.session).await? {
        let reference = crate::store::records::session_ref(&g.session);
        let action = crate::signals::Action::new(crate::secevent::Initiator::Policy);
        crate::backchannel::session_ended(&state.into(), &reference, &session, Some(&g.client_id), &action).await?;
    }
    state.metrics.refresh_reuse.with_label_values(&[&client.id]).inc();
    tracing::warn!(target: "claimgate::audit", client = %client.id, revoked, reason = "refresh_token_reuse", outcome = "family_revoked", "token refused");
    Ok(TokenError::invalid_grant("the refresh token was already used; its grant is revoked"))
}

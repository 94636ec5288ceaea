//! `POST /revoke` (RFC 7009): an app revokes one of its tokens. A public
//! client's DPoP-bound refresh token is revoked only with a proof by its
//! key (RFC 9449 §5): the key is all that client's authentication is.

use crate::protocol::client_auth::authenticated_form;
use crate::protocol::dpop::DpopRequest;
use crate::protocol::errors::TokenError;
use crate::state::AppState;
use crate::store::records::{AccessToken, RefreshToken};
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    dpop: DpopRequest,
    body: web::Bytes,
) -> Result<HttpResponse, TokenError> {
    let (client, params) = authenticated_form(&state, &req, &body).await?;
    let token = params.get("token").ok_or_else(|| TokenError::invalid_request("token is required"))?;
    // §2.1: either kind of token; the hint is only a hint, both are tried.
    let (access, refresh) = (AccessToken::presented(token.as_str()), RefreshToken::presented(token.as_str()));
    // A proof sent here must be valid, and is then used (RFC 9449 §4.3).
    let dpop = dpop.checked()?;
    // §2.2: unknown, expired and (to avoid an oracle) other clients' tokens
    // all answer 200; only the owner's token is actually revoked.
    if let Some(grant) = state.records.get_access(&access).await? {
        if grant.client_id == client.id {
            state.records.delete_access(&access).await?;
            tracing::info!(client = %client.id, outcome = "revoked", "token revocation");
        } else {
            tracing::warn!(client = %client.id, reason = "token_of_another_client", "token revocation refused");
        }
    } else if let Some(grant) = state.records.get_client_grant(&access).await? {
        // A Shared Signals receiver's client_credentials token.
        if grant.client_id == client.id {
            state.records.delete_client_grant(&access).await?;
            tracing::info!(client = %client.id, outcome = "revoked", "token revocation");
        } else {
            tracing::warn!(client = %client.id, reason = "token_of_another_client", "token revocation refused");
        }
    } else if let Some(grant) = state.records.get_refresh(&refresh).await?.filter(|g| !g.rotated) {
        // §2.1: revoking a refresh token also ends the access tokens of the
        // same grant: its whole family.
        if grant.client_id == client.id {
            if let Some(bound) = grant.jkt.as_deref().filter(|_| client.is_public()) {
                dpop.bound_to(bound)?;
            }
            let revoked = state.records.revoke_family(&grant.family).await?;
            tracing::info!(client = %client.id, revoked, outcome = "revoked", "refresh token revocation");
        } else {
            tracing::warn!(client = %client.id, reason = "token_of_another_client", "token revocation refused");
        }
    }
    let mut response = HttpResponse::Ok();
    dpop.spend().await?;
    dpop.nonce_on(&mut response);
    Ok(response.finish())
}

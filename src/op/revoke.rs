//! `POST /revoke` (RFC 7009): an app revokes one of its access tokens.

use super::errors::TokenError;
use super::token::authenticated_form;
use super::AppState;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, TokenError> {
    let (client, params) = authenticated_form(&state, &req, &body)?;
    let token = params.get("token").ok_or_else(|| TokenError::invalid_request("token is required"))?;
    // §2.2: unknown, expired and (to avoid an oracle) other clients' tokens
    // all answer 200; only the owner's token is actually revoked.
    if let Some(grant) = state.records.get_access(token).await? {
        if grant.client_id == client.id {
            state.records.delete_access(token).await?;
            tracing::info!(client = %client.id, outcome = "revoked", "token revocation");
        } else {
            tracing::warn!(client = %client.id, reason = "token_of_another_client", "token revocation refused");
        }
    } else if let Some(grant) = state.records.get_refresh(token).await? {
        // §2.1: revoking a refresh token also ends the access tokens of the
        // same grant: its whole family.
        if grant.client_id == client.id {
            let revoked = state.records.revoke_family(&grant.family).await?;
            tracing::info!(client = %client.id, revoked, outcome = "revoked", "refresh token revocation");
        } else {
            tracing::warn!(client = %client.id, reason = "token_of_another_client", "token revocation refused");
        }
    }
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).finish())
}

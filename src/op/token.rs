//! `POST /token`: the authorization-code and refresh-token grants, and
//! client credentials for Shared Signals receivers. Client
//! authentication by client_secret_basic or client_secret_post
//! (constant-time comparison), or none for public clients, which must then
//! prove PKCE. A DPoP proof (RFC 9449 §5) binds the tokens issued to its key.

use crate::grants;
use crate::protocol::client_auth::authenticated_form;
use crate::protocol::dpop::{DpopError, DpopRequest};
use crate::protocol::errors::{OAuthError, TokenError};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    dpop: DpopRequest,
    body: web::Bytes,
) -> Result<HttpResponse, TokenError> {
    let result = grant(&req, &state, dpop, &body).await;
    let outcome = result.as_ref().map(|_| "success").unwrap_or_else(|e| e.error.code());
    state.metrics.token_requests.with_label_values(&[outcome]).inc();
    result
}

async fn grant(
    req: &HttpRequest,
    state: &AppState,
    dpop: DpopRequest,
    body: &[u8],
) -> Result<HttpResponse, TokenError> {
    if !crate::protocol::has_content_type(req, "application/x-www-form-urlencoded") {
        return Err(TokenError::invalid_request("the body must be application/x-www-form-urlencoded"));
    }
    let (client, params) = authenticated_form(state, req, body).await?;
    // RFC 9449 §5: checked before anything is consumed, so that a nonce
    // challenge does not cost the client its code or refresh token.
    let dpop = dpop.checked()?;
    if dpop.proof().is_none() && client.oidc.require_dpop {
        return Err(dpop.refuse(DpopError::Required));
    }

    match params.get("grant_type").map(String::as_str) {
        Some("authorization_code") => grants::code::grant(state, client, &params, &dpop).await,
        Some("refresh_token") => grants::refresh::grant(state, client, &params, &dpop).await,
        Some("client_credentials") => grants::client_credentials::grant(state, client, &params, &dpop).await,
        Some(_) => Err(TokenError::new(
            OAuthError::UnsupportedGrantType,
            "supported: authorization_code, refresh_token, client_credentials",
        )),
        None => Err(TokenError::invalid_request("grant_type is required")),
    }
}

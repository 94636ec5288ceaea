//! `GET|POST /userinfo`: the claims the token's client may see, nothing more.
//! A DPoP-bound token is accepted only as `DPoP` with a proof by its key
//! (RFC 9449 §7.1); a bearer token only where the client does not require DPoP.

use crate::policy::disclosure::{release_granted, Userinfo};
use crate::protocol::dpop;
use crate::protocol::errors::{BearerError, OAuthError, Scheme};
use crate::state::AppState;
use crate::store::records::AccessToken;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn userinfo(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, BearerError> {
    let result = answer(&req, &state).await;
    let outcome = result.as_ref().map(|_| "success").unwrap_or_else(BearerError::label);
    state.metrics.userinfo_requests.with_label_values(&[outcome]).inc();
    result
}

async fn answer(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, BearerError> {
    let (scheme, token) = dpop::presented(req)?;
    let invalid = || match scheme {
        Scheme::Bearer => BearerError::invalid_token(),
        Scheme::DPoP => BearerError::dpop(OAuthError::InvalidToken, "the access token is invalid or has expired"),
    };
    // One store read: the grant holds what this token may release. It lives
    // no longer than its session, and ending the session deletes it.
    let grant = state.records.get_access(&AccessToken::presented(token.as_str())).await?.ok_or_else(invalid)?;
    let client = state.client(&grant.client_id).ok_or_else(invalid)?;
    let require_dpop = client.oidc().is_some_and(|o| o.require_dpop);
    dpop::check_presentation(state, req, "/userinfo", (scheme, &token), grant.jkt.as_deref(), require_dpop).await?;
    // What the token was issued with (consented, asked), within what the
    // client's config allows now.
    let body = Userinfo { sub: &grant.subject, released: release_granted(&grant.released, &client.claims) };
    let mut response = HttpResponse::Ok();
    if scheme == Scheme::DPoP {
        response.insert_header(("DPoP-Nonce", dpop::nonce(state)));
    }
    Ok(response.json(&body))
}

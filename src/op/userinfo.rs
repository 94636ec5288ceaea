//! `GET|POST /userinfo`: the claims the token's client may see, nothing more.

use super::errors::BearerError;
use super::AppState;
use crate::policy::disclosure::{release, Scopes};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

pub async fn userinfo(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, BearerError> {
    let result = answer(&req, &state).await;
    let outcome = result.as_ref().map(|_| "success").unwrap_or_else(BearerError::label);
    state.metrics.userinfo_requests.with_label_values(&[outcome]).inc();
    result
}

async fn answer(req: &HttpRequest, state: &AppState) -> Result<HttpResponse, BearerError> {
    let token = bearer(req)?;
    // One store read: the grant holds what this token may release. It lives
    // no longer than its session, and ending the session deletes it.
    let grant = state.records.get_access(&token).await?.ok_or_else(BearerError::invalid_token)?;
    let client = state.client(&grant.client_id).ok_or_else(BearerError::invalid_token)?;
    // Within what the client's config allows now.
    let mut body = release(&grant.released, &client.claims, &Scopes::parse(&grant.scope)).to_json();
    body.insert("sub".into(), grant.subject.into());
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(body))
}

fn bearer(req: &HttpRequest) -> Result<String, BearerError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(BearerError::missing());
    };
    let value = value.to_str().map_err(|_| BearerError::invalid_request("malformed Authorization header"))?;
    let (scheme, token) =
        value.split_once(' ').ok_or_else(|| BearerError::invalid_request("malformed Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(BearerError::missing());
    }
    Ok(token.trim().to_owned())
}

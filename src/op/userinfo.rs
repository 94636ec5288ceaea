//! `GET|POST /userinfo`: the claims the token's client may see, nothing more.

use super::errors::BearerError;
use super::{session, AppState};
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
    let grant = state.records.get_access(&token).await?.ok_or_else(BearerError::invalid_token)?;
    let session = state.records.get_session(&grant.session).await?;
    let Some(session) = session.filter(|s| session::remaining(state, s).is_some()) else {
        return Err(BearerError::invalid_token());
    };
    let client = state.client(&grant.client_id).ok_or_else(BearerError::invalid_token)?;
    let mut body = release(&session.profile, &client.claims, &Scopes::parse(&grant.scope)).to_json();
    body.insert("sub".into(), state.keys.pseudonymizer.pairwise_subject(&client.id, &session.user_key).into());
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

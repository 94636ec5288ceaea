//! `GET /callback/{provider}` (the provider's answer: `crate::journey::callback`),
//! `POST /callback/{provider}` (a form-post provider's answer, Sign in with
//! Apple), and the dev provider's own pages.

use crate::journey::callback::finish_upstream;
use crate::messages::Msg;
use crate::pages;
use crate::protocol::errors::PageError;
use crate::state::AppState;
use crate::store::records::FormPostAnswer;
use crate::upstream::dev::DevProvider;
use crate::upstream::CallbackParams;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use std::time::Duration;

pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<CallbackParams>,
) -> Result<HttpResponse, PageError> {
    let mut params = params.into_inner();
    if is_form_post(&state, &path) {
        // A form-post provider's answer is only what its POST left (below);
        // nothing in this URL but `state` counts.
        let answer = match params.state.as_deref() {
            Some(s) => state.records.take_form_post(s).await?,
            None => None,
        };
        let answer = answer.unwrap_or(FormPostAnswer { code: None, user: None, error: None });
        params = CallbackParams { code: answer.code, user: answer.user, error: answer.error, iss: None, ..params };
    }
    finish_upstream(&state, &req, &path, params).await
}

/// How long a form-post answer waits for the same-site hop (one redirect).
const FORM_POST_LIFETIME: Duration = Duration::from_secs(60);

/// The fields of a form-post answer (OAuth 2.0 Form Post Response Mode;
/// Apple adds `user`).
#[derive(serde::Deserialize)]
pub struct FormPost {
    code: Option<String>,
    state: Option<String>,
    user: Option<String>,
    error: Option<String>,
}

/// `POST /callback/{provider}`: Apple's cross-site form post. The sign-in
/// cookie (SameSite=Lax) is not sent on it, so the browser binding cannot
/// be checked here: the answer is kept under its `state` for a minute and
/// the browser is sent same-site (303) to `GET /callback/{provider}?state=…`,
/// a top-level GET that carries the cookie, where the binding is checked as
/// for every provider. The code and the name never appear in a URL.
pub async fn callback_post(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<FormPost>,
) -> Result<HttpResponse, PageError> {
    if !is_form_post(&state, &path) {
        return Ok(pages::refused(StatusCode::NOT_FOUND, Msg::NotFoundTitle, Msg::NoSuchPage));
    }
    let FormPost { code, state: upstream_state, user, error } = form.into_inner();
    let expired = || PageError::Expired(Msg::SignInUsed);
    let upstream_state = upstream_state.filter(|s| s.len() <= 256).ok_or_else(expired)?;
    // Kept only for a sign-in in progress with this provider: nothing an
    // unknown `state` names is stored.
    if state.records.pending_provider(&upstream_state).await?.is_none_or(|p| p != path.as_str()) {
        tracing::warn!(provider = %path, reason = "unknown_state", "form-post answer refused");
        return Err(expired());
    }
    let answer = FormPostAnswer { code, user, error };
    state.records.put_form_post(&upstream_state, &answer, FORM_POST_LIFETIME).await?;
    let query: String =
        url::form_urlencoded::Serializer::new(String::new()).append_pair("state", &upstream_state).finish();
    let back = format!("/callback/{}?{query}", path.as_str());
    Ok(HttpResponse::SeeOther().insert_header((actix_web::http::header::LOCATION, back)).finish())
}

/// Whether the provider answers by form post (Sign in with Apple).
fn is_form_post(state: &AppState, provider: &str) -> bool {
    state.config.providers.get(provider).is_some_and(|p| matches!(p.kind, crate::config::ProviderKind::Apple(_)))
}

#[derive(serde::Deserialize)]
pub struct DevQuery {
    state: String,
}

/// `GET /dev/{provider}/authorize`: the dev provider's sample login page.
pub async fn dev_authorize(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<DevQuery>,
) -> HttpResponse {
    let id = path.into_inner();
    match state.config.providers.get(id.as_str()).map(|p| &p.kind) {
        Some(crate::config::ProviderKind::Dev) => {
            let picture = DevProvider::picture_url(&state.issuer, &id);
            pages::dev_login(&id, &query.state, &DevProvider::sample_claims(&picture))
        }
        _ => pages::refused(StatusCode::NOT_FOUND, Msg::NotFoundTitle, Msg::NoSuchPage),
    }
}

/// `GET /dev/{provider}/picture.png`: the dev provider's sample picture,
/// cacheable and with a validator, as a real provider's picture host
/// answers (the picture proxy revalidates it instead of fetching it again).
pub async fn dev_picture(req: HttpRequest, state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    const ETAG: &str = "\"dev-sample-1\"";
    match state.config.providers.get(path.as_str()).map(|p| &p.kind) {
        Some(crate::config::ProviderKind::Dev) => {
            let cached = req.headers().get("if-none-match").is_some_and(|v| v.as_bytes() == ETAG.as_bytes());
            let mut response = if cached { HttpResponse::NotModified() } else { HttpResponse::Ok() };
            response.insert_header(("cache-control", "public, max-age=3600")).insert_header(("etag", ETAG));
            match cached {
                true => response.finish(),
                false => response.content_type("image/png").body(DevProvider::sample_picture()),
            }
        }
        _ => pages::refused(StatusCode::NOT_FOUND, Msg::NotFoundTitle, Msg::NoSuchPage),
    }
}

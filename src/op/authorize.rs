//! `GET|POST /authorize` (the app's request: validated, then answered from
//! the SSO session or with the notice page) and `POST /authorize/continue`
//! (the notice's button). The steps are `crate::journey`'s.

use crate::journey::request::{self, Incoming};
use crate::journey::{begin, proceed};
use crate::messages::Msg;
use crate::pages::language;
use crate::policy::ProfileClaim;
use crate::protocol::binding::BrowserBinding;
use crate::protocol::errors::{parse_params, PageError};
use crate::protocol::redirect::after_post;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use std::collections::BTreeSet;

pub async fn authorize_get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    authorize(&req, &state, req.query_string()).await
}

pub async fn authorize_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = std::str::from_utf8(&body).map_err(|_| PageError::bad_request(Msg::NotFormData))?;
    authorize(&req, &state, form).await.map(after_post)
}

async fn authorize(req: &HttpRequest, state: &AppState, raw: &str) -> Result<HttpResponse, PageError> {
    let front = parse_params(raw)?;
    // OIDC Core §3.1.2.1: the pages in the first of `ui_locales` claimgate
    // speaks, from here to the end of the sign-in (stored with it).
    if let Some(tags) = front.get("ui_locales") {
        language::prefer(tags);
    }
    let incoming = match request::from_front_channel(state, &front).await? {
        Incoming::Request(incoming) => incoming,
        Incoming::Refused(answer) => return Ok(answer),
    };
    // A pushed request's (RFC 9126 §4: used as it was pushed).
    language::restore(incoming.ui_locale.as_deref());
    let how = begin::Begin {
        // OIDC Core §3.1.2.1 (errata): max_age=0 is prompt=login.
        force_login: incoming.prompt.login || incoming.request.max_age == Some(0),
        no_prompt: incoming.prompt.none,
        ask_consent: incoming.prompt.consent,
        provider: incoming.provider.as_deref(),
        binding: &BrowserBinding::of(state, req),
    };
    begin::begin(state, req, incoming.request, how).await
}

/// The notice's form: its ticket, the provider button pressed, and the
/// optional claims ticked (`claim`, repeated).
fn parse_continue(body: &[u8]) -> Option<proceed::Pressed> {
    let (mut ticket, mut provider, mut ticked) = (None, None, BTreeSet::new());
    for (k, v) in url::form_urlencoded::parse(body) {
        match &*k {
            "ticket" => ticket = Some(v.into_owned()),
            "provider" => provider = Some(v.into_owned()),
            // Unknown names are not claimgate's claims: ignored.
            "claim" => ticked.extend(v.parse::<ProfileClaim>().ok()),
            _ => {}
        }
    }
    Some(proceed::Pressed { ticket: ticket?, provider, ticked })
}

/// `POST /authorize/continue`: the user pressed the notice page's button.
pub async fn continue_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let Some(pressed) = parse_continue(&body) else {
        return Err(PageError::bad_request(Msg::FormIncomplete));
    };
    proceed::proceed(&state, &req, pressed).await.map(after_post)
}

//! Pushed authorization requests (RFC 9126): `POST /par` takes an
//! authenticated client's authorization request off the front channel and
//! answers a short-lived, single-use `request_uri` for `/authorize`. The
//! browser then carries nothing an attacker could change: redirect URI,
//! scope, PKCE challenge and DPoP key were set by the app's back end.

use crate::journey::request::{validate, Refusal, PAR_LIFETIME, URN};
use crate::pages::language;
use crate::protocol::client_auth::authenticated_form;
use crate::protocol::dpop::{DpopError, DpopRequest};
use crate::protocol::errors::{OAuthError, TokenError};
use crate::state::AppState;
use crate::store::records::{Prompt, PushedHandle, PushedRequest};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub async fn par(
    req: HttpRequest,
    state: web::Data<AppState>,
    dpop: DpopRequest,
    body: web::Bytes,
) -> Result<HttpResponse, TokenError> {
    let (client, mut params) = authenticated_form(&state, &req, &body).await?;
    // §2.1: a pushed request cannot itself point at one.
    if params.contains_key("request_uri") {
        return Err(TokenError::invalid_request("request_uri is not allowed in a pushed request"));
    }
    // Authenticated as this client: the request is this client's. Its
    // secret (client_secret_post) authenticated this call and is not kept.
    params.insert("client_id".into(), client.id.to_string());
    params.remove("client_secret");
    // RFC 9449 §10.1: a DPoP proof binds the code to its key, as dpop_jkt
    // would; both must then name the same key.
    let dpop = dpop.checked()?;
    if let Some(p) = dpop.proof() {
        match params.get("dpop_jkt") {
            Some(jkt) if *jkt != p.jkt => return Err(dpop.refuse(DpopError::WrongKey)),
            _ => params.insert("dpop_jkt".into(), p.jkt.clone()),
        };
    }
    // §2.1: the same rules as at /authorize; errors as at the token endpoint (§2.3).
    let refused = |error: OAuthError, description: String| {
        tracing::warn!(client = %client.id, error = error.code(), "pushed authorization request refused");
        TokenError::new(error, description)
    };
    let request = validate(&state, &params, true).map_err(|refusal| match refusal {
        Refusal::Unsafe(message) => refused(OAuthError::InvalidRequest, language::english(message)),
        Refusal::ToApp(_, error, description) => refused(error, description.to_owned()),
    })?;
    let prompt = Prompt::parse(params.get("prompt").map(String::as_str))
        .map_err(|description| refused(OAuthError::InvalidRequest, description.to_owned()))?;
    // Only what /authorize acts on is kept, each bounded (the pre-login
    // memory bound of docs/SECURITY.md); every other pushed field is dropped.
    let provider = params.get("provider").and_then(|p| client.providers.iter().find(|c| *c == p)).cloned();
    // Only a language claimgate speaks is kept, never the app's text.
    let catalog = &state.config.pages.messages;
    let ui_locale =
        params.get("ui_locales").and_then(|v| catalog.from_ui_locales(v)).map(|l| catalog.tag(l).to_owned());
    let handle = PushedHandle::random();
    let pushed = PushedRequest { request, prompt, provider, ui_locale };
    state.records.put_pushed(&handle, &pushed, PAR_LIFETIME).await?;
    let mut response = HttpResponse::Created();
    dpop.spend().await?;
    dpop.nonce_on(&mut response);
    tracing::info!(client = %client.id, dpop = dpop.proof().is_some(), outcome = "pushed", "pushed authorization request");
    Ok(response
        .json(json!({ "request_uri": format!("{URN}{}", handle.as_str()), "expires_in": PAR_LIFETIME.as_secs() })))
}

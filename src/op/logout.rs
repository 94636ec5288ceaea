//! `GET|POST /logout`: OpenID Connect RP-Initiated Logout 1.0. Ends the SSO
//! session and every access token issued under it. With a valid
//! `id_token_hint` for the signed-in user it acts at once; otherwise it asks
//! the user to confirm with a CSRF-protected form, so a third-party page
//! cannot sign users out.

use crate::account::session;
use crate::messages::Msg;
use crate::pages;
use crate::protocol::cookies;
use crate::protocol::errors::{parse_params, PageError};
use crate::protocol::redirect::after_post;
use crate::signing::SigningAlg;
use crate::state::AppState;
use crate::store::records::{session_ref, SessionId};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier};
use openidconnect::{ClientId, IssuerUrl, Nonce};
use std::collections::HashMap;
use std::str::FromStr;

pub async fn logout_get(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    logout(&req, &state, req.query_string(), false).await
}

pub async fn logout_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    match std::str::from_utf8(&body) {
        Ok(form) => logout(&req, &state, form, true).await.map(after_post),
        Err(_) => Ok(bad(Msg::NotFormData)),
    }
}

fn bad(message: Msg) -> HttpResponse {
    pages::refused(StatusCode::BAD_REQUEST, Msg::SignOutInvalidTitle, message)
}

/// The (client id, pairwise subject) an ID token names, if claimgate signed
/// it. Expired hints are fine: logout often comes long after sign-in.
fn verify_hint(state: &AppState, hint: &str) -> Option<(String, String)> {
    let token = CoreIdToken::from_str(hint).ok()?;
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new(String::new()),
        IssuerUrl::new(state.issuer.clone()).ok()?,
        state.keys.signing.jwks().clone(),
    )
    .set_allowed_algs(state.keys.signing.algs().into_iter().map(SigningAlg::jws))
    .require_audience_match(false)
    .set_time_fn(|| chrono::DateTime::UNIX_EPOCH);
    let claims = token.claims(&verifier, |_: Option<&Nonce>| Ok(())).ok()?;
    let [aud] = claims.audiences().as_slice() else { return None };
    Some((aud.to_string(), claims.subject().to_string()))
}

async fn logout(req: &HttpRequest, state: &AppState, raw: &str, is_post: bool) -> Result<HttpResponse, PageError> {
    let params: HashMap<String, String> = match parse_params(raw) {
        Ok(p) => p,
        Err(e) => return Ok(bad(e.message())),
    };
    let hint = match params.get("id_token_hint") {
        Some(h) => match verify_hint(state, h) {
            Some(v) => Some(v),
            None => return Ok(bad(Msg::HintNotOurs)),
        },
        None => None,
    };
    let client_id = match (hint.as_ref().map(|(c, _)| c), params.get("client_id")) {
        (Some(a), Some(b)) if a != b => return Ok(bad(Msg::HintClientMismatch)),
        (a, b) => a.or(b).cloned(),
    };
    // Where to go afterwards: only a URI the client registered, exactly.
    let back = match params.get("post_logout_redirect_uri") {
        Some(uri) => {
            let Some(client) = client_id.as_deref().and_then(|c| state.client(c)) else {
                return Ok(bad(Msg::LogoutNeedsClient));
            };
            let Some(registered) =
                client.oidc().and_then(|o| o.post_logout_redirect_uris.iter().find(|u| u.matches(uri)))
            else {
                return Ok(bad(Msg::ReturnNotRegistered));
            };
            let mut url = registered.url().clone();
            if let Some(s) = params.get("state") {
                url.query_pairs_mut().append_pair("state", s);
            }
            Some(url.to_string())
        }
        None => None,
    };

    let Some((id, s)) = session::current(state, req).await? else {
        return Ok(done(state, back));
    };
    let hint_is_this_user = hint.as_ref().is_some_and(|(client, sub)| {
        *sub == state.keys.pseudonymizer.pairwise_subject(&client.as_str().into(), &s.user_key)
    });
    let confirmed =
        is_post && params.get("csrf").is_some_and(|t| state.keys.pseudonymizer.csrf_matches(id.as_str(), t));
    if !hint_is_this_user && !confirmed {
        return Ok(confirm_page(state, &id, &params));
    }
    // The apps that received tokens in this session hear of it (delivered
    // off this request, Back-Channel Logout 1.0 §2.7).
    let action = crate::signals::Action::new(crate::secevent::Initiator::User);
    crate::backchannel::session_ended(&state.into(), &session_ref(&id), &s, None, &action).await?;
    state.records.end_session(&id).await?;
    tracing::info!(client = client_id.as_deref().unwrap_or(""), outcome = "signed_out", "logout");
    Ok(done(state, back))
}

fn done(state: &AppState, back: Option<String>) -> HttpResponse {
    let mut response = match back {
        Some(url) => HttpResponse::Found().insert_header((header::LOCATION, url)).finish(),
        None => pages::signed_out(),
    };
    let _ = response.add_cookie(&cookies::removal_cookie(state));
    response
}

fn confirm_page(state: &AppState, session_id: &SessionId, params: &HashMap<String, String>) -> HttpResponse {
    let carried: Vec<(&str, &str)> = ["client_id", "post_logout_redirect_uri", "state"]
        .into_iter()
        .filter_map(|key| params.get(key).map(|v| (key, v.as_str())))
        .collect();
    pages::confirm_sign_out(&state.keys.pseudonymizer.csrf_token(session_id.as_str()), &carried)
}

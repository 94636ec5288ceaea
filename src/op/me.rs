//! `/me`: the signed-in user's own view — what claimgate stores about them,
//! which apps received what and when — with sign-out and erasure.

use super::errors::PageError;
use super::{session, AppState};
use crate::pages;
use crate::policy::Picture;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

fn when(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

pub async fn me(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let Some((id, s)) = session::current(&state, &req).await? else {
        return Ok(pages::not_signed_in());
    };
    let apps = s
        .disclosures
        .iter()
        .map(|d| {
            let name = state.client(&d.client_id).map(|c| c.name.as_str()).unwrap_or(&d.client_id);
            let claims =
                if d.claims.is_empty() { "only a pseudonymous identifier".into() } else { d.claims.join(", ") };
            (name, claims, when(d.at))
        })
        .collect();
    let csrf = state.keys.pseudonymizer.csrf_token(&id);
    Ok(pages::me(&pages::MeView {
        name: s.profile.name.as_deref(),
        email: s.profile.email_address(),
        picture: s.profile.picture.as_ref().map(|p| match p {
            Picture::Proxied => pages::OwnPicture::Proxied,
            Picture::Link(url) => pages::OwnPicture::Link(url),
        }),
        provider: &s.provider,
        signed_in: when(s.auth_time),
        ends_by: when(s.expires_at),
        apps,
        notice_url: state.config.notice.url.as_deref(),
        notice_version: state.config.notice.version.as_deref(),
        csrf: &csrf,
    }))
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Erases every session, code and token of the signed-in user.
pub async fn erase(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    let Some((id, s)) = session::current(&state, &req).await? else {
        return Ok(pages::error(
            StatusCode::BAD_REQUEST,
            "Not signed in",
            "There is nothing to delete for this browser.",
            None,
        ));
    };
    if !state.keys.pseudonymizer.csrf_matches(&id, &form.csrf) {
        return Ok(pages::error(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form has expired. Please open the page again.",
            None,
        ));
    }
    // Every session of the user ends: the apps that received tokens in any
    // of them are told (Back-Channel Logout 1.0), and the page says whether
    // they heard within a few seconds; the rest is retried in the background.
    let notifier = crate::backchannel::Notifier::from(&**state);
    let queued = crate::backchannel::user_erased(&notifier, &s.user_key).await?;
    state.records.erase_user(&s.user_key).await?;
    tracing::info!(outcome = "erased", by = "user", "erasure");
    let outcomes = crate::backchannel::attempt_now(&notifier, &queued, std::time::Duration::from_secs(3)).await;
    let told: Vec<(String, bool)> = outcomes
        .into_iter()
        .map(|(client, o)| {
            let name = state.client(&client).map_or(client.clone(), |c| c.name.clone());
            (name, o == crate::backchannel::Outcome::Delivered)
        })
        .collect();
    let mut r = pages::deleted(&told);
    let _ = r.add_cookie(&session::removal_cookie(&state));
    Ok(r)
}
